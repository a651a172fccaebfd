import { JOB_QUEUE, type JobName, type JobPayloads, type QueueName } from '../queues/queues';
import type { SqlTx } from '../tenancy/tenant-db';

export const OUTBOX_CHANNEL = 'bg_outbox';

/** A row of `outbox`: a job to hand to BullMQ once the transaction that wrote it commits. */
export interface OutboxRow {
  id: string;
  tenant_id: string | null;
  queue: QueueName;
  name: JobName;
  job_id: string;
  payload: Record<string, unknown>;
  delay_ms: number;
  created_at: Date;
}

/**
 * Writes a job to the outbox inside the caller's transaction, so it exists exactly when the state
 * change it belongs to commits. `jobId` deduplicates in BullMQ; pg_notify wakes the relay on commit.
 * (Two other writers, for their atomicity: the events trigger's `webhook.fanout` rows and the webhook
 * delivery repository's `schedule`, which updates deliveries and writes their jobs in one statement.)
 */
export async function writeOutbox<N extends JobName>(
  tx: SqlTx,
  tenantId: string | null,
  name: N,
  payload: JobPayloads[N],
  opts: { jobId: string; delayMs?: number },
): Promise<void> {
  await tx.query(
    `WITH o AS (INSERT INTO outbox (tenant_id, queue, name, job_id, payload, delay_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id)
     SELECT pg_notify('${OUTBOX_CHANNEL}', '') FROM o`,
    [tenantId, JOB_QUEUE[name], name, opts.jobId, JSON.stringify(payload), opts.delayMs ?? 0],
  );
}

/** A claimed outbox row, as the relay hands it to BullMQ. */
export type PendingOutboxRow = Pick<OutboxRow, 'id' | 'queue' | 'name' | 'job_id' | 'payload' | 'delay_ms'>;

/**
 * The relay's side of the outbox (owner connection, system-wide): claim the oldest rows no other relay
 * holds, and delete them once BullMQ took them — both in the relay's transaction.
 */
export const outboxRepository = {
  async claim(tx: SqlTx, limit: number): Promise<PendingOutboxRow[]> {
    return tx.query(`SELECT id, queue, name, job_id, payload, delay_ms FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, [limit]);
  },
  async delete(tx: SqlTx, ids: string[]): Promise<void> {
    await tx.query('DELETE FROM outbox WHERE id = ANY($1)', [ids]);
  },
};
