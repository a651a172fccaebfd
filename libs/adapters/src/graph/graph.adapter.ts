import type { Capabilities, Operation, Workload } from '@bg/domain';
import type { BackupVendorPort, ReconcileOptions } from '../port/backup-vendor.port';
import type {
  AdapterConfig,
  CallContext,
  ItemSpec,
  Page,
  PolicyRuleSpec,
  PolicySpec,
  RestorePointQuery,
  RestoreProgress,
  RestoreRequest,
  VendorOperationRef,
  VendorPolicy,
  VendorPolicyRule,
  VendorProtectedItem,
  VendorRestorePoint,
  VerifyResult,
} from '../port/port.types';
import { VendorError, isVendorError } from '../port/vendor-error';
import type { VendorDescriptor } from '../port/vendor-descriptor';
import { GRAPH_CAPABILITIES, GRAPH_LIMITS } from './graph.capabilities';
import { GraphClient } from './graph.client';
import { GRAPH_CREDENTIAL_FIELDS, GRAPH_DEFAULT_ENDPOINT } from './graph.credentials';
import { classifyGraphCode, parseGraphErrorBody } from './graph.errors';
import { GRAPH_PERMISSION_CHECKS, type GraphPermissionCheck } from './graph.permissions';
import {
  GRAPH_WORKLOADS,
  destinationType,
  graphResources,
  groupRuleExpression,
  isTerminal,
  latestRestorePointSearch,
  restorePointsQuery,
  restoreSessionBody,
  ruleExpressionOf,
  toRestoreProgress,
  toVendorPolicy,
  toVendorPolicyRule,
  toVendorProtectedItem,
  toVendorRestorePoint,
  unitDeltaOutcome,
  unitExternalId,
  unitToAdd,
  unitToRemove,
  workloadFromODataType,
  type GraphWorkloadResources,
  type UnitDeltaOutcome,
} from './graph.mapping';
import type { VendorResponse } from '../http/vendor-http';
import type {
  BackupRestoreRoot,
  ProtectionUnitBase,
  ProtectionUnitDeltaResult,
  RestoreArtifactBase,
  RestoreSessionBase,
} from './graph.types';

const VENDOR = 'graph';
/** How long to wait before retrying an action Graph refused while the policy was `updating`. */
const POLICY_UPDATING_RETRY_MS = 15_000;
/** Clock skew allowed between our worker and Graph when matching a draft by its createdDateTime. */
const PREPARE_RECONCILE_SKEW_MS = 5 * 60_000;

/** A multiset of artifact keys, as one comparable string. */
const artifactSet = (keys: string[]): string => [...keys].sort().join('\n');

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * The opaque `next` of listRestorePoints: which unit of the query we are at and, once its newest point is
 * known, the time the next list of that unit must be before (`lt`).
 */
interface RestorePointCursor {
  i: number;
  before?: string;
}

function decodeCursor(page: string): RestorePointCursor {
  try {
    const c = JSON.parse(Buffer.from(page, 'base64url').toString('utf8')) as RestorePointCursor;
    const beforeOk = c.before === undefined || (typeof c.before === 'string' && Number.isFinite(Date.parse(c.before)));
    if (Number.isInteger(c.i) && c.i >= 0 && beforeOk) return c;
  } catch {
    // fall through
  }
  throw new VendorError({ code: 'INVALID_REQUEST', vendor: VENDOR, retryable: false, message: 'Invalid restore point page token' });
}

function encodeCursor(c: RestorePointCursor | undefined): string | undefined {
  return c ? Buffer.from(JSON.stringify(c)).toString('base64url') : undefined;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Rule expressions name Entra ID group object ids (GUIDs); at least one (seed 000: InvalidInclusionRuleCreateRequest). */
function checkGroupIds(groupIds: string[]): void {
  const bad = groupIds.filter((g) => !GUID.test(g));
  if (groupIds.length === 0 || bad.length > 0) {
    throw new VendorError({
      code: 'INVALID_REQUEST',
      vendor: VENDOR,
      retryable: false,
      message:
        groupIds.length === 0
          ? 'A Microsoft Graph inclusion rule needs at least one group id'
          : `Microsoft Graph inclusion rules name Entra ID group object ids (GUIDs); not: ${bad.join(', ')}`,
    });
  }
}

/** seed 000 §Create ProtectionPolicy: InvalidDisplayName, "> 0 chars And <= 1024 chars". */
function checkDisplayName(name: string): void {
  if (name.length === 0 || name.length > GRAPH_LIMITS.displayNameMaxLength) {
    throw new VendorError({
      code: 'INVALID_REQUEST',
      vendor: VENDOR,
      retryable: false,
      message: `Microsoft Graph policy names must have 1 to ${GRAPH_LIMITS.displayNameMaxLength} characters (got ${name.length})`,
    });
  }
}

/**
 * Microsoft 365 Backup Storage through Microsoft Graph. Orchestration only: splitting above Graph's
 * per-request limits, reconciling per-unit outcomes, restore sessions in two phases (draft, activate).
 */
export class GraphAdapter implements BackupVendorPort {
  readonly capabilities: Capabilities = GRAPH_CAPABILITIES;
  private readonly client: GraphClient;
  private readonly config: AdapterConfig;
  /** A policy's workload never changes; remembered per adapter (one adapter per connection). */
  private readonly policyWorkloads = new Map<string, GraphWorkloadResources>();

  constructor(config: AdapterConfig) {
    this.config = config;
    this.client = new GraphClient(config);
  }

  /**
   * Obtains a token, reads the service status and checks every application permission the adapter needs, one
   * side-effect-free probe each (graph.permissions.ts). PERMISSION_DENIED (not retryable) names each missing
   * permission; the cached token is then dropped, so a verify after the admin grants consent sees the new roles.
   */
  async verify(ctx: CallContext): Promise<VerifyResult> {
    let root: BackupRestoreRoot | undefined;
    const missing: { check: GraphPermissionCheck; res: VendorResponse }[] = [];
    for (const check of GRAPH_PERMISSION_CHECKS) {
      const res = await this.client.probePermission(ctx, check.probe);
      if (this.deniesPermission(res)) missing.push({ check, res });
      else if (check.probe === 'root' ? res.status >= 300 : res.status === 401 || res.status === 429 || res.status >= 500)
        throw this.client.responseError(res, 'GET');
      else if (check.probe === 'root') root = res.body as BackupRestoreRoot;
    }
    if (missing.length > 0) {
      this.client.dropToken();
      const names = missing.map((m) => m.check.permission);
      const uses = missing.map((m) => m.check.usedFor).join(', ');
      const first = missing[0].res;
      throw new VendorError({
        code: 'PERMISSION_DENIED',
        vendor: VENDOR,
        retryable: false,
        httpStatus: first.status,
        vendorCode: parseGraphErrorBody(first.body).code,
        vendorRequestId: first.requestId,
        message: `The app registration lacks the Microsoft Graph application permission${names.length > 1 ? 's' : ''} ${names.join(', ')} (needed for ${uses}). Grant ${names.length > 1 ? 'them' : 'it'} in the customer tenant and give admin consent, then verify again.`,
      });
    }
    const status = root?.serviceStatus?.status ?? 'unknown';
    if (status === 'disabled') {
      return {
        ok: false,
        detail: `Microsoft 365 Backup Storage is disabled for this tenant (${root?.serviceStatus?.disableReason ?? 'no reason given'}); enable it first.`,
      };
    }
    return {
      ok: true,
      detail: `Microsoft 365 Backup Storage service status: ${status}; permissions granted: ${GRAPH_PERMISSION_CHECKS.map((c) => c.permission).join(', ')}`,
    };
  }

  /** A 403 whose code the catalog calls PERMISSION_DENIED (not a state refusal such as PolicyActionNotAllowed). */
  private deniesPermission(res: VendorResponse): boolean {
    if (res.status !== 403) return false;
    return classifyGraphCode(this.config.catalog, parseGraphErrorBody(res.body).code, 403).code === 'PERMISSION_DENIED';
  }

  // --- policies -----------------------------------------------------------------------------------

  async listPolicies(ctx: CallContext, page?: string): Promise<Page<VendorPolicy>> {
    const res = await this.client.listPolicies(ctx, page);
    const items: VendorPolicy[] = [];
    for (const p of res.value ?? []) {
      const r = workloadFromODataType(p['@odata.type']) ?? (await this.resourcesOfPolicy(ctx, p.id));
      this.policyWorkloads.set(p.id, r);
      items.push(toVendorPolicy(p, r.workload));
    }
    return { items, next: res['@odata.nextLink'] };
  }

  async getPolicy(ctx: CallContext, policyRef: string): Promise<VendorPolicy> {
    const p = await this.client.getPolicy(ctx, policyRef);
    const r = workloadFromODataType(p['@odata.type']) ?? (await this.resourcesOfPolicy(ctx, policyRef));
    this.policyWorkloads.set(policyRef, r);
    return toVendorPolicy(p, r.workload);
  }

  async createPolicy(ctx: CallContext, spec: PolicySpec): Promise<{ policy: VendorPolicy; items: VendorProtectedItem[] }> {
    this.require('policy.create');
    const r = this.resourcesOf(spec.workload);
    checkDisplayName(spec.displayName);
    const ids = this.externalIds(spec.items, r);
    // seed 000 §Create ProtectionPolicy: at most 50 units per request (413 ProtectionUnitsLimitBreached);
    // create with the first 50, grow with PATCH <units>@delta batches of 50.
    const [first = [], ...rest] = chunks(ids, GRAPH_LIMITS.protectionUnitsPerRequest);
    let created;
    try {
      created = await this.client.createPolicy(
        ctx,
        r,
        spec.displayName,
        first.map((id) => unitToAdd(id, r)),
      );
    } catch (e) {
      throw this.explainPolicyConflict(e, r);
    }
    this.policyWorkloads.set(created.id, r);
    const outcomes: UnitDeltaOutcome[] = [];
    for (const batch of rest)
      outcomes.push(
        ...(await this.patchUnits(
          ctx,
          r,
          created.id,
          batch.map((id) => unitToAdd(id, r)),
          batch,
        )),
      );
    const items = await this.itemsFor(ctx, r, created.id, ids, outcomes);
    return { policy: toVendorPolicy(created, r.workload), items };
  }

  async updatePolicy(ctx: CallContext, policyRef: string, patch: { displayName?: string }): Promise<VendorPolicy> {
    this.require('policy.update');
    if (patch.displayName !== undefined) checkDisplayName(patch.displayName);
    const r = await this.resourcesOfPolicy(ctx, policyRef);
    if (patch.displayName !== undefined) await this.client.patchPolicy(ctx, r, policyRef, { displayName: patch.displayName });
    // The PATCH answer echoes the change, not necessarily the whole policy: read it back.
    return toVendorPolicy(await this.client.getPolicy(ctx, policyRef), r.workload);
  }

  async deletePolicy(ctx: CallContext, policyRef: string): Promise<void> {
    this.require('policy.delete');
    // seed 000 §Delete Inactive Protection Policy: only an inactive policy; 403 PolicyActionNotAllowed -> NOT_ALLOWED_IN_STATE.
    try {
      await this.client.deletePolicy(ctx, policyRef);
    } catch (e) {
      throw await this.unlessUpdating(ctx, policyRef, e);
    }
    this.policyWorkloads.delete(policyRef);
  }

  async activatePolicy(ctx: CallContext, policyRef: string): Promise<VendorPolicy> {
    this.require('policy.activate');
    const r = await this.resourcesOfPolicy(ctx, policyRef);
    try {
      return toVendorPolicy(await this.client.activatePolicy(ctx, policyRef), r.workload);
    } catch (e) {
      throw await this.unlessUpdating(ctx, policyRef, this.explainPolicyConflict(e, r));
    }
  }

  async deactivatePolicy(ctx: CallContext, policyRef: string): Promise<VendorPolicy> {
    this.require('policy.deactivate');
    const r = await this.resourcesOfPolicy(ctx, policyRef);
    try {
      return toVendorPolicy(await this.client.deactivatePolicy(ctx, policyRef), r.workload);
    } catch (e) {
      throw await this.unlessUpdating(ctx, policyRef, e);
    }
  }

  /**
   * seed 000 §Deactivate: PolicyActionNotAllowed "Please wait till it comes in active state". A policy that
   * refuses an action while Graph still reports it `updating` (after an activation, deactivation or unit
   * change) is refused for now, not for good: retryable, after POLICY_UPDATING_RETRY_MS. A refusal of a
   * policy that is not updating stays NOT_ALLOWED_IN_STATE, not retryable.
   */
  private async unlessUpdating(ctx: CallContext, policyRef: string, e: unknown): Promise<unknown> {
    if (!isVendorError(e) || e.vendorCode !== 'PolicyActionNotAllowed') return e;
    const now = await this.client.getPolicy(ctx, policyRef).catch(() => undefined);
    if (now?.status !== 'updating') return e;
    return new VendorError({
      code: 'NOT_ALLOWED_IN_STATE',
      vendor: VENDOR,
      retryable: true,
      retryAfterMs: POLICY_UPDATING_RETRY_MS,
      vendorCode: e.vendorCode,
      httpStatus: e.httpStatus,
      vendorRequestId: e.vendorRequestId,
      message: `Microsoft 365 Backup Storage is still updating this protection policy; the action is retried once it has settled (${e.message})`,
    });
  }

  // --- protected items ----------------------------------------------------------------------------

  async listProtectedItems(ctx: CallContext, policyRef: string, page?: string): Promise<Page<VendorProtectedItem>> {
    const r = await this.resourcesOfPolicy(ctx, policyRef);
    const res = await this.client.listUnits(ctx, r, policyRef, page);
    return { items: (res.value ?? []).map((u) => toVendorProtectedItem(u, r, this.mapCode)), next: res['@odata.nextLink'] };
  }

  async addProtectedItems(ctx: CallContext, policyRef: string, items: ItemSpec[]): Promise<VendorProtectedItem[]> {
    this.require('protectedItem.add');
    const r = await this.resourcesOfPolicy(ctx, policyRef);
    const ids = this.externalIds(items, r);
    const outcomes: UnitDeltaOutcome[] = [];
    // seed 000 §Create ProtectionPolicy: 50 units per request, so PATCH in batches of 50.
    for (const batch of chunks(ids, GRAPH_LIMITS.protectionUnitsPerRequest)) {
      outcomes.push(
        ...(await this.patchUnits(
          ctx,
          r,
          policyRef,
          batch.map((id) => unitToAdd(id, r)),
          batch,
        )),
      );
    }
    return this.itemsFor(ctx, r, policyRef, ids, outcomes);
  }

  async removeProtectedItems(ctx: CallContext, policyRef: string, itemRefs: string[]): Promise<void> {
    this.require('protectedItem.remove');
    const r = await this.resourcesOfPolicy(ctx, policyRef);
    for (const batch of chunks([...new Set(itemRefs)], GRAPH_LIMITS.protectionUnitsPerRequest)) {
      const outcomes = await this.patchUnits(ctx, r, policyRef, batch.map(unitToRemove), []);
      // seed 000 §Patch Protection Policies: ProtectionUnitNotFound (200) = already gone, which the port allows.
      const refused = outcomes.filter((o) => o.error && o.error.vendorCode !== 'ProtectionUnitNotFound');
      if (refused.length > 0) {
        const e = refused[0].error!;
        const { code, retryable } = classifyGraphCode(this.config.catalog, e.vendorCode, e.httpStatus);
        throw new VendorError({
          code,
          vendor: VENDOR,
          retryable,
          vendorCode: e.vendorCode,
          httpStatus: 200,
          mayHaveApplied: true,
          message: `Microsoft Graph refused removing ${refused.length} protection unit(s): ${e.message}`,
        });
      }
    }
  }

  // --- restore points -----------------------------------------------------------------------------

  /**
   * Graph lists at most five restore points per call, the newest before a `lt` bound, with no nextLink (List
   * restorePoints doc), one unit at a time. So each unit is walked back in time: its newest point in [from, to]
   * (a `lt` list just past `to`, or without `to` a restorePoints/search for the latest point), then lists `lt` the
   * oldest point seen, until an answer has fewer than five points or reaches before `from`. `next` carries the
   * unit index and that bound. Points sharing the exact time of the bound beyond the fifth would be skipped.
   */
  async listRestorePoints(ctx: CallContext, query: RestorePointQuery, page?: string): Promise<Page<VendorRestorePoint>> {
    this.require('restorePoint.list');
    const cursor = page ? decodeCursor(page) : { i: 0 };
    const unitId = query.protectedItemRefs[cursor.i];
    if (unitId === undefined) return { items: [] };
    const nextUnit: RestorePointCursor | undefined = cursor.i + 1 < query.protectedItemRefs.length ? { i: cursor.i + 1 } : undefined;
    const inRange = (p: VendorRestorePoint) =>
      p.protectedItemRef === unitId && (!query.from || p.pointInTime >= query.from) && (!query.to || p.pointInTime <= query.to);

    if (cursor.before === undefined && !query.to) {
      const res = await this.client.searchRestorePoints(ctx, latestRestorePointSearch(unitId, query.from));
      const items = (res.searchResults ?? [])
        .flatMap((r) => (r.restorePoint ? [toVendorRestorePoint(r.restorePoint, unitId)] : []))
        .filter(inRange)
        .slice(0, 1);
      const next = items.length ? { i: cursor.i, before: items[0].pointInTime.toISOString() } : nextUnit;
      return { items, next: encodeCursor(next) };
    }
    const before = cursor.before ? new Date(cursor.before) : new Date(query.to!.getTime() + 1);
    const res = await this.client.listRestorePoints(ctx, restorePointsQuery(unitId, before));
    const listed = (res.value ?? []).map((rp) => toVendorRestorePoint(rp, unitId));
    const items = listed.filter(inRange);
    const oldest = listed.reduce<Date | undefined>((min, p) => (!min || p.pointInTime < min ? p.pointInTime : min), undefined);
    const more = listed.length >= GRAPH_LIMITS.restorePointsPerList && oldest !== undefined && (!query.from || oldest > query.from);
    return { items, next: encodeCursor(more ? { i: cursor.i, before: oldest!.toISOString() } : nextUnit) };
  }

  // --- restores -----------------------------------------------------------------------------------

  async prepareRestore(ctx: CallContext, req: RestoreRequest): Promise<VendorOperationRef> {
    this.require('restoreJob.create');
    const r = this.resourcesOf(req.workload);
    this.checkRestoreRequest(req);
    // Phase 1: a draft session holding every artifact; nothing restores until activate.
    const session = await this.client.createRestoreSession(ctx, r, restoreSessionBody(req, r));
    return { vendorRef: session.id, extra: { workload: r.workload } };
  }

  async startRestore(
    ctx: CallContext,
    ref: VendorOperationRef,
    req: RestoreRequest,
  ): Promise<{ ref: VendorOperationRef; progress: RestoreProgress }> {
    this.require('restoreJob.create');
    this.checkRestoreRequest(req);
    // seed 000 §Activate Restore Session: TooManyActiveRestoreSessions (500) -> CONCURRENCY_LIMIT, retryable (catalog).
    const session = await this.client.activateRestoreSession(ctx, ref.vendorRef);
    return { ref, progress: toRestoreProgress(session, undefined, this.mapCode) };
  }

  async findRestore(
    ctx: CallContext,
    _req: RestoreRequest,
    ref?: VendorOperationRef,
  ): Promise<{ ref: VendorOperationRef; progress: RestoreProgress } | undefined> {
    // Graph sessions carry no client reference, so only the prepared session can be found.
    if (!ref?.vendorRef) return undefined;
    const res = await this.client.getRestoreSession(ctx, ref.vendorRef);
    if (res.status === 404) return undefined;
    if (res.status >= 300) throw this.client.restoreSessionError(res, 'GET');
    // Still a draft: not started, the caller activates it.
    if (res.body.status === 'draft') return undefined;
    return { ref, progress: await this.progressOf(ctx, ref, res.body) };
  }

  /**
   * Graph restore sessions carry no client reference, so a draft that an interrupted prepare of this job
   * created is recognised by what it holds: a draft of the request's service, created since `since` (less
   * the clock skew), not held by another job, whose artifacts are exactly the request's restore points with
   * its destination type. Such a draft is this job's: the worker never has two restores of one item going on
   * a connection (oneRestorePerItem), so no other job prepares a draft of these restore points meanwhile. The
   * oldest is adopted; further copies (several interrupted attempts) are deleted. A draft made the same way
   * outside the gateway in that window would be adopted too; as a draft it restores nothing until activated.
   */
  async findPrepared(ctx: CallContext, req: RestoreRequest, since: Date, opts?: ReconcileOptions): Promise<VendorOperationRef | undefined> {
    this.require('restoreJob.create');
    const r = this.resourcesOf(req.workload);
    const after = new Date(since.getTime() - PREPARE_RECONCILE_SKEW_MS).toISOString();
    const drafts: RestoreSessionBase[] = [];
    let link: string | undefined;
    do {
      const page = await this.client.listRestoreSessions(ctx, r, `status eq 'draft' and createdDateTime ge ${after}`, link);
      drafts.push(...(page.value ?? []).filter((d) => d.id && d.status === 'draft'));
      link = page['@odata.nextLink'];
    } while (link);
    if (!drafts.length) return undefined;
    const held = opts?.heldByOthers
      ? await opts.heldByOthers(
          drafts.map((d) => d.id!),
          new Date(after),
        )
      : new Set<string>();
    const type = destinationType(req.destination);
    const wanted = artifactSet(req.items.map((i) => `${i.restorePointRef}|${type}`));
    const ours: string[] = [];
    for (const d of drafts
      .filter((x) => !held.has(x.id!))
      .sort((a, b) => (a.createdDateTime ?? '').localeCompare(b.createdDateTime ?? ''))) {
      const artifacts = await this.allArtifacts(ctx, r, d.id!);
      if (artifactSet(artifacts.map((a) => `${a.restorePoint?.id ?? ''}|${a.destinationType ?? ''}`)) === wanted) ours.push(d.id!);
    }
    if (!ours.length) return undefined;
    // seed 000 §Delete Restore Session: a draft can be deleted; a copy left behind would only be litter.
    for (const copy of ours.slice(1)) await this.client.deleteRestoreSession(ctx, copy);
    return { vendorRef: ours[0], extra: { workload: r.workload } };
  }

  async getRestore(ctx: CallContext, ref: VendorOperationRef): Promise<RestoreProgress> {
    const res = await this.client.getRestoreSession(ctx, ref.vendorRef);
    if (res.status >= 300) throw this.client.restoreSessionError(res, 'GET');
    return this.progressOf(ctx, ref, res.body);
  }

  async cancelRestore(ctx: CallContext, ref: VendorOperationRef): Promise<RestoreProgress> {
    this.require('restoreJob.cancel');
    // Nothing was created at Graph yet: nothing to cancel there.
    if (!ref.vendorRef) return { state: 'cancelled', vendorStatus: 'notCreated' };
    const res = await this.client.getRestoreSession(ctx, ref.vendorRef);
    if (res.status === 404) return { state: 'cancelled', vendorStatus: 'deleted' };
    if (res.status >= 300) throw this.client.restoreSessionError(res, 'GET');
    if (res.body.status !== 'draft') {
      // seed 000 §Delete Restore Session: "Restore session can only be deleted in Draft state"; Graph has
      // no way to stop an activated session.
      throw new VendorError({
        code: 'NOT_ALLOWED_IN_STATE',
        vendor: VENDOR,
        retryable: false,
        vendorCode: 'RestoreSessionActionNotAllowed',
        message: `Microsoft Graph cannot stop a restore session once activated (session ${ref.vendorRef} is ${res.body.status}).`,
      });
    }
    await this.client.deleteRestoreSession(ctx, ref.vendorRef);
    return { state: 'cancelled', vendorStatus: 'deleted' };
  }

  // --- policy rules (inclusion rules, dynamic protection) ---------------------------------------

  /**
   * A driveInclusionRule / siteInclusionRule / mailboxInclusionRule on the policy, then `run`. The docs say a new
   * rule starts `active`, the spec's protectionRuleStatus starts at `draft`: a rule still in draft is run, one
   * already applying is not. Graph rules carry no client reference, so a repeat after a crash first looks for a
   * rule of the policy with the same expression and reuses it (create or run may have happened before the crash).
   */
  async createPolicyRule(ctx: CallContext, policyRef: string, spec: PolicyRuleSpec): Promise<VendorPolicyRule> {
    this.require('policyRule.create');
    checkGroupIds(spec.groupIds);
    const r = await this.resourcesOfPolicy(ctx, policyRef);
    const expression = groupRuleExpression(spec.groupIds);
    const existing = (await this.client.listPolicyRules(ctx, r, policyRef)).value ?? [];
    let rule =
      existing.find((x) => ruleExpressionOf(x, r) === expression) ?? (await this.client.createPolicyRule(ctx, r, policyRef, expression));
    if (!rule.status || rule.status === 'draft') rule = await this.client.runRule(ctx, r, rule.id);
    return toVendorPolicyRule(rule, this.mapCode);
  }

  async getPolicyRule(ctx: CallContext, policyRef: string, ruleRef: string): Promise<VendorPolicyRule> {
    const r = await this.resourcesOfPolicy(ctx, policyRef);
    return toVendorPolicyRule(await this.client.getRule(ctx, r, ruleRef), this.mapCode);
  }

  async deletePolicyRule(ctx: CallContext, policyRef: string, ruleRef: string): Promise<void> {
    this.require('policyRule.delete');
    const r = await this.resourcesOfPolicy(ctx, policyRef);
    const res = await this.client.deleteRule(ctx, r, ruleRef);
    // seed 000 §Get Inclusion Rule: 404 ProtectionRuleNotFound = already gone, which the port allows.
    if (res.status === 404 && parseGraphErrorBody(res.body).code === 'ProtectionRuleNotFound') return;
    if (res.status >= 300) throw this.client.responseError(res, 'DELETE');
  }

  // --- helpers ------------------------------------------------------------------------------------

  private readonly mapCode = (vendorCode: string, httpStatus: number): string =>
    classifyGraphCode(this.config.catalog, vendorCode, httpStatus).code;

  private require(op: Operation): void {
    if (!this.capabilities.operations.includes(op)) {
      throw new VendorError({
        code: 'UNSUPPORTED_BY_VENDOR',
        vendor: VENDOR,
        retryable: false,
        message: `Vendor graph does not support ${op}`,
      });
    }
  }

  private resourcesOf(workload: Workload): GraphWorkloadResources {
    const r = graphResources(workload);
    if (!r) {
      throw new VendorError({
        code: 'UNSUPPORTED_BY_VENDOR',
        vendor: VENDOR,
        retryable: false,
        message: `Vendor graph does not protect the ${workload} workload`,
      });
    }
    return r;
  }

  /** The policy's workload: remembered, else from `@odata.type` of GET /protectionPolicies/{id}, else by probing. */
  private async resourcesOfPolicy(ctx: CallContext, policyId: string): Promise<GraphWorkloadResources> {
    const known = this.policyWorkloads.get(policyId);
    if (known) return known;
    let r = workloadFromODataType((await this.client.getPolicy(ctx, policyId))['@odata.type']);
    if (!r) {
      for (const candidate of Object.values(GRAPH_WORKLOADS)) {
        const res = await this.client.probeWorkloadPolicy(ctx, candidate, policyId);
        if (res.status === 200) {
          r = candidate;
          break;
        }
      }
    }
    if (!r) {
      throw new VendorError({
        code: 'VENDOR_ERROR',
        vendor: VENDOR,
        retryable: false,
        message: `Cannot tell the workload of Graph protection policy ${policyId}`,
      });
    }
    this.policyWorkloads.set(policyId, r);
    return r;
  }

  private externalIds(items: ItemSpec[], r: GraphWorkloadResources): string[] {
    const wrong = items.find((i) => i.kind !== r.kind);
    if (wrong) {
      throw new VendorError({
        code: 'INVALID_REQUEST',
        vendor: VENDOR,
        retryable: false,
        message: `A ${r.workload} policy holds ${r.kind} items, not ${wrong.kind} (${wrong.externalId})`,
      });
    }
    // seed 000 §Patch Protection Policies: DuplicateProtectionUnitInList (400) refuses duplicates, so send each once.
    return [...new Set(items.map((i) => i.externalId))];
  }

  private async patchUnits(
    ctx: CallContext,
    r: GraphWorkloadResources,
    policyId: string,
    delta: ReturnType<typeof unitToAdd>[],
    requestedIds: string[],
  ): Promise<UnitDeltaOutcome[]> {
    const res = await this.client.patchPolicy(ctx, r, policyId, { delta });
    const entries = (res[`${r.units}@delta`] as ProtectionUnitDeltaResult[] | undefined) ?? [];
    const outcomes = entries.map((e) => unitDeltaOutcome(e, r));
    // A refused entry may not name its unit; when Graph answers one entry per request entry, use the position.
    if (entries.length === requestedIds.length) {
      outcomes.forEach((o, i) => {
        if (!o.externalId) o.externalId = requestedIds[i];
      });
    }
    return outcomes;
  }

  /**
   * The items for `ids` after a create/add: the units Graph now holds (ProtectionUnitAlreadyExists counts
   * as held), else the per-unit refusal, else a pending placeholder.
   */
  private async itemsFor(
    ctx: CallContext,
    r: GraphWorkloadResources,
    policyId: string,
    ids: string[],
    outcomes: UnitDeltaOutcome[],
  ): Promise<VendorProtectedItem[]> {
    const held = new Map<string, ProtectionUnitBase>();
    let link: string | undefined;
    do {
      const page = await this.client.listUnits(ctx, r, policyId, link);
      for (const u of page.value ?? []) held.set(unitExternalId(u, r), u);
      link = page['@odata.nextLink'];
    } while (link);
    return ids.map((id) => {
      const unit = held.get(id);
      if (unit) return toVendorProtectedItem(unit, r, this.mapCode);
      const refused = outcomes.find((o) => o.externalId === id && o.error);
      const item: VendorProtectedItem = { vendorRef: '', kind: r.kind, externalId: id, vendorStatus: 'notAdded', protected: false };
      if (refused?.error) {
        item.error = {
          code: classifyGraphCode(this.config.catalog, refused.error.vendorCode, refused.error.httpStatus).code,
          vendorCode: refused.error.vendorCode,
          message: refused.error.message,
        };
      }
      return item;
    });
  }

  /** seed 000 §Create Restore Session: at most 50 artifacts (413 RestoreArtifactsLimitBreached): refuse before calling. */
  private checkRestoreRequest(req: RestoreRequest): void {
    const limit = GRAPH_LIMITS.restoreArtifactsPerSession;
    if (req.items.length > limit) {
      throw new VendorError({
        code: 'LIMIT_EXCEEDED',
        vendor: VENDOR,
        retryable: false,
        message: `Microsoft Graph restores at most ${limit} items per restore session; this restore has ${req.items.length}. Split it into several restores.`,
      });
    }
    if (req.items.length === 0) {
      throw new VendorError({
        code: 'INVALID_REQUEST',
        vendor: VENDOR,
        retryable: false,
        message: 'A restore needs at least one item (seed 000: InvalidArtifactRequest).',
      });
    }
    if (req.items.some((i) => i.paths && i.paths.length > 0)) {
      throw new VendorError({
        code: 'UNSUPPORTED_BY_VENDOR',
        vendor: VENDOR,
        retryable: false,
        message: 'Vendor graph restores whole sites, drives and mailboxes only, not individual paths',
      });
    }
  }

  private async progressOf(
    ctx: CallContext,
    ref: VendorOperationRef,
    session: Parameters<typeof toRestoreProgress>[0],
  ): Promise<RestoreProgress> {
    const state = toRestoreProgress(session, undefined, this.mapCode).state;
    if (!isTerminal(state)) return toRestoreProgress(session, undefined, this.mapCode);
    const r =
      (ref.extra?.workload ? graphResources(ref.extra.workload as Workload) : undefined) ?? workloadFromODataType(session['@odata.type']);
    if (!r) return toRestoreProgress(session, undefined, this.mapCode);
    const artifacts = await this.allArtifacts(ctx, r, ref.vendorRef);
    const progress = toRestoreProgress(session, artifacts, this.mapCode);
    // A per-artifact refusal the catalog calls retryable (DuplicateArtifactRestoreRequest: "please wait till its
    // completion and try again"; UnknownError: "please try again") is the vendor refusing that item for now.
    for (const item of progress.items ?? []) {
      if (item.status === 'failed' && item.vendorCode)
        item.retryable = classifyGraphCode(this.config.catalog, item.vendorCode, 200).retryable;
    }
    return progress;
  }

  /** Every artifact of a session, each with its restore point (every page). */
  private async allArtifacts(ctx: CallContext, r: GraphWorkloadResources, sessionId: string): Promise<RestoreArtifactBase[]> {
    const artifacts: RestoreArtifactBase[] = [];
    let link: string | undefined;
    do {
      const page = await this.client.listRestoreArtifacts(ctx, r, sessionId, link);
      artifacts.push(...(page.value ?? []));
      link = page['@odata.nextLink'];
    } while (link);
    return artifacts;
  }

  /** seed 000 §Create ProtectionPolicy: PolicyCreationNotAllowed (409), one active policy per service. */
  private explainPolicyConflict(e: unknown, r: GraphWorkloadResources): unknown {
    if (!isVendorError(e) || e.vendorCode !== 'PolicyCreationNotAllowed') return e;
    return new VendorError({
      code: 'CONFLICT',
      vendor: VENDOR,
      retryable: false,
      vendorCode: e.vendorCode,
      httpStatus: e.httpStatus,
      vendorRequestId: e.vendorRequestId,
      message: `Microsoft 365 Backup Storage allows only one active ${r.workload} protection policy per tenant, and one already exists. Add the items to that policy instead of creating another.`,
    });
  }
}

export const graphDescriptor: VendorDescriptor = {
  capabilities: GRAPH_CAPABILITIES,
  defaultEndpoint: GRAPH_DEFAULT_ENDPOINT,
  credentialFields: GRAPH_CREDENTIAL_FIELDS,
  create: (config) => new GraphAdapter(config),
};
