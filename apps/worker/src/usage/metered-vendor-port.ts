import { isVendorError, type BackupVendorPort, type CallContext, type VendorCallRecord, type VendorError } from '@bg/adapters';

/** Refusals that mean the connection's credentials or consent no longer work, whatever call met them. */
const CREDENTIAL_FAILURES: readonly string[] = ['AUTH_FAILED', 'PERMISSION_DENIED'];

/**
 * A BackupVendorPort that reports every vendor HTTP call of the wrapped adapter to `onCall`, through
 * the port's own hook (`CallContext.onVendorCall`, which every adapter calls for each request it makes,
 * token requests included; the conformance suite checks it), and still to the caller's hook if it set one.
 * A call refused with AUTH_FAILED or PERMISSION_DENIED is also told to `onCredentialFailure` (the connection
 * turns unhealthy during normal work, not only on an explicit verify); the error still reaches the caller.
 */
export class MeteredVendorPort implements BackupVendorPort {
  constructor(
    private readonly inner: BackupVendorPort,
    private readonly onCall: (call: VendorCallRecord) => void,
    private readonly onCredentialFailure: (err: VendorError) => void = () => undefined,
  ) {
    const wrapped = this.inner;
    const w = <T>(p: Promise<T>) => this.watch(p);
    if (wrapped.createPolicyRule) this.createPolicyRule = (ctx, ref, spec) => w(wrapped.createPolicyRule!(this.ctx(ctx), ref, spec));
    if (wrapped.getPolicyRule) this.getPolicyRule = (ctx, ref, ruleRef) => w(wrapped.getPolicyRule!(this.ctx(ctx), ref, ruleRef));
    if (wrapped.deletePolicyRule) this.deletePolicyRule = (ctx, ref, ruleRef) => w(wrapped.deletePolicyRule!(this.ctx(ctx), ref, ruleRef));
    if (wrapped.listBackupRuns) this.listBackupRuns = (ctx, query, page) => w(wrapped.listBackupRuns!(this.ctx(ctx), query, page));
    if (wrapped.startBackup) this.startBackup = (ctx, target) => w(wrapped.startBackup!(this.ctx(ctx), target));
    if (wrapped.getBackupRun) this.getBackupRun = (ctx, ref) => w(wrapped.getBackupRun!(this.ctx(ctx), ref));
    if (wrapped.storageUsage) this.storageUsage = (ctx) => w(wrapped.storageUsage!(this.ctx(ctx)));
    if (wrapped.licensedUsers) this.licensedUsers = (ctx) => w(wrapped.licensedUsers!(this.ctx(ctx)));
  }

  private async watch<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (isVendorError(e) && CREDENTIAL_FAILURES.includes(e.code)) this.onCredentialFailure(e);
      throw e;
    }
  }

  get capabilities(): BackupVendorPort['capabilities'] {
    return this.inner.capabilities;
  }

  private ctx(ctx: CallContext = {}): CallContext {
    const callerHook = ctx.onVendorCall;
    return {
      ...ctx,
      onVendorCall: (call) => {
        this.onCall(call);
        callerHook?.(call);
      },
    };
  }

  // An explicit verify records its own outcome (connections processor); it is not watched.
  verify: BackupVendorPort['verify'] = (ctx) => this.inner.verify(this.ctx(ctx));
  listPolicies: BackupVendorPort['listPolicies'] = (ctx, page) => this.watch(this.inner.listPolicies(this.ctx(ctx), page));
  getPolicy: BackupVendorPort['getPolicy'] = (ctx, ref) => this.watch(this.inner.getPolicy(this.ctx(ctx), ref));
  createPolicy: BackupVendorPort['createPolicy'] = (ctx, spec) => this.watch(this.inner.createPolicy(this.ctx(ctx), spec));
  updatePolicy: BackupVendorPort['updatePolicy'] = (ctx, ref, patch) => this.watch(this.inner.updatePolicy(this.ctx(ctx), ref, patch));
  deletePolicy: BackupVendorPort['deletePolicy'] = (ctx, ref) => this.watch(this.inner.deletePolicy(this.ctx(ctx), ref));
  activatePolicy: BackupVendorPort['activatePolicy'] = (ctx, ref) => this.watch(this.inner.activatePolicy(this.ctx(ctx), ref));
  deactivatePolicy: BackupVendorPort['deactivatePolicy'] = (ctx, ref) => this.watch(this.inner.deactivatePolicy(this.ctx(ctx), ref));
  listProtectedItems: BackupVendorPort['listProtectedItems'] = (ctx, ref, page) =>
    this.watch(this.inner.listProtectedItems(this.ctx(ctx), ref, page));
  addProtectedItems: BackupVendorPort['addProtectedItems'] = (ctx, ref, items) =>
    this.watch(this.inner.addProtectedItems(this.ctx(ctx), ref, items));
  removeProtectedItems: BackupVendorPort['removeProtectedItems'] = (ctx, ref, refs) =>
    this.watch(this.inner.removeProtectedItems(this.ctx(ctx), ref, refs));
  listRestorePoints: BackupVendorPort['listRestorePoints'] = (ctx, query, page) =>
    this.watch(this.inner.listRestorePoints(this.ctx(ctx), query, page));
  prepareRestore: BackupVendorPort['prepareRestore'] = (ctx, req) => this.watch(this.inner.prepareRestore(this.ctx(ctx), req));
  startRestore: BackupVendorPort['startRestore'] = (ctx, ref, req) => this.watch(this.inner.startRestore(this.ctx(ctx), ref, req));
  findRestore: BackupVendorPort['findRestore'] = (ctx, req, ref) => this.watch(this.inner.findRestore(this.ctx(ctx), req, ref));
  getRestore: BackupVendorPort['getRestore'] = (ctx, ref) => this.watch(this.inner.getRestore(this.ctx(ctx), ref));
  cancelRestore: BackupVendorPort['cancelRestore'] = (ctx, ref) => this.watch(this.inner.cancelRestore(this.ctx(ctx), ref));
  // Optional methods (policy rules, backup runs, storage): present exactly when the wrapped adapter has them (set in the constructor).
  readonly createPolicyRule?: BackupVendorPort['createPolicyRule'];
  readonly getPolicyRule?: BackupVendorPort['getPolicyRule'];
  readonly deletePolicyRule?: BackupVendorPort['deletePolicyRule'];
  readonly listBackupRuns?: BackupVendorPort['listBackupRuns'];
  readonly startBackup?: BackupVendorPort['startBackup'];
  readonly getBackupRun?: BackupVendorPort['getBackupRun'];
  readonly storageUsage?: BackupVendorPort['storageUsage'];
  readonly licensedUsers?: BackupVendorPort['licensedUsers'];
}
