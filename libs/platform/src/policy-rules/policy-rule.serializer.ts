import type { PolicyRule } from '@bg/domain';

/** The public JSON of a policy rule (REST answers). */
export function toPolicyRuleResource(r: PolicyRule) {
  return {
    id: r.id,
    tenantId: r.tenantId,
    policyId: r.policyId,
    vendor: r.vendor,
    displayName: r.displayName,
    groupIds: r.groupIds,
    status: r.status,
    vendorRef: r.vendorRef,
    vendorStatus: r.vendorStatus,
    error: r.error ? { code: r.error.code, message: r.error.message } : null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}
export type PolicyRuleResource = ReturnType<typeof toPolicyRuleResource>;
