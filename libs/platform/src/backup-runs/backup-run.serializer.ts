import type { BackupRun } from '@bg/domain';
import type { BackupRunItemOutcome } from './backup-run.repository';

/** The public JSON of a backup run (REST answers, events); `items` where the read includes them. */
export function toBackupRunResource(r: BackupRun, items?: BackupRunItemOutcome[]) {
  return {
    id: r.id,
    tenantId: r.tenantId,
    connectionId: r.connectionId,
    policyId: r.policyId,
    protectedItemId: r.protectedItemId,
    trigger: r.trigger,
    status: r.status,
    vendorRef: r.vendorRef,
    vendorStatus: r.vendorStatus,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    itemsProcessed: r.itemsProcessed,
    bytesProcessed: r.bytesProcessed,
    error: r.error ? { ...r.error } : null,
    ...(items ? { items: items.map((i) => ({ protectedItemId: i.protectedItemId, status: i.status, error: i.error })) } : {}),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}
export type BackupRunResource = ReturnType<typeof toBackupRunResource>;
