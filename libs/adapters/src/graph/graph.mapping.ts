import type { ProtectedItemKind, RestoreDestination, RestoreItemStatus, Workload } from '@bg/domain';
import type {
  RestoreProgress,
  RestoreRequest,
  RestoreState,
  VendorPolicy,
  VendorPolicyRule,
  VendorProtectedItem,
  VendorRestorePoint,
} from '../port/port.types';
import type {
  DestinationType,
  ProtectionPolicyBase,
  ProtectionRuleBase,
  ProtectionUnitBase,
  ProtectionUnitDelta,
  ProtectionUnitDeltaResult,
  PublicError,
  RestoreArtifactBase,
  RestoreArtifactCreate,
  RestorePoint,
  RestorePointSearchRequest,
  RestoreSessionBase,
} from './graph.types';

export type GraphWorkload = 'sharepoint' | 'onedrive' | 'exchange';

/** The Graph collections behind one of our workloads (SOURCE.md §Flow; CSDL backupRestoreRoot). */
export interface GraphWorkloadResources {
  workload: GraphWorkload;
  kind: ProtectedItemKind;
  /** `/solutions/backupRestore/<policies>` */
  policies: string;
  /** navigation property of the policy holding its units; also `<units>@delta` on PATCH */
  units: string;
  /** the unit property carrying the workload's own id (our externalId) */
  unitKey: 'siteId' | 'directoryObjectId';
  /** `/solutions/backupRestore/<restoreSessions>` */
  restoreSessions: string;
  /** navigation property of the session holding its artifacts */
  artifacts: string;
  /** `/solutions/backupRestore/<rules>`, also the policy's navigation property of its inclusion rules */
  rules: string;
  /** the rule property holding its expression */
  ruleExpression: 'siteExpression' | 'driveExpression' | 'mailboxExpression';
  /** lower-case OData type names of the policy and session, to recognise `@odata.type` */
  policyType: string;
  sessionType: string;
}

export const GRAPH_WORKLOADS: Record<GraphWorkload, GraphWorkloadResources> = {
  sharepoint: {
    workload: 'sharepoint',
    kind: 'site',
    policies: 'sharePointProtectionPolicies',
    units: 'siteProtectionUnits',
    unitKey: 'siteId',
    restoreSessions: 'sharePointRestoreSessions',
    artifacts: 'siteRestoreArtifacts',
    rules: 'siteInclusionRules',
    ruleExpression: 'siteExpression',
    policyType: 'microsoft.graph.sharepointprotectionpolicy',
    sessionType: 'microsoft.graph.sharepointrestoresession',
  },
  onedrive: {
    workload: 'onedrive',
    kind: 'drive',
    policies: 'oneDriveForBusinessProtectionPolicies',
    units: 'driveProtectionUnits',
    unitKey: 'directoryObjectId',
    restoreSessions: 'oneDriveForBusinessRestoreSessions',
    artifacts: 'driveRestoreArtifacts',
    rules: 'driveInclusionRules',
    ruleExpression: 'driveExpression',
    policyType: 'microsoft.graph.onedriveforbusinessprotectionpolicy',
    sessionType: 'microsoft.graph.onedriveforbusinessrestoresession',
  },
  exchange: {
    workload: 'exchange',
    kind: 'mailbox',
    policies: 'exchangeProtectionPolicies',
    units: 'mailboxProtectionUnits',
    unitKey: 'directoryObjectId',
    restoreSessions: 'exchangeRestoreSessions',
    artifacts: 'mailboxRestoreArtifacts',
    rules: 'mailboxInclusionRules',
    ruleExpression: 'mailboxExpression',
    policyType: 'microsoft.graph.exchangeprotectionpolicy',
    sessionType: 'microsoft.graph.exchangerestoresession',
  },
};

export function graphResources(workload: Workload): GraphWorkloadResources | undefined {
  return (GRAPH_WORKLOADS as Partial<Record<Workload, GraphWorkloadResources>>)[workload];
}

/**
 * The workload of a policy or session from its `@odata.type`. Case-insensitive: the docs' own samples
 * write both `#microsoft.graph.sharePointRestoreSession` and `#microsoft.graph.sharepointRestoreSession`.
 */
export function workloadFromODataType(odataType: string | undefined): GraphWorkloadResources | undefined {
  const t = (odataType ?? '').replace(/^#/, '').toLowerCase();
  return Object.values(GRAPH_WORKLOADS).find((r) => r.policyType === t || r.sessionType === t);
}

/**
 * protectionPolicyStatus: inactive, activeWithErrors, updating, active (SOURCE.md §Status enums).
 * `updating` says nothing about activation, so there `isEnabled` decides.
 */
export function policyIsActive(p: ProtectionPolicyBase): boolean {
  if (p.status === 'active' || p.status === 'activeWithErrors') return true;
  if (p.status === 'inactive') return false;
  return p.isEnabled === true;
}

export function toVendorPolicy(p: ProtectionPolicyBase, workload: GraphWorkload): VendorPolicy {
  return {
    vendorRef: p.id,
    workload,
    displayName: p.displayName ?? '',
    active: policyIsActive(p),
    vendorStatus: p.status ?? 'unknown',
  };
}

export function unitExternalId(u: ProtectionUnitBase, r: GraphWorkloadResources): string {
  return (r.unitKey === 'siteId' ? u.siteId : u.directoryObjectId) ?? '';
}

/**
 * Unit statuses in which Graph still lists a unit but no longer backs it up (protectionUnitStatus, v1.0 CSDL as in
 * apps/sandbox/specs/graph/SOURCE.md: the unit is on its way out of its policy, or its resource is offboarded): protection health reads them as
 * unprotected rather than as missed backups.
 */
const NOT_PROTECTING: ReadonlySet<string> = new Set([
  'unprotectRequested',
  'unprotected',
  'removeRequested',
  'offboardRequested',
  'offboarded',
]);

/**
 * A unit as a protected item. A unit's `error` (seed 000 §Get Protection unit: UnknownError, ProtectionUnitNotFound,
 * InvalidArtifactId, QuotaExceeded, all with HTTP 200) is that one item's failure, normalized through the catalog;
 * a unit carrying one is not protected, whatever its status says.
 */
export function toVendorProtectedItem(u: ProtectionUnitBase, r: GraphWorkloadResources, mapCode: CodeMapper): VendorProtectedItem {
  const item: VendorProtectedItem = {
    vendorRef: u.id ?? '',
    kind: r.kind,
    externalId: unitExternalId(u, r),
    vendorStatus: u.status ?? 'unknown',
    protected: u.status === 'protected' && !u.error?.code,
  };
  if (u.status && NOT_PROTECTING.has(u.status)) item.unprotected = true;
  const error = mapPublicError(u.error, mapCode);
  if (error) item.error = error;
  return item;
}

/** `{ "siteId": ... }` / `{ "directoryObjectId": ... }`: one unit to add (SOURCE.md §Flow 1-2). */
export function unitToAdd(externalId: string, r: GraphWorkloadResources): ProtectionUnitDelta {
  return r.unitKey === 'siteId' ? { siteId: externalId } : { directoryObjectId: externalId };
}

/** `{ "@removed": {"reason":"changed"}, "id": ... }`: one unit to remove (sharepointprotectionpolicy-update). */
export function unitToRemove(unitId: string): ProtectionUnitDelta {
  return { '@removed': { reason: 'changed' }, id: unitId };
}

/** One entry of a PATCH `<units>@delta` response, reduced to what the adapter needs. */
export interface UnitDeltaOutcome {
  unitId?: string;
  externalId?: string;
  status?: string;
  /** A per-unit refusal: seed 000 §Patch Protection Policies lists these with HTTP 200. */
  error?: { vendorCode: string; message: string; httpStatus: number };
}

export function unitDeltaOutcome(e: ProtectionUnitDeltaResult, r: GraphWorkloadResources): UnitDeltaOutcome {
  const externalId = unitExternalId(e, r) || undefined;
  const dme = e['@Core.DataModificationException'];
  if (dme) {
    return {
      unitId: e.id,
      externalId,
      error: {
        vendorCode: dme.info?.code ?? 'UnknownError',
        message: dme.info?.message ?? 'Protection unit change refused',
        httpStatus: 200,
      },
    };
  }
  if (e.error?.code) {
    return {
      unitId: e.id,
      externalId,
      status: e.status,
      error: { vendorCode: e.error.code, message: e.error.message ?? e.error.code, httpStatus: 200 },
    };
  }
  return { unitId: e.id, externalId, status: e.status };
}

/** restorePointTags is a flags enum serialised as a comma list; `none` is no tag. */
export function restorePointTags(tags: string | undefined): string[] {
  return (tags ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t && t !== 'none');
}

export function toVendorRestorePoint(rp: RestorePoint, protectionUnitId: string): VendorRestorePoint {
  const point: VendorRestorePoint = {
    vendorRef: rp.id,
    protectedItemRef: rp.protectionUnit?.id ?? protectionUnitId,
    pointInTime: new Date(rp.protectionDateTime ?? 0),
    tags: restorePointTags(rp.tags),
  };
  if (rp.expirationDateTime) point.expiresAt = new Date(rp.expirationDateTime);
  return point;
}

/**
 * Query of `GET /solutions/backupRestore/restorePoints` for one unit, exactly as documented (List restorePoints:
 * `$expand=protectionUnit($filter=id eq '{id}')&$filter=protectionDateTime lt ...`, both required; the answer
 * holds at most the five newest points before the bound).
 */
export function restorePointsQuery(protectionUnitId: string, before: Date): Record<string, string> {
  return {
    $expand: `protectionUnit($filter=id eq '${protectionUnitId.replace(/'/g, "''")}')`,
    $filter: `protectionDateTime lt ${before.toISOString()}`,
  };
}

// The earliest start a restore point search may need: the Unix epoch (a period needs a start; restore points are younger).
const SEARCH_EPOCH = new Date(0);

/**
 * `POST /restorePoints/search` for the newest point of one unit in [from, to] (restorePoint: search doc:
 * restorePointPreference `latest`; no endDateTime when there is no upper bound, as in the doc's artifactQuery sample).
 */
export function latestRestorePointSearch(protectionUnitId: string, from?: Date, to?: Date): RestorePointSearchRequest {
  return {
    protectionUnitIds: [protectionUnitId],
    protectionTimePeriod: { startDateTime: (from ?? SEARCH_EPOCH).toISOString(), ...(to ? { endDateTime: to.toISOString() } : {}) },
    restorePointPreference: 'latest',
  };
}

export function destinationType(destination: RestoreDestination): DestinationType {
  return destination === 'original' ? 'inPlace' : 'new';
}

/** Body of `POST /<restoreSessions>` holding every artifact (backuprestoreroot-post-sharepointrestoresessions). */
export function restoreSessionBody(req: RestoreRequest, r: GraphWorkloadResources): Record<string, RestoreArtifactCreate[]> {
  const type = destinationType(req.destination);
  return {
    [r.artifacts]: req.items.map((i) => ({ restorePoint: { '@odata.id': i.restorePointRef }, destinationType: type })),
  };
}

/**
 * restoreSessionStatus (seed 003 §restoreSessionStatus values). `unknownFutureValue` only reaches us
 * for members we did not opt into; after activation we treat it as failed, as the brief asks.
 */
export function restoreState(status: string | undefined): RestoreState {
  switch (status) {
    case 'draft':
      return 'pending';
    case 'activating':
    case 'active':
      return 'running';
    case 'completed':
      return 'succeeded';
    case 'completedWithError':
      return 'partiallySucceeded';
    case 'failed':
    case 'unknownFutureValue':
      return 'failed';
    default:
      return 'running';
  }
}

export function isTerminal(state: RestoreState): boolean {
  return state === 'succeeded' || state === 'partiallySucceeded' || state === 'failed' || state === 'cancelled';
}

/** artifactRestoreStatus: added, scheduling, scheduled, inProgress, succeeded, failed (SOURCE.md §Status enums). */
export function artifactItemStatus(status: string | undefined): RestoreItemStatus {
  switch (status) {
    case 'added':
    case 'scheduling':
    case 'scheduled':
      return 'pending';
    case 'inProgress':
      return 'running';
    case 'succeeded':
      return 'succeeded';
    case 'failed':
    case 'unknownFutureValue':
      return 'failed';
    default:
      return 'running';
  }
}

/** Normalizes a vendor error code met inside a 200 body (per-unit, per-artifact, session `error`). */
export type CodeMapper = (vendorCode: string, httpStatus: number) => string;

function mapPublicError(e: PublicError | null | undefined, mapCode: CodeMapper): RestoreProgress['error'] {
  if (!e?.code) return undefined;
  return { code: mapCode(e.code, 200), vendorCode: e.code, message: e.message ?? e.code };
}

export function toRestoreProgress(
  session: RestoreSessionBase,
  artifacts: RestoreArtifactBase[] | undefined,
  mapCode: CodeMapper,
): RestoreProgress {
  const progress: RestoreProgress = { state: restoreState(session.status), vendorStatus: session.status ?? 'unknown' };
  const error = mapPublicError(session.error, mapCode);
  if (error) progress.error = error;
  if (artifacts) {
    progress.items = artifacts.map((a) => {
      const item: NonNullable<RestoreProgress['items']>[number] = {
        restorePointRef: a.restorePoint?.id ?? '',
        status: artifactItemStatus(a.status),
        vendorStatus: a.status ?? 'unknown',
      };
      const e = mapPublicError(a.error, mapCode);
      if (e) {
        item.errorCode = e.code;
        item.vendorCode = e.vendorCode;
        item.errorMessage = e.message;
      }
      return item;
    });
  }
  return progress;
}

/**
 * The inclusion-rule expression naming directory groups, in the form of the Graph docs' driveExpression examples:
 * `(memberOf -any (group.id -in ['<id>', …]))`. The docs show it for drives and mailboxes; sites use the same form.
 */
export function groupRuleExpression(groupIds: string[]): string {
  return `(memberOf -any (group.id -in [${groupIds.map((g) => `'${g}'`).join(', ')}]))`;
}

/** The expression of a rule, whatever its kind. */
export function ruleExpressionOf(rule: ProtectionRuleBase, r: GraphWorkloadResources): string | undefined {
  return rule[r.ruleExpression] ?? undefined;
}

/**
 * protectionRuleStatus -> the port's rule state. The docs say a new rule starts `active` (draft "not supported
 * yet") and ends `completed` or `completedWithErrors`; `unknownFutureValue` (an evolvable member we did not ask
 * for) and `updateRequested` are still being applied.
 */
export function toVendorPolicyRule(rule: ProtectionRuleBase, mapCode: CodeMapper): VendorPolicyRule {
  const status = rule.status ?? 'unknown';
  const state: VendorPolicyRule['state'] =
    status === 'draft'
      ? 'pending'
      : status === 'completed'
        ? 'completed'
        : status === 'completedWithErrors'
          ? 'completedWithErrors'
          : status === 'deleteRequested'
            ? 'deleting'
            : 'running';
  const out: VendorPolicyRule = { vendorRef: rule.id, state, vendorStatus: status };
  const error = mapPublicError(rule.error, mapCode);
  if (error) out.error = error;
  return out;
}
