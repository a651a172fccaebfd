import type { EntityManager } from 'typeorm';
import { JOB_QUEUE, type JobName, type JobPayloads } from '../queues/queues';

export const OUTBOX_CHANNEL = 'bg_outbox';

/**
 * Writes a job to the outbox inside the caller's transaction, so it exists exactly when the state
 * change it belongs to commits. `jobId` deduplicates in BullMQ; pg_notify wakes the relay on commit.
 */
export async function writeOutbox<N extends JobName>(
  tx: EntityManager,
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
