import type { DataSource } from 'typeorm';
import { computeUsageFacts, type SqlRunner } from './usage-facts';
import { dayStart, isDayClosable, type UsageDay, type UsageFact } from './usage-metrics';

/** Advisory lock class of the roll-up; the second key is the day, so one writer per day at a time. */
const ROLLUP_LOCK = 727_301;

export interface UsageRollupOptions {
  /** The roll-up's notion of now (decides whether the day may close). */
  now: Date;
  /** Minutes after the UTC midnight ending a day before the day closes. */
  graceMinutes: number;
}

export interface UsageRollupResult {
  day: UsageDay;
  /** open: daily rows updated; closed: finalized by this run; final: already closed, corrections only. */
  state: 'open' | 'closed' | 'final';
  /** Daily rows inserted or changed (open/closed) or correction rows inserted (final). */
  rows: number;
}

/**
 * Rolls one UTC day up into usage_daily, in one transaction serialized per day:
 * - an open day's `daily` rows are set to the totals computed now (rows that fell to zero kept at 0);
 * - a day whose grace period has passed is finalized once: its daily rows get closed_at and the day is
 *   recorded in usage_days. Closed rows are never updated (a trigger refuses it);
 * - for a finalized day, where the totals computed now differ from the sum of its rows, a `correction`
 *   row holding the difference is inserted, so the rows of a day always add up to its current totals.
 * Must run as a role that sees every tenant (the owner DataSource).
 */
export async function rollupUsageDay(db: DataSource, day: UsageDay, opts: UsageRollupOptions): Promise<UsageRollupResult> {
  const dayNumber = Math.round(dayStart(day).getTime() / 86_400_000);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [ROLLUP_LOCK, dayNumber]);
    const facts = await computeUsageFacts(tx, day);
    const [final] = await tx.query('SELECT closed_at FROM usage_days WHERE day = $1', [day]);
    if (final) return { day, state: 'final', rows: await insertCorrections(tx, day, facts) };
    const closing = isDayClosable(day, opts.now, opts.graceMinutes);
    const rows = await writeDailyRows(tx, day, facts, closing);
    if (closing) await tx.query('INSERT INTO usage_days (day, closed_at) VALUES ($1, now())', [day]);
    return { day, state: closing ? 'closed' : 'open', rows };
  });
}

const FACTS = `SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bigint[]) AS f(tenant_id, vendor, metric, quantity)`;

function factParams(day: UsageDay, facts: UsageFact[]): unknown[] {
  return [day, facts.map((f) => f.tenant_id), facts.map((f) => f.vendor), facts.map((f) => f.metric), facts.map((f) => f.quantity)];
}

async function writeDailyRows(tx: SqlRunner, day: UsageDay, facts: UsageFact[], closing: boolean): Promise<number> {
  const upserted = await tx.query(
    `INSERT INTO usage_daily (partner_id, tenant_id, vendor, day, metric, kind, quantity, closed_at)
     SELECT t.partner_id, f.tenant_id, f.vendor, $1::date, f.metric, 'daily', f.quantity, CASE WHEN $6::boolean THEN now() END
       FROM (${FACTS}) f JOIN tenants t ON t.id = f.tenant_id
     ON CONFLICT (tenant_id, vendor, day, metric) WHERE kind = 'daily'
     DO UPDATE SET quantity = EXCLUDED.quantity, closed_at = EXCLUDED.closed_at, computed_at = now()
       WHERE usage_daily.quantity <> EXCLUDED.quantity OR EXCLUDED.closed_at IS NOT NULL
     RETURNING id`,
    [...factParams(day, facts), closing],
  );
  const zeroed = await tx.query(
    `UPDATE usage_daily d SET quantity = 0, closed_at = CASE WHEN $6::boolean THEN now() END, computed_at = now()
      WHERE d.day = $1::date AND d.kind = 'daily' AND d.closed_at IS NULL AND (d.quantity <> 0 OR $6)
        AND NOT EXISTS (SELECT 1 FROM (${FACTS}) f WHERE f.tenant_id = d.tenant_id AND f.vendor = d.vendor AND f.metric = d.metric)
      RETURNING id`,
    [...factParams(day, facts), closing],
  );
  return upserted.length + rowCount(zeroed);
}

async function insertCorrections(tx: SqlRunner, day: UsageDay, facts: UsageFact[]): Promise<number> {
  const inserted = await tx.query(
    `WITH f AS (${FACTS}),
     net AS (SELECT tenant_id, vendor, metric, sum(quantity) AS quantity FROM usage_daily WHERE day = $1::date GROUP BY 1, 2, 3),
     diff AS (
       SELECT coalesce(f.tenant_id, n.tenant_id) AS tenant_id, coalesce(f.vendor, n.vendor) AS vendor,
              coalesce(f.metric, n.metric) AS metric, coalesce(f.quantity, 0) - coalesce(n.quantity, 0) AS delta
         FROM f FULL JOIN net n ON n.tenant_id = f.tenant_id AND n.vendor = f.vendor AND n.metric = f.metric)
     INSERT INTO usage_daily (partner_id, tenant_id, vendor, day, metric, kind, quantity, closed_at)
     SELECT t.partner_id, d.tenant_id, d.vendor, $1::date, d.metric, 'correction', d.delta, now()
       FROM diff d JOIN tenants t ON t.id = d.tenant_id WHERE d.delta <> 0
     RETURNING id`,
    factParams(day, facts),
  );
  return inserted.length;
}

/** TypeORM answers an UPDATE ... RETURNING as [rows, count]. */
function rowCount(result: unknown): number {
  return Array.isArray(result) && Array.isArray(result[0]) ? result[0].length : Array.isArray(result) ? result.length : 0;
}
