import type { VendorBackupRun } from '@bg/adapters';
import type { ObservedBackupRun } from '@bg/platform';

/** What a vendor reports of a run, as backup_runs stores it (absent facts as null). */
export function runFacts(
  v: VendorBackupRun,
): Pick<ObservedBackupRun, 'status' | 'vendorStatus' | 'startedAt' | 'endedAt' | 'itemsProcessed' | 'bytesProcessed' | 'error'> {
  return {
    status: v.status,
    vendorStatus: v.vendorStatus,
    startedAt: v.startedAt ?? null,
    endedAt: v.endedAt ?? null,
    itemsProcessed: v.itemsProcessed ?? null,
    bytesProcessed: v.bytesProcessed ?? null,
    error: v.error ? { code: v.error.code, vendorCode: v.error.vendorCode ?? null, message: v.error.message } : null,
  };
}
