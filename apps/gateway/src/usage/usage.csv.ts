import type { UsageRow } from './usage.dto';

/** CSV columns, in order: the row's fields with its metrics flattened. */
export const USAGE_CSV_COLUMNS = [
  'period',
  'tenantId',
  'vendor',
  'closed',
  'protectedItems',
  'protectedItemDays',
  'protectedBytes',
  'protectedByteDays',
  'restoreJobsSucceeded',
  'restoreJobsPartiallySucceeded',
  'restoreJobsFailed',
  'restoreJobsCancelled',
  'restoreJobsTotal',
  'restoredItems',
  'restoredBytes',
  'vendorApiCalls',
  'backedUpBytes',
  'licensedUsers',
  'storageBytes',
] as const;

/** One RFC 4180 field: quoted (inner quotes doubled) when it holds a comma, a quote, CR or LF. */
export function csvField(value: string | number | boolean): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One RFC 4180 record, CRLF-terminated. */
export function csvLine(values: Array<string | number | boolean>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export function usageCsvHeader(): string {
  return csvLine([...USAGE_CSV_COLUMNS]);
}

export function usageCsvLine(r: UsageRow): string {
  const m = r.metrics;
  return csvLine([
    r.period,
    r.tenantId,
    r.vendor,
    r.closed,
    m.protectedItems,
    m.protectedItemDays,
    m.protectedBytes,
    m.protectedByteDays,
    m.restoreJobs.succeeded,
    m.restoreJobs.partiallySucceeded,
    m.restoreJobs.failed,
    m.restoreJobs.cancelled,
    m.restoreJobs.total,
    m.restoredItems,
    m.restoredBytes,
    m.vendorApiCalls,
    m.backedUpBytes,
    m.licensedUsers,
    m.storageBytes,
  ]);
}

/**
 * Whether the Accept header prefers CSV to JSON: text/csv with a higher quality than application/json
 * (or a wildcard covering it), or listed first at the same quality. Anything else answers JSON.
 */
export function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = accept.split(',').map((part, index) => {
    const [type, ...params] = part
      .trim()
      .toLowerCase()
      .split(';')
      .map((s) => s.trim());
    const q = params.find((p) => p.startsWith('q='));
    return { type, q: q ? Number(q.slice(2)) || 0 : 1, index };
  });
  const best = (types: string[]) => ranges.filter((r) => types.includes(r.type)).sort((a, b) => b.q - a.q || a.index - b.index)[0];
  const csv = best(['text/csv']);
  const json = best(['application/json', 'application/*', '*/*']);
  if (!csv || csv.q <= 0) return false;
  return !json || csv.q > json.q || (csv.q === json.q && csv.index < json.index);
}
