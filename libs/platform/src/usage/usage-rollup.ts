import type { DataSource } from 'typeorm';
import { computeUsageFacts } from './usage-facts';
import { dayStart, isDayClosable, type UsageDay } from './usage-metrics';
import { usageRepository } from './usage.repository';

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
    await usageRepository.lockDay(tx, dayNumber);
    const facts = await computeUsageFacts(tx, day);
    if (await usageRepository.isDayClosed(tx, day))
      return { day, state: 'final', rows: await usageRepository.insertCorrections(tx, day, facts) };
    const closing = isDayClosable(day, opts.now, opts.graceMinutes);
    const rows = await usageRepository.writeDailyRows(tx, day, facts, closing);
    if (closing) await usageRepository.closeDay(tx, day);
    return { day, state: closing ? 'closed' : 'open', rows };
  });
}
