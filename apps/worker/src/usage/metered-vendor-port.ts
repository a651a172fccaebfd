import { isVendorError, type BackupVendorPort, type CallContext, type VendorCallRecord, type VendorError } from '@bg/adapters';

/** Refusals that mean the connection's credentials or consent no longer work, whatever call met them. */
const CREDENTIAL_FAILURES: readonly string[] = ['AUTH_FAILED', 'PERMISSION_DENIED'];

/**
 * A BackupVendorPort that reports every vendor HTTP call of the wrapped adapter to `onCall` (with the port
 * operation that made it: `startRestore`, `getRestore` ...; usage metering and latency metrics), through
 * the port's own hook (`CallContext.onVendorCall`, which every adapter calls for each request it makes,
 * token requests included; the conformance suite checks it), and still to the caller's hook if it set one.
 * A call refused with AUTH_FAILED or PERMISSION_DENIED is also told to `onCredentialFailure` (the connection
 * turns unhealthy during normal work, not only on an explicit verify); the error still reaches the caller.
 * Every failed operation but verify is also told to `onFailure` (error metrics).
 */
export class MeteredVendorPort implements BackupVendorPort {
  constructor(
    private readonly inner: BackupVendorPort,
    private readonly onCall: (call: VendorCallRecord, operation: string) => void,
    private readonly onCredentialFailure: (err: VendorError) => void = () => undefined,
    private readonly onFailure: (err: unknown, operation: string) => void = () => undefined,
    /** Awaited before every HTTP call of the wrapped adapter (the connection's Retry-After pause). */
    private readonly beforeCall?: (signal?: AbortSignal) => Promise<void>,
  ) {
    const wrapped = this.inner;
    const w = <T>(operation: string, p: Promise<T>) => this.watch(operation, p);
    if (wrapped.createPolicyRule)
      this.createPolicyRule = (ctx, ref, spec) =>
        w('createPolicyRule', wrapped.createPolicyRule!(this.ctx(ctx, 'createPolicyRule'), ref, spec));
    if (wrapped.getPolicyRule)
      this.getPolicyRule = (ctx, ref, ruleRef) => w('getPolicyRule', wrapped.getPolicyRule!(this.ctx(ctx, 'getPolicyRule'), ref, ruleRef));
    if (wrapped.deletePolicyRule)
      this.deletePolicyRule = (ctx, ref, ruleRef) =>
        w('deletePolicyRule', wrapped.deletePolicyRule!(this.ctx(ctx, 'deletePolicyRule'), ref, ruleRef));
    if (wrapped.listBackupRuns)
      this.listBackupRuns = (ctx, query, page) =>
        w('listBackupRuns', wrapped.listBackupRuns!(this.ctx(ctx, 'listBackupRuns'), query, page));
    if (wrapped.startBackup)
      this.startBackup = (ctx, target) => w('startBackup', wrapped.startBackup!(this.ctx(ctx, 'startBackup'), target));
    if (wrapped.getBackupRun)
      this.getBackupRun = (ctx, ref) => w('getBackupRun', wrapped.getBackupRun!(this.ctx(ctx, 'getBackupRun'), ref));
    if (wrapped.findPrepared)
      this.findPrepared = (ctx, req, since, opts) =>
        w('findPrepared', wrapped.findPrepared!(this.ctx(ctx, 'findPrepared'), req, since, opts));
    if (wrapped.storageUsage) this.storageUsage = (ctx) => w('storageUsage', wrapped.storageUsage!(this.ctx(ctx, 'storageUsage')));
    if (wrapped.licensedUsers) this.licensedUsers = (ctx) => w('licensedUsers', wrapped.licensedUsers!(this.ctx(ctx, 'licensedUsers')));
  }

  private async watch<T>(operation: string, p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      this.onFailure(e, operation);
      if (isVendorError(e) && CREDENTIAL_FAILURES.includes(e.code)) this.onCredentialFailure(e);
      throw e;
    }
  }

  get capabilities(): BackupVendorPort['capabilities'] {
    return this.inner.capabilities;
  }

  private ctx(ctx: CallContext = {}, operation: string): CallContext {
    const callerHook = ctx.onVendorCall;
    const callerGate = ctx.beforeVendorCall;
    const gate = this.beforeCall;
    return {
      ...ctx,
      onVendorCall: (call) => {
        this.onCall(call, operation);
        callerHook?.(call);
      },
      ...(gate || callerGate
        ? {
            beforeVendorCall: async () => {
              await callerGate?.();
              await gate?.(ctx.signal);
            },
          }
        : {}),
    };
  }

  // An explicit verify records its own outcome (connections processor); it is not watched.
  verify: BackupVendorPort['verify'] = (ctx) => this.inner.verify(this.ctx(ctx, 'verify'));
  listPolicies: BackupVendorPort['listPolicies'] = (ctx, page) =>
    this.watch('listPolicies', this.inner.listPolicies(this.ctx(ctx, 'listPolicies'), page));
  getPolicy: BackupVendorPort['getPolicy'] = (ctx, ref) => this.watch('getPolicy', this.inner.getPolicy(this.ctx(ctx, 'getPolicy'), ref));
  createPolicy: BackupVendorPort['createPolicy'] = (ctx, spec) =>
    this.watch('createPolicy', this.inner.createPolicy(this.ctx(ctx, 'createPolicy'), spec));
  updatePolicy: BackupVendorPort['updatePolicy'] = (ctx, ref, patch) =>
    this.watch('updatePolicy', this.inner.updatePolicy(this.ctx(ctx, 'updatePolicy'), ref, patch));
  deletePolicy: BackupVendorPort['deletePolicy'] = (ctx, ref) =>
    this.watch('deletePolicy', this.inner.deletePolicy(this.ctx(ctx, 'deletePolicy'), ref));
  activatePolicy: BackupVendorPort['activatePolicy'] = (ctx, ref) =>
    this.watch('activatePolicy', this.inner.activatePolicy(this.ctx(ctx, 'activatePolicy'), ref));
  deactivatePolicy: BackupVendorPort['deactivatePolicy'] = (ctx, ref) =>
    this.watch('deactivatePolicy', this.inner.deactivatePolicy(this.ctx(ctx, 'deactivatePolicy'), ref));
  listProtectedItems: BackupVendorPort['listProtectedItems'] = (ctx, ref, page) =>
    this.watch('listProtectedItems', this.inner.listProtectedItems(this.ctx(ctx, 'listProtectedItems'), ref, page));
  addProtectedItems: BackupVendorPort['addProtectedItems'] = (ctx, ref, items) =>
    this.watch('addProtectedItems', this.inner.addProtectedItems(this.ctx(ctx, 'addProtectedItems'), ref, items));
  removeProtectedItems: BackupVendorPort['removeProtectedItems'] = (ctx, ref, refs) =>
    this.watch('removeProtectedItems', this.inner.removeProtectedItems(this.ctx(ctx, 'removeProtectedItems'), ref, refs));
  listRestorePoints: BackupVendorPort['listRestorePoints'] = (ctx, query, page) =>
    this.watch('listRestorePoints', this.inner.listRestorePoints(this.ctx(ctx, 'listRestorePoints'), query, page));
  prepareRestore: BackupVendorPort['prepareRestore'] = (ctx, req) =>
    this.watch('prepareRestore', this.inner.prepareRestore(this.ctx(ctx, 'prepareRestore'), req));
  startRestore: BackupVendorPort['startRestore'] = (ctx, ref, req, opts) =>
    this.watch('startRestore', this.inner.startRestore(this.ctx(ctx, 'startRestore'), ref, req, opts));
  findRestore: BackupVendorPort['findRestore'] = (ctx, req, ref, opts) =>
    this.watch('findRestore', this.inner.findRestore(this.ctx(ctx, 'findRestore'), req, ref, opts));
  getRestore: BackupVendorPort['getRestore'] = (ctx, ref) =>
    this.watch('getRestore', this.inner.getRestore(this.ctx(ctx, 'getRestore'), ref));
  cancelRestore: BackupVendorPort['cancelRestore'] = (ctx, ref, opts) =>
    this.watch('cancelRestore', this.inner.cancelRestore(this.ctx(ctx, 'cancelRestore'), ref, opts));
  // Optional methods (policy rules, backup runs, storage): present exactly when the wrapped adapter has them (set in the constructor).
  readonly createPolicyRule?: BackupVendorPort['createPolicyRule'];
  readonly getPolicyRule?: BackupVendorPort['getPolicyRule'];
  readonly deletePolicyRule?: BackupVendorPort['deletePolicyRule'];
  readonly listBackupRuns?: BackupVendorPort['listBackupRuns'];
  readonly startBackup?: BackupVendorPort['startBackup'];
  readonly getBackupRun?: BackupVendorPort['getBackupRun'];
  readonly findPrepared?: BackupVendorPort['findPrepared'];
  readonly storageUsage?: BackupVendorPort['storageUsage'];
  readonly licensedUsers?: BackupVendorPort['licensedUsers'];
}
