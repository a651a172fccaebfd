import type { VendorId } from './vendor';

/** The metered quantities stored per tenant, vendor and UTC day (one row per metric). */
export const USAGE_METRICS = [
  'protected_items',
  'protected_bytes',
  'restore_jobs_succeeded',
  'restore_jobs_partially_succeeded',
  'restore_jobs_failed',
  'restore_jobs_cancelled',
  'restored_items',
  'restored_bytes',
  'vendor_api_calls',
  // Bytes the vendor reports its backup runs processed (runs ended that day), where it reports them.
  'backed_up_bytes',
  // Sampled from the vendor in its own unit (usage_vendor_samples): the day's last sample per connection, summed.
  'licensed_users',
  'storage_bytes',
] as const;
export type UsageMetric = (typeof USAGE_METRICS)[number];

export type UsageGranularity = 'day' | 'month';

/**
 * Metered usage of one tenant and vendor over one period (a UTC day or month), net of corrections.
 * For a month, protectedItems / protectedBytes are the peak day and protectedItemDays / protectedByteDays
 * the sums over its days (the billing unit); the other quantities are sums. For a day, peak and sum agree.
 */
export interface UsageTotals {
  /** First day of the period, YYYY-MM-DD. */
  periodStart: string;
  tenantId: string;
  vendor: VendorId;
  protectedItems: number;
  protectedItemDays: number;
  protectedBytes: number;
  protectedByteDays: number;
  restoreJobs: { succeeded: number; partiallySucceeded: number; failed: number; cancelled: number };
  restoredItems: number;
  restoredBytes: number;
  vendorApiCalls: number;
  /** Bytes the vendor's backup runs processed (sum), where the vendor reports it. */
  backedUpBytes: number;
  /** The vendor's licensed users (Veeam) and backup storage used: for a month, the peak day. */
  licensedUsers: number;
  storageBytes: number;
}
