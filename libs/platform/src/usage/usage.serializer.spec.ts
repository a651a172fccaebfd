import { usageTotalsFromRow } from './usage.repository';
import { toUsageResource } from './usage.serializer';

describe('usage rows', () => {
  const row = {
    period_start: '2025-03-01',
    tenant_id: 't1',
    vendor: 'graph',
    protected_items: '12',
    protected_item_days: '300',
    protected_bytes: '4096',
    protected_byte_days: null,
    restore_jobs_succeeded: '2',
    restore_jobs_partially_succeeded: null,
    restore_jobs_failed: '1',
    restore_jobs_cancelled: null,
    restored_items: null,
    restored_bytes: '0',
    vendor_api_calls: '17',
    backed_up_bytes: '5000',
    licensed_users: null,
    storage_bytes: '123',
  };

  it('turns Postgres numeric strings into numbers and missing metrics into 0', () => {
    expect(usageTotalsFromRow(row)).toMatchObject({
      periodStart: '2025-03-01',
      tenantId: 't1',
      vendor: 'graph',
      protectedItems: 12,
      protectedItemDays: 300,
      protectedByteDays: 0,
      restoreJobs: { succeeded: 2, partiallySucceeded: 0, failed: 1, cancelled: 0 },
      restoredItems: 0,
      vendorApiCalls: 17,
      backedUpBytes: 5000,
      licensedUsers: 0,
      storageBytes: 123,
    });
  });

  it('labels a month by YYYY-MM and totals the restore jobs', () => {
    const r = toUsageResource(usageTotalsFromRow(row), 'month', false);
    expect(r.period).toBe('2025-03');
    expect(r.closed).toBe(false);
    expect(r.metrics.restoreJobs).toEqual({ succeeded: 2, partiallySucceeded: 0, failed: 1, cancelled: 0, total: 3 });
    expect(Object.keys(r.metrics)).toEqual([
      'protectedItems',
      'protectedItemDays',
      'protectedBytes',
      'protectedByteDays',
      'restoreJobs',
      'restoredItems',
      'restoredBytes',
      'vendorApiCalls',
      'backedUpBytes',
      'licensedUsers',
      'storageBytes',
    ]);
    expect(toUsageResource(usageTotalsFromRow(row), 'day', true).period).toBe('2025-03-01');
  });
});
