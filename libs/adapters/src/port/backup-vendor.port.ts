import type { Capabilities } from '@bg/domain';
import type {
  BackupRunQuery,
  BackupTarget,
  CallContext,
  StartedBackup,
  VendorBackupRun,
  VendorStorageUsage,
  ItemSpec,
  Page,
  PolicySpec,
  RestorePointQuery,
  RestoreProgress,
  RestoreRequest,
  PolicyRuleSpec,
  VendorOperationRef,
  VendorPolicyRule,
  VendorPolicy,
  VendorProtectedItem,
  VendorRestorePoint,
  VerifyResult,
} from './port.types';

/** How a start is made: see BackupVendorPort.startRestore. */
export interface StartOptions extends ReconcileOptions {
  resuming?: boolean;
}

/**
 * What the worker knows when it looks for what an interrupted submission left at the vendor
 * (findRestore, findPrepared, a resuming startRestore): which of the vendor operation ids the adapter
 * found other jobs of the same connection already hold (as their vendor ref or among their recorded
 * sessions) — they are not this job's, whatever they look like. `since`: the operations were created
 * then or later, so only jobs still active or ended since then can hold them.
 */
export interface ReconcileOptions {
  heldByOthers?(vendorIds: string[], since: Date): Promise<ReadonlySet<string>>;
}

/** A restore the vendor has started: its (possibly new) ref and its progress. */
export interface StartedRestore {
  ref: VendorOperationRef;
  progress: RestoreProgress;
}

/**
 * The one port every backup vendor implements. Vendor-neutral types in, vendor-neutral results out.
 *
 * Every method may throw `VendorError` (normalized code, retryable, retryAfterMs). An operation the
 * vendor lacks is absent from `capabilities.operations` and throws `VendorError` with code
 * UNSUPPORTED_BY_VENDOR naming vendor and operation. Documented limits are enforced before the call
 * (split, or `LIMIT_EXCEEDED`), never left to the vendor's refusal. Methods never retry on their own,
 * except a single token refresh after a 401; the worker decides about retries from `retryable`.
 */
export interface BackupVendorPort {
  readonly capabilities: Capabilities;

  /** Obtains a token and makes one cheap authenticated read. AUTH_FAILED / PERMISSION_DENIED on refusal. */
  verify(ctx: CallContext): Promise<VerifyResult>;

  /** Lists the vendor's policies, one page; pass `next` back for the following page. */
  listPolicies(ctx: CallContext, page?: string): Promise<Page<VendorPolicy>>;

  /** Reads one policy. NOT_FOUND if the vendor has no such policy. */
  getPolicy(ctx: CallContext, policyRef: string): Promise<VendorPolicy>;

  /**
   * Creates a policy holding `spec.items` (splitting above the vendor's per-request limit: create with
   * the first batch, then add the rest). Returns the policy and the items the vendor holds afterwards.
   * CONFLICT when the vendor allows no second policy for this workload.
   */
  createPolicy(ctx: CallContext, spec: PolicySpec): Promise<{ policy: VendorPolicy; items: VendorProtectedItem[] }>;

  /** Renames a policy. */
  updatePolicy(ctx: CallContext, policyRef: string, patch: { displayName?: string }): Promise<VendorPolicy>;

  /** Deletes a policy (the vendor may require it inactive: NOT_ALLOWED_IN_STATE). */
  deletePolicy(ctx: CallContext, policyRef: string): Promise<void>;

  /** Activates / deactivates a policy. NOT_ALLOWED_IN_STATE when the vendor refuses in its state. */
  activatePolicy(ctx: CallContext, policyRef: string): Promise<VendorPolicy>;
  deactivatePolicy(ctx: CallContext, policyRef: string): Promise<VendorPolicy>;

  /** Lists the protected items of a policy, one page. */
  listProtectedItems(ctx: CallContext, policyRef: string, page?: string): Promise<Page<VendorProtectedItem>>;

  /**
   * Adds items to a policy (split above the per-request limit). Items the vendor already holds are
   * returned, not failed. Per-item refusals come back with `error` set.
   */
  addProtectedItems(ctx: CallContext, policyRef: string, items: ItemSpec[]): Promise<VendorProtectedItem[]>;

  /** Removes items (by vendor ref) from a policy. Items already gone are not an error. */
  removeProtectedItems(ctx: CallContext, policyRef: string, itemRefs: string[]): Promise<void>;

  /** Lists restore points of the given items within [from, to], one page. */
  listRestorePoints(ctx: CallContext, query: RestorePointQuery, page?: string): Promise<Page<VendorRestorePoint>>;

  /**
   * Phase 1 of a restore: creates whatever the vendor needs that does not yet restore anything (a draft
   * session), or nothing at all. Returns the ref to checkpoint; `vendorRef` may be '' when the vendor
   * has no draft step. LIMIT_EXCEEDED for requests above the documented limits.
   */
  prepareRestore(ctx: CallContext, req: RestoreRequest): Promise<VendorOperationRef>;

  /**
   * Phase 2: makes the vendor start restoring. Not safe to repeat blindly: after a crash, call
   * `findRestore` / `getRestore` first. Returns the (possibly new) ref and the first progress.
   * CONCURRENCY_LIMIT (retryable) when the vendor's concurrent-restore limit is reached.
   * `opts.resuming`: an earlier start of this same ref may have reached the vendor (it was interrupted
   * and `findRestore` found no complete operation), so the adapter may adopt what that start began; on a
   * first start it must not (a restore of the same item by another job is not this one's).
   */
  startRestore(ctx: CallContext, ref: VendorOperationRef, req: RestoreRequest, opts?: StartOptions): Promise<StartedRestore>;

  /**
   * Reconciliation: returns the vendor's operation for `req.clientRef` if the vendor already has one
   * (found by the ref prepared earlier or by matching the vendor's list), or undefined.
   */
  findRestore(
    ctx: CallContext,
    req: RestoreRequest,
    ref?: VendorOperationRef,
    opts?: ReconcileOptions,
  ): Promise<StartedRestore | undefined>;

  /**
   * Reconciliation of phase 1, for vendors whose prepare creates something at the vendor without a client
   * reference (a Graph draft session): an earlier attempt was interrupted after `prepareRestore` may have
   * reached the vendor and before its ref was recorded. Returns what that prepare created for `req` (created
   * since `since`, the job's creation, allowing for clock skew; not held by another job), discarding further
   * copies of it, or undefined when there is none (the caller prepares).
   */
  findPrepared?(ctx: CallContext, req: RestoreRequest, since: Date, opts?: ReconcileOptions): Promise<VendorOperationRef | undefined>;

  /** Reads a restore's progress. Terminal states carry per-item results. */
  getRestore(ctx: CallContext, ref: VendorOperationRef): Promise<RestoreProgress>;

  /**
   * Cancels at the vendor where it can (delete a draft, stop a session, cancel a job). Returns the
   * progress after cancelling; UNSUPPORTED_BY_VENDOR when the vendor cannot cancel.
   */
  cancelRestore(ctx: CallContext, ref: VendorOperationRef, opts?: ReconcileOptions): Promise<RestoreProgress>;

  // --- policy rules: optional, present when `capabilities.operations` has policyRule.create --------

  /**
   * Creates a rule on a policy and starts applying it (the vendor adds the matching items over time). Safe to
   * repeat: a rule of the policy with the same groups is reused, not duplicated. INVALID_REQUEST for a malformed
   * spec; NOT_FOUND when the policy is gone.
   */
  createPolicyRule?(ctx: CallContext, policyRef: string, spec: PolicyRuleSpec): Promise<VendorPolicyRule>;

  /** Reads a rule's state. NOT_FOUND when the vendor has no such rule. */
  getPolicyRule?(ctx: CallContext, policyRef: string, ruleRef: string): Promise<VendorPolicyRule>;

  /** Deletes a rule; the items it added stay in the policy. A rule already gone is not an error. */
  deletePolicyRule?(ctx: CallContext, policyRef: string, ruleRef: string): Promise<void>;

  // --- protection health: optional, present per `capabilities.operations` / `capabilities.health` -----------------

  /**
   * Lists backup runs of a policy (backupRun.list), one page, newest first where the vendor orders them. Runs
   * still going are included. The caller upserts by `vendorRef`, so a run may be listed again on the next call.
   */
  listBackupRuns?(ctx: CallContext, query: BackupRunQuery, page?: string): Promise<Page<VendorBackupRun>>;

  /**
   * Starts a backup now (backup.start): of the item when `capabilities.health.onDemandBackup` is 'item', else of the
   * whole policy. Not safe to repeat blindly (a second run may start). NOT_ALLOWED_IN_STATE when the vendor refuses
   * in its state (a run of the job is already going; the datasource allows no ad-hoc backup).
   */
  startBackup?(ctx: CallContext, target: BackupTarget): Promise<StartedBackup>;

  /** Reads a started backup's run by the ref `startBackup` returned (following an async operation first). */
  getBackupRun?(ctx: CallContext, ref: VendorOperationRef): Promise<VendorBackupRun>;

  /** Reads the backup storage the account uses (Veeam: repositories and this organization's data in them). */
  storageUsage?(ctx: CallContext): Promise<VendorStorageUsage>;

  /** How many users the vendor licenses for this account (Veeam: the organization's licensed users), its billing unit. */
  licensedUsers?(ctx: CallContext): Promise<number>;
}
