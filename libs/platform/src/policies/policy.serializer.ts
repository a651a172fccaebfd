import type { Policy } from '@bg/domain';

/** The public JSON of a policy (REST answers; itemCount absent where the read did not count items). */
export function toPolicyResource(p: Policy) {
  return {
    id: p.id,
    tenantId: p.tenantId,
    connectionId: p.connectionId,
    vendor: p.vendor,
    workload: p.workload,
    displayName: p.displayName,
    status: p.status,
    desiredActive: p.desiredActive,
    vendorRef: p.vendorRef,
    vendorStatus: p.vendorStatus,
    error: p.error ? { code: p.error.code, message: p.error.message } : null,
    itemCount: p.itemCount,
    rpoMinutes: p.rpoMinutes,
    health: { state: p.health, since: p.healthSince },
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}
export type PolicyResource = ReturnType<typeof toPolicyResource>;
