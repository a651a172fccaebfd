import type { RestorePointRecord } from './restore-point.repository';

/** The public JSON of a restore point. */
export function toRestorePointResource(p: RestorePointRecord) {
  return {
    id: p.id,
    tenantId: p.tenantId,
    connectionId: p.connectionId,
    protectedItemId: p.protectedItemId,
    pointInTime: p.pointInTime,
    expiresAt: p.expiresAt,
    tags: p.tags,
    vendorRef: p.vendorRef,
    createdAt: p.createdAt,
  };
}
export type RestorePointResource = ReturnType<typeof toRestorePointResource>;
