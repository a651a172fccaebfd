import type { ProtectionState } from './protection-health';
import { oneOf, stateMachine } from './state-machine';
import type { VendorId, Workload } from './vendor';

/**
 * Policy lifecycle (our record; the vendor's raw status is kept beside it in vendorStatus):
 *   provisioning -> inactive (created at the vendor) -> active | inactive (settled: desiredActive decides);
 *   a policy the gateway emulates settles straight from provisioning;
 *   a settled policy moves through activating / deactivating / updating while the worker brings the vendor
 *   along, and settles again;
 *   provisioning -> failed when the vendor refuses it for good (failed is retried by the next change);
 *   anything not deleted -> deleting -> deleted.
 */
export const POLICY_STATUSES = [
  'provisioning',
  'inactive',
  'activating',
  'active',
  'deactivating',
  'updating',
  'deleting',
  'deleted',
  'failed',
] as const;
export type PolicyStatus = (typeof POLICY_STATUSES)[number];

/** Where the worker leaves a policy once the vendor matches what the user asked for. */
export const SETTLED_POLICY_STATUSES = ['active', 'inactive'] as const satisfies readonly PolicyStatus[];
export type SettledPolicyStatus = (typeof SETTLED_POLICY_STATUSES)[number];

/** No way out: a deleted policy is gone from the API. */
export const TERMINAL_POLICY_STATUSES = ['deleted'] as const satisfies readonly PolicyStatus[];

/** The user can no longer change the policy (rename, (de)activate, delete, add items): its deletion is under way or done. */
export const CLOSED_POLICY_STATUSES = ['deleting', 'deleted'] as const satisfies readonly PolicyStatus[];

/**
 * Not live at the vendor: the worker does not read these back (refresh) and they hold none of the
 * vendor's active-policy slots.
 */
export const NOT_LIVE_POLICY_STATUSES = ['deleted', 'deleting', 'failed'] as const satisfies readonly PolicyStatus[];

/**
 * Every move the code makes, by the rule that makes it (AT_VENDOR: the statuses a policy can have once it
 * exists at the vendor, vendorRef set — inactive, activating, active, deactivating, updating; provisioning
 * and failed never do):
 *   created at the vendor    provisioning | failed -> inactive
 *   settled                  -> active | inactive, from every status the worker syncs (not deleting/deleted)
 *   renamed (at the vendor)  AT_VENDOR -> updating
 *   (de)activated            AT_VENDOR -> activating | deactivating
 *   delete asked             anything not closed -> deleting
 *   deleted                  deleting -> deleted
 *   refused for good         provisioning | deleting -> failed (only while the vendor has no policy)
 */
const TRANSITIONS: Record<PolicyStatus, readonly PolicyStatus[]> = {
  provisioning: ['inactive', 'active', 'failed', 'deleting'],
  inactive: ['active', 'activating', 'deactivating', 'updating', 'deleting'],
  activating: ['active', 'inactive', 'deactivating', 'updating', 'deleting'],
  active: ['inactive', 'activating', 'deactivating', 'updating', 'deleting'],
  deactivating: ['active', 'inactive', 'activating', 'updating', 'deleting'],
  updating: ['active', 'inactive', 'activating', 'deactivating', 'deleting'],
  deleting: ['deleted', 'failed'],
  deleted: [],
  failed: ['inactive', 'active', 'deleting'],
};

const includes = oneOf;
const machine = stateMachine('policy', TRANSITIONS, { stayAllowed: true });

export function isPolicyStatus(value: unknown): value is PolicyStatus {
  return typeof value === 'string' && includes(POLICY_STATUSES, value);
}

export function isPolicyClosed(status: PolicyStatus): boolean {
  return includes(CLOSED_POLICY_STATUSES, status);
}

export function isPolicyLive(status: PolicyStatus): boolean {
  return !includes(NOT_LIVE_POLICY_STATUSES, status);
}

export const canPolicyTransition = machine.can;

/** Throws NOT_ALLOWED_IN_STATE unless `from -> to` is a legal move (staying put always is). */
export const assertPolicyTransition = machine.assert;

/** The settled status for what the user asked for. */
export function settledPolicyStatus(desiredActive: boolean): SettledPolicyStatus {
  return desiredActive ? 'active' : 'inactive';
}

/** After a rename: a policy at the vendor is updating there; one not yet created takes the name when it is. */
export function policyStatusAfterRename(p: Pick<Policy, 'status' | 'vendorRef'>): PolicyStatus {
  return moveTo(p.status, p.vendorRef ? 'updating' : p.status);
}

/** After the user (de)activates: a policy at the vendor is on its way; one not yet created is created so. */
export function policyStatusAfterToggle(p: Pick<Policy, 'status' | 'vendorRef'>, active: boolean): PolicyStatus {
  return moveTo(p.status, p.vendorRef ? (active ? 'activating' : 'deactivating') : p.status);
}

function moveTo(from: PolicyStatus, to: PolicyStatus): PolicyStatus {
  assertPolicyTransition(from, to);
  return to;
}

/** Why the vendor refused a policy (the normalized code and the vendor's message). */
export interface PolicyError {
  code: string;
  message: string | null;
}

/** A protection policy as stored (policies), with its live item count where the read includes it. */
export interface Policy {
  id: string;
  tenantId: string;
  connectionId: string;
  vendor: VendorId;
  workload: Workload;
  displayName: string;
  status: PolicyStatus;
  /** What the user asked for; the worker drives the vendor towards it. */
  desiredActive: boolean;
  /** The vendor's id of the policy; null until created there (an emulated policy uses its own id). */
  vendorRef: string | null;
  vendorStatus: string | null;
  error: PolicyError | null;
  /** Items not removed; present on the API reads (absent where the read does not count them). */
  itemCount?: number;
  /** The recovery point objective its items are judged against; null: the vendor's default (capabilities.health). */
  rpoMinutes: number | null;
  /** Derived from its items' protection states (policyHealth), and since when. */
  health: ProtectionState;
  healthSince: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** The vendor's status of policies and items the gateway keeps itself (capabilities.policyEmulated). */
export const EMULATED_VENDOR_STATUS = 'emulated';
