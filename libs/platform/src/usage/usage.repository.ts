import type { UsageGranularity, UsageTotals, VendorId } from '@bg/domain';
import { rowsOf } from '../database/rows';
import type { PartnerTx, TenantTx, SqlTx } from '../tenancy/tenant-db';
import type { UsageDay, UsageFact } from './usage-metrics';
import type { VendorCallCount } from './vendor-call-tally';

/** The owner's DataSource or one of its transactions (the roll-up and the meter see every tenant). */
type SystemDb = SqlTx;

/** One period, tenant and vendor of the usage report as Postgres answers it (sums are numeric strings). */
export interface UsageTotalsRow {
  period_start: string;
  tenant_id: string;
  vendor: string;
  protected_items: string | null;
  protected_item_days: string | null;
  protected_bytes: string | null;
  protected_byte_days: string | null;
  restore_jobs_succeeded: string | null;
  restore_jobs_partially_succeeded: string | null;
  restore_jobs_failed: string | null;
  restore_jobs_cancelled: string | null;
  restored_items: string | null;
  restored_bytes: string | null;
  vendor_api_calls: string | null;
  backed_up_bytes: string | null;
  licensed_users: string | null;
  storage_bytes: string | null;
}

const n = (v: string | number | null | undefined) => (v === null || v === undefined ? 0 : Number(v));

/** A report row as numbers; a metric with no rows in the period is 0. */
export function usageTotalsFromRow(r: UsageTotalsRow): UsageTotals {
  return {
    periodStart: r.period_start,
    tenantId: r.tenant_id,
    vendor: r.vendor as VendorId,
    protectedItems: n(r.protected_items),
    protectedItemDays: n(r.protected_item_days),
    protectedBytes: n(r.protected_bytes),
    protectedByteDays: n(r.protected_byte_days),
    restoreJobs: {
      succeeded: n(r.restore_jobs_succeeded),
      partiallySucceeded: n(r.restore_jobs_partially_succeeded),
      failed: n(r.restore_jobs_failed),
      cancelled: n(r.restore_jobs_cancelled),
    },
    restoredItems: n(r.restored_items),
    restoredBytes: n(r.restored_bytes),
    vendorApiCalls: n(r.vendor_api_calls),
    backedUpBytes: n(r.backed_up_bytes),
    licensedUsers: n(r.licensed_users),
    storageBytes: n(r.storage_bytes),
  };
}

/** Position in the report's order: (period start, tenant, vendor). */
export interface UsageKey {
  periodStart: string;
  tenantId: string;
  vendor: string;
}

export interface UsageTotalsQuery {
  /** First and last UTC day, both included. */
  from: UsageDay;
  to: UsageDay;
  granularity: UsageGranularity;
  /** One tenant (absent: every tenant the transaction sees). */
  tenantId?: string;
  vendor?: string;
  /** Only rows after this key. */
  after?: UsageKey;
}

const PERIOD: Record<UsageGranularity, string> = { day: 'day', month: `date_trunc('month', day)::date` };

/**
 * Net quantity per day and metric (daily row plus its corrections), then one row per period, tenant
 * and vendor. protected_* are both the peak day (max) and the sum over days; licensed_users and storage_bytes
 * the peak day; everything else sums.
 */
function totalsSql(granularity: UsageGranularity): string {
  const p = PERIOD[granularity];
  const sum = (m: string) => `sum(q) FILTER (WHERE metric = '${m}')::text AS ${m}`;
  return `
    WITH net AS (
      SELECT ${p} AS period_start, day, tenant_id, vendor, metric, sum(quantity) AS q
        FROM usage_daily
       WHERE day BETWEEN $1::date AND $2::date AND ($3::uuid IS NULL OR tenant_id = $3) AND ($4::text IS NULL OR vendor = $4)
         AND ($5::date IS NULL OR (${p}, tenant_id, vendor) > ($5::date, $6::uuid, $7::text))
       GROUP BY day, tenant_id, vendor, metric
    )
    SELECT to_char(period_start, 'YYYY-MM-DD') AS period_start, tenant_id, vendor,
           max(q) FILTER (WHERE metric = 'protected_items')::text AS protected_items,
           sum(q) FILTER (WHERE metric = 'protected_items')::text AS protected_item_days,
           max(q) FILTER (WHERE metric = 'protected_bytes')::text AS protected_bytes,
           sum(q) FILTER (WHERE metric = 'protected_bytes')::text AS protected_byte_days,
           ${sum('restore_jobs_succeeded')}, ${sum('restore_jobs_partially_succeeded')}, ${sum('restore_jobs_failed')},
           ${sum('restore_jobs_cancelled')}, ${sum('restored_items')}, ${sum('restored_bytes')}, ${sum('vendor_api_calls')},
           ${sum('backed_up_bytes')},
           max(q) FILTER (WHERE metric = 'licensed_users')::text AS licensed_users,
           max(q) FILTER (WHERE metric = 'storage_bytes')::text AS storage_bytes
      FROM net GROUP BY period_start, tenant_id, vendor
     ORDER BY period_start, tenant_id, vendor LIMIT $8`;
}

/** Advisory lock class of the roll-up; the second key is the day number, so one writer per day at a time. */
const ROLLUP_LOCK = 727_301;

const FACTS = `SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bigint[]) AS f(tenant_id, vendor, metric, quantity)`;

function factParams(day: UsageDay, facts: UsageFact[]): unknown[] {
  return [day, facts.map((f) => f.tenant_id), facts.map((f) => f.vendor), facts.map((f) => f.metric), facts.map((f) => f.quantity)];
}

/**
 * `usage_daily`, `usage_days` and `usage_vendor_calls`: the only code that writes them, and the usage
 * report read from them. (`usage_item_sizes` is written by a trigger on protected_items.)
 */
export class UsageRepository {
  /** Up to `limit` report rows in (period, tenant, vendor) order; row-level security confines them to the transaction's scope. */
  async totals(tx: TenantTx | PartnerTx, q: UsageTotalsQuery, limit: number): Promise<UsageTotals[]> {
    const rows: UsageTotalsRow[] = await tx.query(totalsSql(q.granularity), [
      q.from,
      q.to,
      q.tenantId ?? null,
      q.vendor ?? null,
      q.after?.periodStart ?? null,
      q.after?.tenantId ?? null,
      q.after?.vendor ?? null,
      limit,
    ]);
    return rows.map(usageTotalsFromRow);
  }

  /** The closed (final) days among from..to, as YYYY-MM-DD. */
  async closedDays(tx: SystemDb, from: UsageDay, to: UsageDay): Promise<Set<UsageDay>> {
    const rows: Array<{ day: string }> = await tx.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day FROM usage_days WHERE day BETWEEN $1::date AND $2::date`,
      [from, to],
    );
    return new Set(rows.map((r) => r.day));
  }

  /** Days before `before` that still have open daily rows, oldest first. */
  async openDaysBefore(db: SystemDb, before: UsageDay): Promise<UsageDay[]> {
    const rows: Array<{ day: string }> = await db.query(
      `SELECT DISTINCT to_char(day, 'YYYY-MM-DD') AS day FROM usage_daily WHERE closed_at IS NULL AND day < $1::date ORDER BY 1`,
      [before],
    );
    return rows.map((r) => r.day);
  }

  /** Appends vendor call counts in one statement (the owner: every tenant's rows). */
  async insertVendorCalls(db: SystemDb, counts: VendorCallCount[]): Promise<void> {
    if (!counts.length) return;
    await db.query(
      `INSERT INTO usage_vendor_calls (partner_id, tenant_id, vendor, connection_id, day, calls)
       SELECT t.partner_id, v.tenant_id, v.vendor, v.connection_id, v.day, v.calls
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::date[], $5::int[]) AS v(connection_id, tenant_id, vendor, day, calls)
         JOIN tenants t ON t.id = v.tenant_id`,
      [
        counts.map((c) => c.connectionId),
        counts.map((c) => c.tenantId),
        counts.map((c) => c.vendor),
        counts.map((c) => c.day),
        counts.map((c) => c.calls),
      ],
    );
  }

  /**
   * Stores what the vendor reported for a connection (its own units) as the day's sample, replacing an earlier
   * sample of the same day; a sample equal to the stored one writes nothing.
   */
  async recordVendorSamples(
    tx: TenantTx,
    connectionId: string,
    vendor: string,
    at: Date,
    samples: Array<{ metric: 'licensed_users' | 'storage_bytes'; quantity: number }>,
  ): Promise<void> {
    if (!samples.length) return;
    await tx.query(
      `INSERT INTO usage_vendor_samples (partner_id, tenant_id, connection_id, vendor, day, metric, quantity, sampled_at)
       SELECT t.partner_id, t.id, $2, $3, ($4::timestamptz AT TIME ZONE 'UTC')::date, s.metric, s.quantity, $4
         FROM tenants t, unnest($5::text[], $6::bigint[]) AS s(metric, quantity) WHERE t.id = $1
       ON CONFLICT (connection_id, day, metric) DO UPDATE SET quantity = EXCLUDED.quantity, sampled_at = EXCLUDED.sampled_at
         WHERE usage_vendor_samples.quantity <> EXCLUDED.quantity`,
      [tx.tenantId, connectionId, vendor, at, samples.map((x) => x.metric), samples.map((x) => Math.round(x.quantity))],
    );
  }

  /** Serializes roll-ups of one day (transaction-scoped advisory lock). */
  async lockDay(tx: SqlTx, dayNumber: number): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [ROLLUP_LOCK, dayNumber]);
  }

  async isDayClosed(tx: SqlTx, day: UsageDay): Promise<boolean> {
    const [row]: Array<{ closed_at: Date }> = await tx.query('SELECT closed_at FROM usage_days WHERE day = $1', [day]);
    return Boolean(row);
  }

  /** Records the day as final; its daily rows must have been closed in the same transaction. */
  async closeDay(tx: SqlTx, day: UsageDay): Promise<void> {
    await tx.query('INSERT INTO usage_days (day, closed_at) VALUES ($1, now())', [day]);
  }

  /**
   * Sets an open day's `daily` rows to `facts` (rows no longer in them drop to 0); `closing` also closes
   * every daily row of the day. Returns how many rows were inserted or changed.
   */
  async writeDailyRows(tx: SqlTx, day: UsageDay, facts: UsageFact[], closing: boolean): Promise<number> {
    const upserted: unknown[] = await tx.query(
      `INSERT INTO usage_daily (partner_id, tenant_id, vendor, day, metric, kind, quantity, closed_at)
       SELECT t.partner_id, f.tenant_id, f.vendor, $1::date, f.metric, 'daily', f.quantity, CASE WHEN $6::boolean THEN now() END
         FROM (${FACTS}) f JOIN tenants t ON t.id = f.tenant_id
       ON CONFLICT (tenant_id, vendor, day, metric) WHERE kind = 'daily'
       DO UPDATE SET quantity = EXCLUDED.quantity, closed_at = EXCLUDED.closed_at, computed_at = now()
         WHERE usage_daily.quantity <> EXCLUDED.quantity OR EXCLUDED.closed_at IS NOT NULL
       RETURNING id`,
      [...factParams(day, facts), closing],
    );
    const zeroed = rowsOf<{ id: string }>(
      await tx.query(
        `UPDATE usage_daily d SET quantity = 0, closed_at = CASE WHEN $6::boolean THEN now() END, computed_at = now()
        WHERE d.day = $1::date AND d.kind = 'daily' AND d.closed_at IS NULL AND (d.quantity <> 0 OR $6)
          AND NOT EXISTS (SELECT 1 FROM (${FACTS}) f WHERE f.tenant_id = d.tenant_id AND f.vendor = d.vendor AND f.metric = d.metric)
        RETURNING id`,
        [...factParams(day, facts), closing],
      ),
    );
    return upserted.length + zeroed.length;
  }

  /**
   * For a closed day: where `facts` differ from the sum of the day's rows, inserts a `correction` row
   * holding the difference. Returns how many were inserted.
   */
  async insertCorrections(tx: SqlTx, day: UsageDay, facts: UsageFact[]): Promise<number> {
    const inserted: unknown[] = await tx.query(
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
}

export const usageRepository = new UsageRepository();
