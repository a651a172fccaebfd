import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { addDays, TenantDb, isUsageDay, isUuid } from '@bg/platform';
import { problem, ProblemError } from '../common/problem';
import { periodEnd, toUsageRow, type UsageQuery, type UsageRow, type UsageRowRecord } from './usage.dto';

/** Whose usage: one tenant, or every tenant of a partner (optionally narrowed to one). */
export type UsageScope = { tenantId: string } | { partnerId: string; tenantId?: string };

/** Position after the last row of a page: (period start, tenant, vendor), the order of the rows. */
export interface UsageKey {
  p: string;
  t: string;
  v: string;
}

export function encodeUsageCursor(key: UsageKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeUsageCursor(cursor: string | undefined): UsageKey | undefined {
  if (!cursor) return undefined;
  try {
    const k = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<UsageKey>;
    if (typeof k.p === 'string' && isUsageDay(k.p) && isUuid(k.t) && typeof k.v === 'string' && k.v.length < 100) return { p: k.p, t: k.t, v: k.v };
  } catch {
    // fall through
  }
  throw new ProblemError(problem('VALIDATION_FAILED', 'The cursor is not valid; use the nextCursor of a previous page.', { errors: [{ path: 'cursor', message: 'invalid' }] }));
}

const PERIOD = { day: 'day', month: `date_trunc('month', day)::date` } as const;

/**
 * Net quantity per day and metric (daily row plus its corrections), then one row per period, tenant
 * and vendor. protected_* are both the peak day (max) and the sum over days; everything else sums.
 */
function usageSql(granularity: UsageQuery['granularity']): string {
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
           ${sum('restore_jobs_cancelled')}, ${sum('restored_items')}, ${sum('restored_bytes')}, ${sum('vendor_api_calls')}
      FROM net GROUP BY period_start, tenant_id, vendor
     ORDER BY period_start, tenant_id, vendor LIMIT $8`;
}

@Injectable()
export class UsageService {
  constructor(private readonly db: TenantDb) {}

  /** Up to `limit` rows after `after`, and the key to continue from when there are more. */
  async page(scope: UsageScope, q: UsageQuery, after: UsageKey | undefined, limit: number): Promise<{ rows: UsageRow[]; next?: UsageKey }> {
    return this.inScope(scope, async (tx) => {
      const records: UsageRowRecord[] = await tx.query(usageSql(q.granularity), [
        q.from, q.to, scope.tenantId ?? null, q.vendor ?? null, after?.p ?? null, after?.t ?? null, after?.v ?? null, limit + 1,
      ]);
      const more = records.length > limit;
      const slice = more ? records.slice(0, limit) : records;
      const closedDays = await this.closedDays(tx, q.from, q.to);
      const rows = slice.map((r) => toUsageRow(r, q.granularity, this.isClosed(r.period_start, q, closedDays)));
      const last = slice[slice.length - 1];
      return { rows, next: more ? { p: last.period_start, t: last.tenant_id, v: last.vendor } : undefined };
    });
  }

  /** Every row of the range, a page at a time (each page its own short transaction). */
  async *all(scope: UsageScope, q: UsageQuery, pageSize = 1000): AsyncGenerator<UsageRow> {
    let after: UsageKey | undefined;
    do {
      const { rows, next } = await this.page(scope, q, after, pageSize);
      yield* rows;
      after = next;
    } while (after);
  }

  private inScope<T>(scope: UsageScope, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    return 'partnerId' in scope ? this.db.runAsPartner(scope.partnerId, fn) : this.db.run(scope.tenantId, fn);
  }

  private async closedDays(tx: EntityManager, from: string, to: string): Promise<Set<string>> {
    const rows: Array<{ day: string }> = await tx.query(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day FROM usage_days WHERE day BETWEEN $1::date AND $2::date`, [from, to],
    );
    return new Set(rows.map((r) => r.day));
  }

  /** Whether every day of the period inside from..to is closed. */
  private isClosed(periodStart: string, q: UsageQuery, closedDays: Set<string>): boolean {
    const last = periodEnd(periodStart, q.granularity, q.to);
    for (let d = periodStart < q.from ? q.from : periodStart; d <= last; d = addDays(d, 1)) if (!closedDays.has(d)) return false;
    return true;
  }
}
