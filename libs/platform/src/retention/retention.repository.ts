import type { SqlTx } from '../tenancy/tenant-db';

/** The smallest UUIDv7 of millisecond `ms`: every event id made before `ms` sorts below it. */
export function uuidV7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

export const FIRST_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Bounded deletes of rows past their retention, one batch a call, on the owner connection (system-wide).
 * Each call deletes at most `limit` rows in one short statement; the caller loops with a batch budget.
 * What must stay never matches: pending webhook deliveries, events a delivery or a waiting fan-out references, protected_item
 * events (the usage roll-up reads an item's protected/removed history from them), facts of days the
 * usage roll-up has not closed. usage_daily, restore jobs, their history and audit rows are not pruned here.
 */
export class RetentionRepository {
  /**
   * Finished webhook deliveries completed before `before`, with their attempts (same statement: the
   * attempts reference the delivery). Locked rows (a delivery being worked on) are skipped.
   */
  async pruneWebhookDeliveries(tx: SqlTx, before: Date, limit: number): Promise<{ deliveries: number; attempts: number }> {
    const [row] = await tx.query<Array<{ deliveries: number; attempts: number }>>(
      `WITH doomed AS (
         SELECT id FROM webhook_deliveries WHERE status IN ('succeeded', 'failed') AND completed_at < $1
          ORDER BY completed_at LIMIT $2 FOR UPDATE SKIP LOCKED),
       attempts AS (DELETE FROM webhook_delivery_attempts a USING doomed WHERE a.delivery_id = doomed.id RETURNING 1),
       gone AS (DELETE FROM webhook_deliveries w USING doomed WHERE w.id = doomed.id RETURNING 1)
       SELECT (SELECT count(*) FROM gone)::int AS deliveries, (SELECT count(*) FROM attempts)::int AS attempts`,
      [before, limit],
    );
    return row;
  }

  /**
   * Looks at the next `limit` events after `after` (by id, i.e. by time) that are older than `before`,
   * and deletes those no webhook delivery references, that are not owed a fan-out (pending_webhook_fanouts)
   * and that are not protected_item events. Returns how many went and the last id looked at (the next call's
   * `after`; undefined when none was left), so kept rows are stepped over once, never rescanned.
   */
  async pruneEvents(tx: SqlTx, before: Date, after: string, limit: number): Promise<{ deleted: number; lastId: string | undefined }> {
    const [row] = await tx.query<Array<{ deleted: number; last_id: string | null }>>(
      `WITH scan AS (
         SELECT id, occurred_at, resource_type FROM events WHERE id > $1 AND id < $2 ORDER BY id LIMIT $3),
       doomed AS (
         SELECT s.id FROM scan s
          WHERE s.occurred_at < $4 AND s.resource_type <> 'protected_item'
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = s.id)
            AND NOT EXISTS (SELECT 1 FROM pending_webhook_fanouts f WHERE f.event_id = s.id)),
       gone AS (DELETE FROM events e USING doomed WHERE e.id = doomed.id RETURNING 1)
       SELECT (SELECT count(*) FROM gone)::int AS deleted, (SELECT id FROM scan ORDER BY id DESC LIMIT 1)::text AS last_id`,
      [after, uuidV7Floor(before.getTime()), limit, before],
    );
    return { deleted: row.deleted, lastId: row.last_id ?? undefined };
  }

  /** Idempotency keys past their expiry (a replay after it is a new request anyway), through idempotency_keys_expiry_idx. */
  async pruneIdempotencyKeys(tx: SqlTx, now: Date, limit: number): Promise<number> {
    const [, deleted] = await tx.query<[unknown, number]>(
      `DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE expires_at < $1 LIMIT $2)`,
      [now, limit],
    );
    return deleted;
  }

  /**
   * When the oldest webhook fan-out still waiting in the outbox was written (undefined when none waits):
   * its event, and any later one, must stay until it is relayed (written in the event's transaction).
   */
  async oldestPendingFanout(tx: SqlTx): Promise<Date | undefined> {
    const [row] = await tx.query<Array<{ at: Date | null }>>(`SELECT min(created_at) AS at FROM outbox WHERE name = 'webhook.fanout'`);
    return row?.at ? new Date(row.at) : undefined;
  }

  /** Vendor call counts of closed usage days (rolled up into usage_daily) before `beforeDay` (YYYY-MM-DD). */
  async pruneUsageVendorCalls(tx: SqlTx, beforeDay: string, limit: number): Promise<number> {
    const [, deleted] = await tx.query<[unknown, number]>(
      `DELETE FROM usage_vendor_calls WHERE id IN (
         SELECT c.id FROM usage_vendor_calls c
          WHERE c.day < $1 AND EXISTS (SELECT 1 FROM usage_days d WHERE d.day = c.day) ORDER BY c.day LIMIT $2)`,
      [beforeDay, limit],
    );
    return deleted;
  }

  /** Vendor samples (licensed users, storage) of closed usage days before `beforeDay`. */
  async pruneUsageVendorSamples(tx: SqlTx, beforeDay: string, limit: number): Promise<number> {
    const [, deleted] = await tx.query<[unknown, number]>(
      `DELETE FROM usage_vendor_samples WHERE ctid IN (
         SELECT s.ctid FROM usage_vendor_samples s
          WHERE s.day < $1 AND EXISTS (SELECT 1 FROM usage_days d WHERE d.day = s.day) ORDER BY s.day LIMIT $2)`,
      [beforeDay, limit],
    );
    return deleted;
  }
}

export const retentionRepository = new RetentionRepository();
