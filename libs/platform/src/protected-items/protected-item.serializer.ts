import type { ProtectedItem } from '@bg/domain';

/** The public JSON of a protected item (REST answers). */
export function toProtectedItemResource(i: ProtectedItem) {
  return {
    id: i.id,
    tenantId: i.tenantId,
    policyId: i.policyId,
    connectionId: i.connectionId,
    kind: i.kind,
    externalId: i.externalId,
    displayName: i.displayName,
    status: i.status,
    vendorRef: i.vendorRef,
    vendorStatus: i.vendorStatus,
    sizeBytes: i.sizeBytes,
    error: i.error ? { code: i.error.code, message: i.error.message } : null,
    protection: { ...i.protection },
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}
export type ProtectedItemResource = ReturnType<typeof toProtectedItemResource>;
