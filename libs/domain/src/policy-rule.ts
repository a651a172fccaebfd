import type { VendorId } from './vendor';

/**
 * Policy rule lifecycle (dynamic protection: the vendor adds to the policy every item of the policy's workload
 * owned by a member of the rule's groups). Our record; the vendor's raw status is kept in vendorStatus.
 *   pending (stored, the worker has not created it at the vendor yet) -> running (created and applying)
 *   -> completed | completedWithErrors (applied; the items it added are the policy's protected items);
 *   pending | running -> failed when the vendor refuses it for good;
 *   anything not deleted -> deleting -> deleted (the items the rule added stay in the policy).
 */
export const POLICY_RULE_STATUSES = ['pending', 'running', 'completed', 'completedWithErrors', 'failed', 'deleting', 'deleted'] as const;
export type PolicyRuleStatus = (typeof POLICY_RULE_STATUSES)[number];

/** Statuses after which the worker no longer polls the vendor for the rule. */
export const SETTLED_POLICY_RULE_STATUSES = [
  'completed',
  'completedWithErrors',
  'failed',
  'deleted',
] as const satisfies readonly PolicyRuleStatus[];

export function isPolicyRuleSettled(status: PolicyRuleStatus): boolean {
  return (SETTLED_POLICY_RULE_STATUSES as readonly string[]).includes(status);
}

/** Our status for the vendor's rule state (the port's VendorPolicyRuleState). */
export function policyRuleStatusFromVendor(
  state: 'pending' | 'running' | 'completed' | 'completedWithErrors' | 'deleting',
): PolicyRuleStatus {
  return state === 'pending' ? 'running' : state;
}

export interface PolicyRule {
  id: string;
  tenantId: string;
  policyId: string;
  connectionId: string;
  vendor: VendorId;
  displayName: string | null;
  /** Directory group ids (Entra ID group object ids for Microsoft 365) whose members' items the rule protects. */
  groupIds: string[];
  status: PolicyRuleStatus;
  vendorRef: string | null;
  vendorStatus: string | null;
  error: { code: string; message: string | null } | null;
  createdAt: Date;
  updatedAt: Date;
}
