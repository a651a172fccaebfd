import { z } from 'zod';
import { VENDOR_IDS } from '@bg/domain';
import { addDays, daysInRange, utcDay, type UsageResource } from '@bg/platform';
import { documents, named } from '../common/openapi';

/** The longest range one usage request may cover, both ends included. */
export const MAX_USAGE_RANGE_DAYS = 400;

const isoDay = z.iso.date({ message: 'must be an ISO date (YYYY-MM-DD)' });

/**
 * GET /v1/usage and /v1/tenants/{id}/usage. `to` defaults to today (UTC), `from` to the first day of
 * `to`'s month: no parameters = the current month so far.
 */
export const usageQueryFields = z.strictObject({
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
  else if (daysInRange(from, to) > MAX_USAGE_RANGE_DAYS)
    ctx.addIssue({ code: 'custom', path: ['to'], message: `the range may cover at most ${MAX_USAGE_RANGE_DAYS} days` });
  return { ...q, from, to };
}

export const usageQuery = usageQueryFields.transform(resolveRange);
/** GET /v1/tenants/{id}/usage: the tenant is in the path. */
export const tenantUsageQueryFields = usageQueryFields.omit({ tenantId: true });
export const tenantUsageQuery = tenantUsageQueryFields.transform(resolveRange);
export type UsageQuery = z.output<typeof usageQuery>;

export type Granularity = UsageQuery['granularity'];

/** One usage row of the API (see toUsageResource). */
export type UsageRow = UsageResource;

/** Last day of the period that starts at `periodStart` (clipped to `to`). */
export function periodEnd(periodStart: string, granularity: Granularity, to: string): string {
  if (granularity === 'day') return periodStart;
  const nextMonth = new Date(`${periodStart.slice(0, 7)}-01T00:00:00Z`);
  nextMonth.setUTCMonth(nextMonth.getUTCMonth() + 1);
  const last = addDays(utcDay(nextMonth), -1);
  return last < to ? last : to;
}

/** The row JSON schema, for the OpenAPI document. */
export const usageRowSchema = named(
  'UsageRow',
  z.object({
    period: z.string().describe('YYYY-MM-DD (granularity day) or YYYY-MM (month).'),
    tenantId: z.uuid(),
    vendor: z.enum(VENDOR_IDS),
    closed: z.boolean().describe('Every day of the period (within from..to) is closed: its numbers change only by correction rows.'),
    metrics: z.object({
      protectedItems: z.number().int().describe('Items protected at any time of the day; for a month the peak day.'),
      protectedItemDays: z.number().int().describe('Sum over the days of protectedItems (item-days, the billing unit).'),
      protectedBytes: z
        .number()
        .int()
        .describe('Size of those items as the vendor reported it (0 where unknown); for a month the peak day.'),
      protectedByteDays: z.number().int().describe('Sum over the days of protectedBytes.'),
      restoreJobs: z
        .object({
          succeeded: z.number().int(),
          partiallySucceeded: z.number().int(),
          failed: z.number().int(),
          cancelled: z.number().int(),
          total: z.number().int(),
        })
        .describe('Restore jobs by terminal status, on the UTC day they completed.'),
      restoredItems: z.number().int().describe('Items of those jobs that were restored (status succeeded).'),
      restoredBytes: z.number().int().describe('Size of the restored items at completion (0 where the vendor reported none).'),
      vendorApiCalls: z.number().int().describe('HTTP calls the worker made to the vendor (answered with any status).'),
      backedUpBytes: z
        .number()
        .int()
        .describe('Bytes the vendor reports its backup runs processed, by the day a run ended (0 where the vendor reports no run sizes).'),
      licensedUsers: z
        .number()
        .int()
        .describe(
          "The vendor's licensed users (Veeam), sampled from the vendor; for a month the peak day. 0 for vendors without the unit.",
        ),
      storageBytes: z
        .number()
        .int()
        .describe('Backup storage the vendor reports this connection using (Veeam repositories); for a month the peak day.'),
    }),
  }),
);
documents<typeof usageRowSchema, UsageResource>(true);

export const usagePageSchema = named(
  'UsagePage',
  z.object({
    from: z.string(),
    to: z.string(),
    granularity: z.enum(['day', 'month']),
    items: z.array(usageRowSchema),
    nextCursor: z.string().nullable(),
  }),
);
