import type { BackupVendorPort, CallContext, VendorCallRecord } from '@bg/adapters';

/**
 * A BackupVendorPort that reports every vendor HTTP call of the wrapped adapter to `onCall`, through
 * the port's own hook (`CallContext.onVendorCall`, which every adapter calls for each request it makes,
 * token requests included; the conformance suite checks it), and still to the caller's hook if it set one.
 */
export class MeteredVendorPort implements BackupVendorPort {
  constructor(
    private readonly inner: BackupVendorPort,
    private readonly onCall: (call: VendorCallRecord) => void,
  ) {
    const wrapped = this.inner;
    if (wrapped.createPolicyRule) this.createPolicyRule = (ctx, ref, spec) => wrapped.createPolicyRule!(this.ctx(ctx), ref, spec);
    if (wrapped.getPolicyRule) this.getPolicyRule = (ctx, ref, ruleRef) => wrapped.getPolicyRule!(this.ctx(ctx), ref, ruleRef);
    if (wrapped.deletePolicyRule) this.deletePolicyRule = (ctx, ref, ruleRef) => wrapped.deletePolicyRule!(this.ctx(ctx), ref, ruleRef);
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

  verify: BackupVendorPort['verify'] = (ctx) => this.inner.verify(this.ctx(ctx));
  listPolicies: BackupVendorPort['listPolicies'] = (ctx, page) => this.inner.listPolicies(this.ctx(ctx), page);
  getPolicy: BackupVendorPort['getPolicy'] = (ctx, ref) => this.inner.getPolicy(this.ctx(ctx), ref);
  createPolicy: BackupVendorPort['createPolicy'] = (ctx, spec) => this.inner.createPolicy(this.ctx(ctx), spec);
  updatePolicy: BackupVendorPort['updatePolicy'] = (ctx, ref, patch) => this.inner.updatePolicy(this.ctx(ctx), ref, patch);
  deletePolicy: BackupVendorPort['deletePolicy'] = (ctx, ref) => this.inner.deletePolicy(this.ctx(ctx), ref);
  activatePolicy: BackupVendorPort['activatePolicy'] = (ctx, ref) => this.inner.activatePolicy(this.ctx(ctx), ref);
  deactivatePolicy: BackupVendorPort['deactivatePolicy'] = (ctx, ref) => this.inner.deactivatePolicy(this.ctx(ctx), ref);
  listProtectedItems: BackupVendorPort['listProtectedItems'] = (ctx, ref, page) => this.inner.listProtectedItems(this.ctx(ctx), ref, page);
  addProtectedItems: BackupVendorPort['addProtectedItems'] = (ctx, ref, items) => this.inner.addProtectedItems(this.ctx(ctx), ref, items);
  removeProtectedItems: BackupVendorPort['removeProtectedItems'] = (ctx, ref, refs) =>
    this.inner.removeProtectedItems(this.ctx(ctx), ref, refs);
  listRestorePoints: BackupVendorPort['listRestorePoints'] = (ctx, query, page) => this.inner.listRestorePoints(this.ctx(ctx), query, page);
  prepareRestore: BackupVendorPort['prepareRestore'] = (ctx, req) => this.inner.prepareRestore(this.ctx(ctx), req);
  startRestore: BackupVendorPort['startRestore'] = (ctx, ref, req) => this.inner.startRestore(this.ctx(ctx), ref, req);
  findRestore: BackupVendorPort['findRestore'] = (ctx, req, ref) => this.inner.findRestore(this.ctx(ctx), req, ref);
  getRestore: BackupVendorPort['getRestore'] = (ctx, ref) => this.inner.getRestore(this.ctx(ctx), ref);
  cancelRestore: BackupVendorPort['cancelRestore'] = (ctx, ref) => this.inner.cancelRestore(this.ctx(ctx), ref);
  // Optional policy-rule methods: present exactly when the wrapped adapter has them (set in the constructor).
  readonly createPolicyRule?: BackupVendorPort['createPolicyRule'];
  readonly getPolicyRule?: BackupVendorPort['getPolicyRule'];
  readonly deletePolicyRule?: BackupVendorPort['deletePolicyRule'];
}
