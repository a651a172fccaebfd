import { z } from 'zod';
import { VENDOR_IDS } from '@bg/domain';
import { addDays, daysInRange, utcDay } from '@bg/platform';

/** The longest range one usage request may cover, both ends included. */
export const MAX_USAGE_RANGE_DAYS = 400;

const isoDay = z.iso.date({ message: 'must be an ISO date (YYYY-MM-DD)' });

/**
 * GET /v1/usage and /v1/tenants/{id}/usage. `to` defaults to today (UTC), `from` to the first day of
 * `to`'s month: no parameters = the current month so far.
 */
const usageQueryFields = z.strictObject({
  from: isoDay.optional().describe('First UTC day (YYYY-MM-DD), included. Default: the first day of the month of `to`.'),
  to: isoDay.optional().describe('Last UTC day (YYYY-MM-DD), included. Default: today (UTC).'),
  tenantId: z.uuid().optional().describe('GET /v1/usage only: one tenant of the partner.'),
  vendor: z.enum(VENDOR_IDS).optional(),
  granularity: z.enum(['day', 'month']).default('day'),
  cursor: z.string().max(300).optional().describe('JSON answers only: the nextCursor of the previous page.'),
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('JSON answers only: rows per page.'),
});

function resolveRange<T extends { from?: string; to?: string }>(q: T, ctx: z.RefinementCtx): T & { from: string; to: string } {
  const to = q.to ?? utcDay(new Date());
  const from = q.from ?? `${to.slice(0, 7)}-01`;
  if (from > to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
  else if (daysInRange(from, to) > MAX_USAGE_RANGE_DAYS) ctx.addIssue({ code: 'custom', path: ['to'], message: `the range may cover at most ${MAX_USAGE_RANGE_DAYS} days` });
  return { ...q, from, to };
}

export const usageQuery = usageQueryFields.transform(resolveRange);
/** GET /v1/tenants/{id}/usage: the tenant is in the path. */
export const tenantUsageQuery = usageQueryFields.omit({ tenantId: true }).transform(resolveRange);
export type UsageQuery = z.output<typeof usageQuery>;

/** One usage row as stored per period (sums of quantities are numeric strings from Postgres). */
export interface UsageRowRecord {
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
}

const n = (v: string | null) => (v === null ? 0 : Number(v));

export type Granularity = UsageQuery['granularity'];

/** The label of a period: the day (YYYY-MM-DD) or the month (YYYY-MM). */
export function periodLabel(periodStart: string, granularity: Granularity): string {
  return granularity === 'month' ? periodStart.slice(0, 7) : periodStart;
}

/**
 * API shape of one row. For a month, protectedItems and protectedBytes are the peak day of the month
 * and protectedItemDays / protectedByteDays the sums over its days (the billing unit); the other
 * metrics are sums. For a day, peak and sum are the same number.
 */
export function toUsageRow(r: UsageRowRecord, granularity: Granularity, closed: boolean) {
  const restoreJobs = {
    succeeded: n(r.restore_jobs_succeeded), partiallySucceeded: n(r.restore_jobs_partially_succeeded),
    failed: n(r.restore_jobs_failed), cancelled: n(r.restore_jobs_cancelled),
  };
  return {
    period: periodLabel(r.period_start, granularity), tenantId: r.tenant_id, vendor: r.vendor, closed,
    metrics: {
      protectedItems: n(r.protected_items), protectedItemDays: n(r.protected_item_days),
      protectedBytes: n(r.protected_bytes), protectedByteDays: n(r.protected_byte_days),
      restoreJobs: { ...restoreJobs, total: restoreJobs.succeeded + restoreJobs.partiallySucceeded + restoreJobs.failed + restoreJobs.cancelled },
      restoredItems: n(r.restored_items), restoredBytes: n(r.restored_bytes), vendorApiCalls: n(r.vendor_api_calls),
    },
  };
}
export type UsageRow = ReturnType<typeof toUsageRow>;

/** Last day of the period that starts at `periodStart` (clipped to `to`). */
export function periodEnd(periodStart: string, granularity: Granularity, to: string): string {
  if (granularity === 'day') return periodStart;
  const nextMonth = new Date(`${periodStart.slice(0, 7)}-01T00:00:00Z`);
  nextMonth.setUTCMonth(nextMonth.getUTCMonth() + 1);
  const last = addDays(utcDay(nextMonth), -1);
  return last < to ? last : to;
}

/** The row JSON schema, for the OpenAPI document. */
export const usageRowSchema = z.object({
  period: z.string().describe('YYYY-MM-DD (granularity day) or YYYY-MM (month).'),
  tenantId: z.uuid(),
  vendor: z.enum(VENDOR_IDS),
  closed: z.boolean().describe('Every day of the period (within from..to) is closed: its numbers change only by correction rows.'),
  metrics: z.object({
    protectedItems: z.number().int().describe('Items protected at any time of the day; for a month the peak day.'),
    protectedItemDays: z.number().int().describe('Sum over the days of protectedItems (item-days, the billing unit).'),
    protectedBytes: z.number().int().describe('Size of those items as the vendor reported it (0 where unknown); for a month the peak day.'),
    protectedByteDays: z.number().int().describe('Sum over the days of protectedBytes.'),
    restoreJobs: z.object({
      succeeded: z.number().int(), partiallySucceeded: z.number().int(), failed: z.number().int(), cancelled: z.number().int(), total: z.number().int(),
    }).describe('Restore jobs by terminal status, on the UTC day they completed.'),
    restoredItems: z.number().int().describe('Items of those jobs that were restored (status succeeded).'),
    restoredBytes: z.number().int().describe('Size of the restored items at completion (0 where the vendor reported none).'),
    vendorApiCalls: z.number().int().describe('HTTP calls the worker made to the vendor (answered with any status).'),
  }),
});

export const usagePageSchema = z.object({
  from: z.string(), to: z.string(), granularity: z.enum(['day', 'month']),
  items: z.array(usageRowSchema), nextCursor: z.string().nullable(),
});
