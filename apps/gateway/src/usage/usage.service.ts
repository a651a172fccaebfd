import { Injectable } from '@nestjs/common';
import type { UsageTotals } from '@bg/domain';
import { addDays, TenantDb, isUsageDay, isUuid, toUsageResource, usageRepository, type PartnerTx, type TenantTx } from '@bg/platform';
import { problem, ProblemError } from '../common/problem';
import { periodEnd, type UsageQuery, type UsageRow } from './usage.dto';

/** Whose usage: one tenant, or every tenant of a partner (optionally narrowed to one). */
export type UsageScope = { tenantId: string } | { partnerId: string; tenantId?: string };

/** Position after the last row of a page: (period start, tenant, vendor), the order of the rows (the cursor's JSON). */
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
    if (typeof k.p === 'string' && isUsageDay(k.p) && isUuid(k.t) && typeof k.v === 'string' && k.v.length < 100)
      return { p: k.p, t: k.t, v: k.v };
  } catch {
    // fall through
  }
  throw new ProblemError(
    problem('VALIDATION_FAILED', 'The cursor is not valid; use the nextCursor of a previous page.', {
      errors: [{ path: 'cursor', message: 'invalid' }],
    }),
  );
}

@Injectable()
export class UsageService {
  constructor(private readonly db: TenantDb) {}

  /** Up to `limit` rows after `after`, and the key to continue from when there are more. */
  async page(scope: UsageScope, q: UsageQuery, after: UsageKey | undefined, limit: number): Promise<{ rows: UsageRow[]; next?: UsageKey }> {
    return this.inScope(scope, async (tx) => {
      const totals = await usageRepository.totals(
        tx,
        {
          from: q.from,
          to: q.to,
          granularity: q.granularity,
          tenantId: scope.tenantId,
          vendor: q.vendor,
          after: after && { periodStart: after.p, tenantId: after.t, vendor: after.v },
        },
        limit + 1,
      );
      const more = totals.length > limit;
      const slice = more ? totals.slice(0, limit) : totals;
      const closedDays = await usageRepository.closedDays(tx, q.from, q.to);
      const rows = slice.map((u) => toUsageResource(u, q.granularity, this.isClosed(u.periodStart, q, closedDays)));
      const last: UsageTotals | undefined = slice[slice.length - 1];
      return { rows, next: more && last ? { p: last.periodStart, t: last.tenantId, v: last.vendor } : undefined };
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

  private inScope<T>(scope: UsageScope, fn: (tx: TenantTx | PartnerTx) => Promise<T>): Promise<T> {
    return 'partnerId' in scope ? this.db.runAsPartner(scope.partnerId, fn) : this.db.run(scope.tenantId, fn);
  }

  /** Whether every day of the period inside from..to is closed. */
  private isClosed(periodStart: string, q: UsageQuery, closedDays: Set<string>): boolean {
    const last = periodEnd(periodStart, q.granularity, q.to);
    for (let d = periodStart < q.from ? q.from : periodStart; d <= last; d = addDays(d, 1)) if (!closedDays.has(d)) return false;
    return true;
  }
}
