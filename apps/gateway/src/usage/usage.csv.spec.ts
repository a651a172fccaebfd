import { toUsageResource, usageTotalsFromRow } from '@bg/platform';
import { csvField, csvLine, prefersCsv, usageCsvHeader, usageCsvLine } from './usage.csv';

describe('usage CSV (RFC 4180)', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\r\nlines', '"two\r\nlines"'],
    ['lf\n', '"lf\n"'],
    [42, '42'],
    [true, 'true'],
  ])('writes %j as %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('ends every record with CRLF', () => {
    expect(csvLine(['a', 'b,c', 1])).toBe('a,"b,c",1\r\n');
  });

  it('writes a header and one line per row, metrics flattened in header order', () => {
    const row = toUsageResource(
      usageTotalsFromRow({
        period_start: '2025-03-01',
        tenant_id: '0190a0a0-0000-7000-8000-000000000001',
        vendor: 'azure-dataprotection',
        protected_items: '3',
        protected_item_days: '3',
        protected_bytes: '300',
        protected_byte_days: '300',
        restore_jobs_succeeded: '2',
        restore_jobs_partially_succeeded: null,
        restore_jobs_failed: '1',
        restore_jobs_cancelled: null,
        restored_items: '4',
        restored_bytes: '4096',
        vendor_api_calls: '17',
        backed_up_bytes: '9000',
        licensed_users: '25',
        storage_bytes: null,
      }),
      'day',
      true,
    );
    const header = usageCsvHeader().trimEnd().split(',');
    const values = usageCsvLine(row).trimEnd().split(',');
    expect(Object.fromEntries(header.map((h, i) => [h, values[i]]))).toEqual({
      period: '2025-03-01',
      tenantId: '0190a0a0-0000-7000-8000-000000000001',
      vendor: 'azure-dataprotection',
      closed: 'true',
      protectedItems: '3',
      protectedItemDays: '3',
      protectedBytes: '300',
      protectedByteDays: '300',
      restoreJobsSucceeded: '2',
      restoreJobsPartiallySucceeded: '0',
      restoreJobsFailed: '1',
      restoreJobsCancelled: '0',
      restoreJobsTotal: '3',
      restoredItems: '4',
      restoredBytes: '4096',
      vendorApiCalls: '17',
      backedUpBytes: '9000',
      licensedUsers: '25',
      storageBytes: '0',
    });
  });
});

describe('prefersCsv (Accept negotiation)', () => {
  it.each([
    ['text/csv', true],
    ['text/csv; charset=utf-8', true],
    ['text/csv, application/json', true],
    ['application/json, text/csv', false],
    ['application/json;q=0.5, text/csv', true],
    ['text/csv;q=0.1, */*', false],
    ['*/*', false],
    [undefined, false],
    ['text/csv;q=0', false],
    ['application/json', false],
    ['text/html, text/csv;q=0.9', true],
  ])('%s -> %s', (accept, csv) => {
    expect(prefersCsv(accept)).toBe(csv);
  });
});
