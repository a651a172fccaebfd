import { JOB_QUEUE, type JobName, type JobPayloads, type QueueName } from '../queues/queues';
import { requestContext } from '../context/request-context';
import { currentTraceparent } from '../telemetry/trace-context';
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
/** A job for the outbox, ready to ride in another statement of the same transaction (see `OUTBOX_INSERT`). */
export interface OutboxMessage {
  queue: QueueName;
  name: JobName;
  jobId: string;
  payload: string;
  delayMs: number;
}

export function outboxMessage<N extends JobName>(
  name: N,
  payload: JobPayloads[N],
  opts: { jobId: string; delayMs?: number },
): OutboxMessage {
  return {
    queue: JOB_QUEUE[name],
    name,
    jobId: opts.jobId,
    payload: JSON.stringify(withRequestContext(payload)),
    delayMs: opts.delayMs ?? 0,
  };
}

/**
 * The payload with the id of the API request being served (requestContext), unless it names one already,
 * and, when tracing is on, the W3C `traceparent` of the active span: the relay hands it to BullMQ so the
 * worker's span continues the request's trace (the outbox payload is JSON, so no column is needed).
 */
export function withRequestContext<P extends object>(payload: P): P {
  const requestId = requestContext.requestId();
  const traceparent = currentTraceparent();
  const out: P & { requestId?: string; traceparent?: string } =
    requestId && !('requestId' in payload && payload.requestId) ? { ...payload, requestId } : payload;
  return traceparent && !('traceparent' in payload) ? { ...out, traceparent } : out;
}

/**
 * The outbox insert and its wake-up as two CTEs (`outbox_row`, `outbox_wake`) for a statement that writes
 * a domain row and its job at once; `$t` is the tenant parameter, `$n`… the message's five values in
 * `outboxParams` order. The statement must read `outbox_wake` (a plain SELECT CTE runs only when read).
 */
export function outboxInsertCtes(tenantParam: number, first: number): string {
  const [q, n, j, p, d] = [0, 1, 2, 3, 4].map((i) => `$${first + i}`);
  return `outbox_row AS (INSERT INTO outbox (tenant_id, queue, name, job_id, payload, delay_ms)
       VALUES ($${tenantParam}, ${q}, ${n}, ${j}, ${p}::jsonb, ${d}) RETURNING id),
     outbox_wake AS (SELECT pg_notify('${OUTBOX_CHANNEL}', '') AS woke FROM outbox_row)`;
}

export function outboxParams(m: OutboxMessage): unknown[] {
  return [m.queue, m.name, m.jobId, m.payload, m.delayMs];
}

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
    [tenantId, JOB_QUEUE[name], name, opts.jobId, JSON.stringify(withRequestContext(payload)), opts.delayMs ?? 0],
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
