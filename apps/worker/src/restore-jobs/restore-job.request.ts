import type { RestoreJobItemRecord, RestoreJobRow } from '@bg/platform';
import type { RestoreProgress, RestoreRequest, VendorOperationRef } from '@bg/adapters';
import type { RestoreItemStatus, Workload } from '@bg/domain';

/** The vendor-neutral restore request for a stored job (our ids resolved to the vendor's). */
export function toRestoreRequest(job: RestoreJobRow): RestoreRequest {
  return {
    clientRef: job.id,
    workload: job.workload as Workload,
    destination: job.destination as 'original' | 'new',
    target: job.target ?? undefined,
    items: job.items.map((i) => ({
      restorePointRef: i.restorePointRef, protectedItemRef: i.protectedItemRef, externalId: i.externalId,
      pointInTime: new Date(i.pointInTime), paths: i.paths,
    })),
  };
}

export function storedRef(job: RestoreJobRow): VendorOperationRef {
  return { vendorRef: job.vendor_ref ?? '', extra: job.vendor_extra ?? undefined };
}

/**
 * Merges the vendor's per-item results into our items (matched by restore point ref, else by position).
 * A ref several items share (a Veeam restore point covers every item of a job run) matches by position.
 */
export function mergeItems(items: RestoreJobItemRecord[], progress: RestoreProgress, jobStatus: RestoreItemStatus): RestoreJobItemRecord[] {
  const byRef = new Map((progress.items ?? []).filter((p, _, all) => all.filter((q) => q.restorePointRef === p.restorePointRef).length === 1).map((p) => [p.restorePointRef, p]));
  return items.map((item, index) => {
    const p = byRef.get(item.restorePointRef) ?? (progress.items?.length === items.length ? progress.items[index] : undefined);
    if (!p) return { ...item, status: item.status === 'pending' || item.status === 'running' ? jobStatus : item.status };
    return {
      ...item, status: p.status, vendorStatus: p.vendorStatus,
      errorCode: p.errorCode, vendorCode: p.vendorCode, errorMessage: p.errorMessage,
    };
  });
}

/** The item status implied by a whole-job state when the vendor reports no per-item detail. */
export function itemStatusFor(state: RestoreProgress['state']): RestoreItemStatus {
  switch (state) {
    case 'succeeded': return 'succeeded';
    case 'failed': return 'failed';
    case 'cancelled': return 'cancelled';
    case 'pending': return 'pending';
    default: return 'running';
  }
}
