import type { GraphDirectory } from './graph.fixtures';
import { graphPublicError } from './graph.errors';
import {
  artifactStatus,
  FAST_RESTORE_MS,
  GRAPH_SERVICES,
  policyStatus,
  RETENTION_MS,
  sessionStatus,
  unitError,
  unitsOfPolicy,
  type ArtifactRecord,
  type GraphSandboxConfig,
  type GraphTenantState,
  type PolicyRecord,
  type RuleRecord,
  type SessionRecord,
  type UnitRecord,
} from './graph.state';

/** What a view needs to know about the request: the tenant, the sandbox time and the Prefer header. */
export interface GraphViewContext {
  state: GraphTenantState;
  directory: GraphDirectory;
  config: GraphSandboxConfig;
  now: number;
  /** `Prefer: include-unknown-enum-members` was sent (SOURCE.md §Evolvable enums). */
  includeUnknown: boolean;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function identitySet(appId: string) {
  return { application: { id: appId, displayName: 'Backup Controller' }, user: null, device: null };
}

/**
 * Evolvable enums: members declared after `unknownFutureValue` are sent only to clients that opt in with
 * `Prefer: include-unknown-enum-members`; others see `unknownFutureValue` (SOURCE.md §Evolvable enums).
 */
function evolvable<T extends string>(ctx: GraphViewContext, value: T, afterSentinel: readonly string[]): T | 'unknownFutureValue' {
  return !ctx.includeUnknown && afterSentinel.includes(value) ? 'unknownFutureValue' : value;
}

export function policyView(ctx: GraphViewContext, p: PolicyRecord) {
  const names = GRAPH_SERVICES[p.service];
  const units = unitsOfPolicy(ctx.state, p.id);
  const status = policyStatus(ctx.state, p, ctx.now, ctx.config);
  return {
    '@odata.type': `#microsoft.graph.${names.policyType}`,
    id: p.id,
    displayName: p.displayName,
    isEnabled: p.target === 'active',
    status,
    createdBy: identitySet(p.appId),
    createdDateTime: iso(p.createdAt),
    lastModifiedBy: identitySet(p.appId),
    lastModifiedDateTime: iso(p.modifiedAt),
    // As in the Create sharePointProtectionPolicy sample: 10-minute copies for 2 weeks, weekly for a year.
    retentionSettings: [
      { interval: 'R/PT10M', period: 'P2W' },
      { interval: 'R/P1W', period: 'P1Y' },
    ],
    protectionPolicyArtifactCount: {
      total: units.length,
      completed: units.filter((u) => u.status === 'protected' && !unitError(ctx.config, u)).length,
      inProgress: units.filter((u) => (u.dueAt !== undefined || u.status === 'protectRequested') && !unitError(ctx.config, u)).length,
      failed: units.filter((u) => unitError(ctx.config, u)).length,
    },
  };
}

/** The unit as Graph shows it; `short` is the form nested in a restorePoint. */
export function unitView(ctx: GraphViewContext, u: UnitRecord, short = false) {
  const names = GRAPH_SERVICES[u.service];
  const resource =
    names.resourceKey === 'siteId'
      ? (() => {
          const s = ctx.directory.site(u.resourceId);
          return short ? { siteId: u.resourceId } : { siteId: u.resourceId, siteName: s?.name ?? null, siteWebUrl: s?.webUrl ?? null };
        })()
      : (() => {
          const usr = ctx.directory.user(u.resourceId);
          return short
            ? { directoryObjectId: u.resourceId }
            : { directoryObjectId: u.resourceId, displayName: usr?.displayName ?? null, email: usr?.email ?? null };
        })();
  const base = { '@odata.type': `#microsoft.graph.${names.unitType}`, id: u.id, ...resource, policyId: u.policyId };
  if (short) return base;
  return {
    ...base,
    status: evolvable(ctx, u.status === 'removed' ? 'removeRequested' : u.status, [
      'offboardRequested',
      'offboarded',
      'cancelOffboardRequested',
    ]),
    protectionSources: 'manual',
    createdBy: identitySet(u.appId),
    createdDateTime: iso(u.createdAt),
    lastModifiedBy: identitySet(u.appId),
    lastModifiedDateTime: iso(u.modifiedAt),
    offboardRequestedDateTime: null,
    error: unitErrorView(ctx, u),
  };
}

/** The unit's `error` (publicError): an injected seed 000 §Get Protection unit row (graph.faults.ts), else null. */
function unitErrorView(ctx: GraphViewContext, u: UnitRecord) {
  const code = unitError(ctx.config, u);
  return code ? graphPublicError('getUnit', code, { id: u.id }) : null;
}

export function restorePointView(ctx: GraphViewContext, id: string, u: UnitRecord, time: number, withUnit: boolean) {
  return {
    '@odata.type': '#microsoft.graph.restorePoint',
    id,
    protectionDateTime: iso(time),
    expirationDateTime: iso(time + RETENTION_MS),
    tags: ctx.now - time <= FAST_RESTORE_MS ? 'fastRestore' : 'none',
    ...(withUnit ? { protectionUnit: unitView(ctx, u, true) } : {}),
  };
}

function artifactError(a: ArtifactRecord) {
  return a.failure ? graphPublicError('listArtifacts', a.failure) : null;
}

export function artifactView(ctx: GraphViewContext, s: SessionRecord, a: ArtifactRecord, withRestorePoint: boolean) {
  const names = GRAPH_SERVICES[s.service];
  const status = artifactStatus(s, a, ctx.now);
  const started = status === 'inProgress' || status === 'succeeded' || status === 'failed';
  const done = status === 'succeeded' || status === 'failed';
  const unit = ctx.state.units[a.unitId];
  return {
    '@odata.type': `#microsoft.graph.${names.artifactType}`,
    id: a.id,
    destinationType: a.destinationType,
    status,
    startDateTime: started ? iso((s.activatedAt ?? 0) + (s.activatingMs ?? 0)) : null,
    completionDateTime: done ? iso(s.completedAt) : null,
    error: done ? artifactError(a) : null,
    ...restoredTarget(ctx, s, a, status === 'succeeded'),
    ...(withRestorePoint && unit ? { restorePoint: restorePointView(ctx, a.restorePointId, unit, a.protectionTime, true) } : {}),
  };
}

/** Where a restored artifact landed: the same resource for inPlace, a new site/folder for new. */
function restoredTarget(ctx: GraphViewContext, s: SessionRecord, a: ArtifactRecord, succeeded: boolean) {
  const unit = ctx.state.units[a.unitId];
  const suffix = a.id.slice(0, 8);
  if (s.service === 'exchange') {
    if (!succeeded) return { restoredFolderId: null, restoredFolderName: null, restoredItemCount: null };
    return a.destinationType === 'new'
      ? { restoredFolderId: `AAMk${suffix}`, restoredFolderName: `Restored-${suffix}`, restoredItemCount: 42 }
      : { restoredFolderId: null, restoredFolderName: null, restoredItemCount: 42 };
  }
  if (!succeeded || !unit) return { restoredSiteId: null, restoredSiteName: null, restoredSiteWebUrl: null };
  if (s.service === 'sharePoint') {
    const site = ctx.directory.site(unit.resourceId);
    return a.destinationType === 'new'
      ? {
          restoredSiteId: `${unit.resourceId.split(',')[0]},${a.id},${a.id}`,
          restoredSiteName: `${site?.name} (restored ${suffix})`,
          restoredSiteWebUrl: `${site?.webUrl}-restored-${suffix}`,
        }
      : { restoredSiteId: unit.resourceId, restoredSiteName: site?.name ?? null, restoredSiteWebUrl: site?.webUrl ?? null };
  }
  const user = ctx.directory.user(unit.resourceId);
  const personal = `https://${ctx.directory.tenantId.slice(0, 8)}-my.sharepoint.com/personal/user${user?.index}`;
  return a.destinationType === 'new'
    ? {
        restoredSiteId: a.id,
        restoredSiteName: `${user?.displayName} (restored ${suffix})`,
        restoredSiteWebUrl: `${personal}-restored-${suffix}`,
      }
    : { restoredSiteId: unit.resourceId, restoredSiteName: user?.displayName ?? null, restoredSiteWebUrl: personal };
}

function sessionError(s: SessionRecord, status: string) {
  if (status !== 'completedWithError' && status !== 'failed') return null;
  const failed = s.artifacts.filter((a) => a.failure);
  return {
    code: failed[0].failure,
    message: `${failed.length} of ${s.artifacts.length} restore artifacts failed to restore.`,
    details: failed.map((a) => ({ ...graphPublicError('listArtifacts', a.failure!), target: a.id })),
  };
}

export function sessionView(ctx: GraphViewContext, s: SessionRecord, withArtifacts: boolean) {
  const names = GRAPH_SERVICES[s.service];
  const status = sessionStatus(s, ctx.now);
  const terminal = status === 'completed' || status === 'completedWithError' || status === 'failed';
  const statuses = s.artifacts.map((a) => artifactStatus(s, a, ctx.now));
  return {
    '@odata.type': `#microsoft.graph.${names.sessionType}`,
    id: s.id,
    status: evolvable(ctx, status, ['failed']),
    restoreJobType: 'standard',
    restoreSessionArtifactCount: {
      total: s.artifacts.length,
      completed: statuses.filter((x) => x === 'succeeded').length,
      failed: statuses.filter((x) => x === 'failed').length,
      inProgress: statuses.filter((x) => x === 'scheduling' || x === 'scheduled' || x === 'inProgress').length,
    },
    createdBy: identitySet(s.appId),
    createdDateTime: iso(s.createdAt),
    lastModifiedBy: identitySet(s.appId),
    lastModifiedDateTime: iso(s.modifiedAt),
    completedDateTime: terminal ? iso(s.completedAt) : null,
    error: sessionError(s, status),
    ...(withArtifacts ? { [names.artifactsProperty]: s.artifacts.map((a) => artifactView(ctx, s, a, false)) } : {}),
  };
}

/** An inclusion rule as Graph shows it (driveProtectionRule / siteProtectionRule / mailboxProtectionRule). */
export function ruleView(ctx: GraphViewContext, r: RuleRecord) {
  const names = GRAPH_SERVICES[r.service];
  return {
    '@odata.type': `#microsoft.graph.${names.ruleType}`,
    id: r.id,
    [names.ruleExpression]: r.expression,
    // protectionRuleStatus: updateRequested and deleteRequested come after unknownFutureValue (evolvable enum).
    status: evolvable(ctx, r.status, ['deleteRequested']),
    // Graph docs (driveProtectionRule): "Currently, only static rules are supported."
    isAutoApplyEnabled: false,
    error: r.error ?? null,
    createdBy: identitySet(r.appId),
    createdDateTime: iso(r.createdAt),
    lastModifiedBy: identitySet(r.appId),
    lastModifiedDateTime: iso(r.modifiedAt),
  };
}
