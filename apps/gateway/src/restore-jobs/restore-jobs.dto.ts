import { z } from 'zod';
import { RESTORE_JOB_STATUSES } from '@bg/domain';
import type { RestoreJobRow } from '@bg/platform';
import { cursorQuery } from '../common/zod';

export const createRestoreJobSchema = z.strictObject({
  items: z.array(z.strictObject({
    restorePointId: z.uuid(),
    paths: z.array(z.string().min(1).max(2000)).max(1000).optional().describe('Files/folders inside the item (vendors with file-level restore).'),
  })).min(1).max(1000),
  destination: z.enum(['original', 'new']).default('original'),
  target: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/), z.string().max(2000)).optional()
    .describe('Where to restore for destination "new" (vendor-neutral keys, e.g. siteUrl, userPrincipalName, storageAccountId).'),
});
export type CreateRestoreJob = z.infer<typeof createRestoreJobSchema>;

export const listRestoreJobsQuery = cursorQuery.extend({ status: z.enum(RESTORE_JOB_STATUSES).optional() });

export function toRestoreJob(r: RestoreJobRow) {
  return {
    id: r.id, tenantId: r.tenant_id, connectionId: r.connection_id, vendor: r.vendor, workload: r.workload,
    destination: r.destination, target: r.target, status: r.status, statusReason: r.status_reason,
    items: r.items.map((i) => ({
      restorePointId: i.restorePointId, protectedItemId: i.protectedItemId, externalId: i.externalId, paths: i.paths,
      status: i.status, vendorStatus: i.vendorStatus ?? null,
      error: i.errorCode ? { code: i.errorCode, vendorCode: i.vendorCode ?? null, message: i.errorMessage ?? null } : null,
    })),
    vendorRef: r.vendor_ref, vendorStatus: r.vendor_status,
    error: r.error_code ? { code: r.error_code, message: r.error_message, ...(r.error_detail ?? {}) } : null,
    cancelRequested: r.cancel_requested, createdAt: r.created_at, updatedAt: r.updated_at, completedAt: r.completed_at,
  };
}

export function toRestoreJobEvent(r: { id: string; type: string; from_status: string | null; to_status: string | null; detail: Record<string, unknown>; created_at: Date }) {
  return { id: Number(r.id), type: r.type, fromStatus: r.from_status, toStatus: r.to_status, detail: r.detail, at: r.created_at };
}
