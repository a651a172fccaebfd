import type { RestoreJob } from '@bg/domain';
import type { RestoreRequest, VendorOperationRef } from '@bg/adapters';

/** The vendor-neutral restore request for a stored job (our ids resolved to the vendor's). */
export function toRestoreRequest(job: RestoreJob): RestoreRequest {
  return {
    clientRef: job.id,
    workload: job.workload,
    destination: job.destination,
    target: job.target ?? undefined,
    // Items already restored are not sent again (a resubmission of the items the vendor refused for now).
    items: job.items
      .filter((i) => i.status !== 'succeeded')
      .map((i) => ({
        restorePointRef: i.restorePointRef,
        protectedItemRef: i.protectedItemRef,
        externalId: i.externalId,
        pointInTime: new Date(i.pointInTime),
        paths: i.paths,
      })),
  };
}

/** The vendor's handle of a job's restore, as stored. */
export function storedRef(job: Pick<RestoreJob, 'vendorRef' | 'vendorExtra'>): VendorOperationRef {
  return { vendorRef: job.vendorRef ?? '', extra: job.vendorExtra ?? undefined };
}
