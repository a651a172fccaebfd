import type { UsageGranularity, UsageTotals } from '@bg/domain';

/** The label of a period: the day (YYYY-MM-DD) or the month (YYYY-MM). */
export function periodLabel(periodStart: string, granularity: UsageGranularity): string {
  return granularity === 'month' ? periodStart.slice(0, 7) : periodStart;
}

/**
 * The public JSON of one usage row (GET /v1/usage; the CSV flattens it). For a month, protectedItems
 * and protectedBytes are the peak day of the month and protectedItemDays / protectedByteDays the sums
 * over its days (the billing unit); licensedUsers and storageBytes (sampled from the vendor in its own unit) are
 * the peak day; the other metrics are sums. `closed`: every day of the period
 * within the requested range is final.
 */
export function toUsageResource(u: UsageTotals, granularity: UsageGranularity, closed: boolean) {
  const { succeeded, partiallySucceeded, failed, cancelled } = u.restoreJobs;
  return {
    period: periodLabel(u.periodStart, granularity),
    tenantId: u.tenantId,
    vendor: u.vendor,
    closed,
    metrics: {
      protectedItems: u.protectedItems,
      protectedItemDays: u.protectedItemDays,
      protectedBytes: u.protectedBytes,
      protectedByteDays: u.protectedByteDays,
      restoreJobs: { succeeded, partiallySucceeded, failed, cancelled, total: succeeded + partiallySucceeded + failed + cancelled },
      restoredItems: u.restoredItems,
      restoredBytes: u.restoredBytes,
      vendorApiCalls: u.vendorApiCalls,
      backedUpBytes: u.backedUpBytes,
      licensedUsers: u.licensedUsers,
      storageBytes: u.storageBytes,
    },
  };
}
export type UsageResource = ReturnType<typeof toUsageResource>;
