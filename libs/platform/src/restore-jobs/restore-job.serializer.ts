import type { RestoreJob, RestoreJobEvent } from '@bg/domain';

/**
 * The public JSON of a restore job: the REST answers, the events API and the webhook payloads all
 * carry this shape, built here and nowhere else.
 */
export function toRestoreJobResource(job: RestoreJob) {
  return {
    id: job.id,
    tenantId: job.tenantId,
    connectionId: job.connectionId,
    vendor: job.vendor,
    workload: job.workload,
    destination: job.destination,
    target: job.target,
    status: job.status,
    statusReason: job.statusReason,
    items: job.items.map((i) => ({
      restorePointId: i.restorePointId,
      protectedItemId: i.protectedItemId,
      externalId: i.externalId,
      paths: i.paths,
      status: i.status,
      vendorStatus: i.vendorStatus ?? null,
      error: i.errorCode ? { code: i.errorCode, vendorCode: i.vendorCode ?? null, message: i.errorMessage ?? null } : null,
    })),
    vendorRef: job.vendorRef,
    vendorStatus: job.vendorStatus,
    error: job.error ? { code: job.error.code, message: job.error.message, ...(job.error.detail ?? {}) } : null,
    cancelRequested: job.cancelRequested,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    completedAt: job.completedAt,
  };
}
export type RestoreJobResource = ReturnType<typeof toRestoreJobResource>;

/** One entry of a job's history (GET .../restore-jobs/{id}/events). */
export function toRestoreJobEventResource(e: RestoreJobEvent) {
  return { id: Number(e.id), type: e.type, fromStatus: e.fromStatus, toStatus: e.toStatus, detail: e.detail, at: e.createdAt };
}
