import { addDays, dayStart, type UsageDay, type UsageFact } from './usage-metrics';
import type { SqlTx } from '../tenancy/tenant-db';

/**
 * Restore jobs count on the UTC day of `completed_at`, by terminal status. Restored items are the job's
 * items with status `succeeded`; restored bytes are those items' sizes as recorded (usage_item_sizes) at
 * the job's completion, 0 for an item whose vendor reported no size by then.
 */
const RESTORE_JOB_FACTS = `
  WITH jobs AS (
    SELECT tenant_id, vendor, status, items, completed_at FROM restore_jobs
     WHERE completed_at >= $1 AND completed_at < $2 AND status IN ('succeeded', 'partiallySucceeded', 'failed', 'cancelled')
  ), restored AS (
    SELECT j.tenant_id, j.vendor,
           coalesce((SELECT s.size_bytes FROM usage_item_sizes s
                      WHERE s.protected_item_id = (i->>'protectedItemId')::uuid AND s.recorded_at <= j.completed_at
                      ORDER BY s.recorded_at DESC, s.id DESC LIMIT 1), 0) AS bytes
      FROM jobs j CROSS JOIN LATERAL jsonb_array_elements(j.items) i
     WHERE i->>'status' = 'succeeded'
  )
  SELECT tenant_id, vendor, 'restore_jobs_' || CASE status WHEN 'partiallySucceeded' THEN 'partially_succeeded' ELSE status END AS metric,
         count(*)::text AS quantity
    FROM jobs GROUP BY 1, 2, 3
  UNION ALL SELECT tenant_id, vendor, 'restored_items', count(*)::text FROM restored GROUP BY 1, 2
  UNION ALL SELECT tenant_id, vendor, 'restored_bytes', sum(bytes)::text FROM restored GROUP BY 1, 2`;

/**
 * Protected items of a day: items whose status was `protected` at some instant of the UTC day, from
 * each item's protected_item.* events (an item is protected from its `protected` event until its next
 * event: removed or failed). Bytes: each such item's size as recorded by the end of the day, 0 unknown.
 * Events of one item written in one transaction share occurred_at; the insert (`added`) sorts first.
 */
const PROTECTED_ITEM_FACTS = `
  WITH ev AS (
    SELECT e.resource_id AS item_id, e.data->>'status' AS status, e.occurred_at,
           lead(e.occurred_at) OVER (PARTITION BY e.resource_id ORDER BY e.occurred_at, (e.type = 'protected_item.added') DESC, e.id) AS until
      FROM events e
     WHERE e.resource_type = 'protected_item' AND e.occurred_at < $2
  ), items AS (
    SELECT DISTINCT item_id FROM ev WHERE status = 'protected' AND (until IS NULL OR until > $1)
  ), sized AS (
    SELECT p.tenant_id, c.vendor,
           coalesce((SELECT s.size_bytes FROM usage_item_sizes s WHERE s.protected_item_id = i.item_id AND s.recorded_at < $2
                      ORDER BY s.recorded_at DESC, s.id DESC LIMIT 1), 0) AS bytes
      FROM items i JOIN protected_items p ON p.id = i.item_id JOIN connections c ON c.id = p.connection_id
  )
  SELECT tenant_id, vendor, 'protected_items' AS metric, count(*)::text AS quantity FROM sized GROUP BY 1, 2
  UNION ALL SELECT tenant_id, vendor, 'protected_bytes', sum(bytes)::text FROM sized GROUP BY 1, 2`;

const VENDOR_CALL_FACTS = `
  SELECT tenant_id, vendor, 'vendor_api_calls' AS metric, sum(calls)::text AS quantity
    FROM usage_vendor_calls WHERE day = $1::date GROUP BY 1, 2`;

/** Bytes the vendors' backup runs processed, by the UTC day a run ended (runs the vendor gave no byte count for add nothing). */
const BACKUP_RUN_FACTS = `
  SELECT r.tenant_id, c.vendor, 'backed_up_bytes' AS metric, sum(r.bytes_processed)::text AS quantity
    FROM backup_runs r JOIN connections c ON c.id = r.connection_id
   WHERE r.ended_at >= $1 AND r.ended_at < $2 AND r.bytes_processed IS NOT NULL
   GROUP BY 1, 2`;

/** What the vendors reported in their own units on the day (the day's latest sample per connection), summed per tenant. */
const VENDOR_SAMPLE_FACTS = `
  SELECT tenant_id, vendor, metric, sum(quantity)::text AS quantity
    FROM usage_vendor_samples WHERE day = $1::date GROUP BY 1, 2, 3`;

/**
 * Every metered total of one UTC day, per tenant and vendor, computed from the history tables. Zero
 * totals are left out. Run it as a role that sees every tenant (the owner) to roll up the whole system.
 */
export async function computeUsageFacts(db: SqlTx, day: UsageDay): Promise<UsageFact[]> {
  const start = dayStart(day);
  const end = dayStart(addDays(day, 1));
  const jobs: UsageFact[] = await db.query(RESTORE_JOB_FACTS, [start, end]);
  const items: UsageFact[] = await db.query(PROTECTED_ITEM_FACTS, [start, end]);
  const calls: UsageFact[] = await db.query(VENDOR_CALL_FACTS, [day]);
  const runs: UsageFact[] = await db.query(BACKUP_RUN_FACTS, [start, end]);
  const samples: UsageFact[] = await db.query(VENDOR_SAMPLE_FACTS, [day]);
  return [...jobs, ...items, ...calls, ...runs, ...samples].filter((f) => f.quantity !== '0');
}
