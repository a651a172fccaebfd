import { randomUUID } from 'node:crypto';
import { injectedErrors, injectedFor, INJECTABLE_ARTIFACT_ERRORS, INJECTABLE_UNIT_ERRORS, transientOperations } from './graph.faults';
import type { InjectedArtifactError, InjectedUnitError, TransientOperation } from './graph.faults';
import { graphSandboxGroupMembers, graphSandboxSite, graphSandboxUser, sandboxGuid } from './graph.fixtures';

/** The three Microsoft 365 services the Backup Storage API protects, with their Graph names. */
export type GraphService = 'sharePoint' | 'oneDriveForBusiness' | 'exchange';

export interface GraphServiceNames {
  service: GraphService;
  policyCollection: string;
  policyType: string;
  unitsProperty: string;
  unitCollection: string;
  unitType: string;
  sessionCollection: string;
  sessionType: string;
  artifactsProperty: string;
  artifactType: string;
  /** The property of an addition that names the resource: `siteId` or `directoryObjectId`. */
  resourceKey: 'siteId' | 'directoryObjectId';
  /** Inclusion rules (dynamic protection): the root collection, the policy's navigation property, type, expression. */
  ruleCollection: string;
  ruleType: string;
  ruleExpression: string;
}

export const GRAPH_SERVICES: Record<GraphService, GraphServiceNames> = {
  sharePoint: {
    service: 'sharePoint',
    policyCollection: 'sharePointProtectionPolicies',
    policyType: 'sharePointProtectionPolicy',
    unitsProperty: 'siteProtectionUnits',
    unitCollection: 'siteProtectionUnits',
    unitType: 'siteProtectionUnit',
    sessionCollection: 'sharePointRestoreSessions',
    sessionType: 'sharePointRestoreSession',
    artifactsProperty: 'siteRestoreArtifacts',
    artifactType: 'siteRestoreArtifact',
    resourceKey: 'siteId',
    ruleCollection: 'siteInclusionRules',
    ruleType: 'siteProtectionRule',
    ruleExpression: 'siteExpression',
  },
  oneDriveForBusiness: {
    service: 'oneDriveForBusiness',
    policyCollection: 'oneDriveForBusinessProtectionPolicies',
    policyType: 'oneDriveForBusinessProtectionPolicy',
    unitsProperty: 'driveProtectionUnits',
    unitCollection: 'driveProtectionUnits',
    unitType: 'driveProtectionUnit',
    sessionCollection: 'oneDriveForBusinessRestoreSessions',
    sessionType: 'oneDriveForBusinessRestoreSession',
    artifactsProperty: 'driveRestoreArtifacts',
    artifactType: 'driveRestoreArtifact',
    resourceKey: 'directoryObjectId',
    ruleCollection: 'driveInclusionRules',
    ruleType: 'driveProtectionRule',
    ruleExpression: 'driveExpression',
  },
  exchange: {
    service: 'exchange',
    policyCollection: 'exchangeProtectionPolicies',
    policyType: 'exchangeProtectionPolicy',
    unitsProperty: 'mailboxProtectionUnits',
    unitCollection: 'mailboxProtectionUnits',
    unitType: 'mailboxProtectionUnit',
    sessionCollection: 'exchangeRestoreSessions',
    sessionType: 'exchangeRestoreSession',
    artifactsProperty: 'mailboxRestoreArtifacts',
    artifactType: 'mailboxRestoreArtifact',
    resourceKey: 'directoryObjectId',
    ruleCollection: 'mailboxInclusionRules',
    ruleType: 'mailboxProtectionRule',
    ruleExpression: 'mailboxExpression',
  },
};

export const GRAPH_SERVICE_LIST = Object.values(GRAPH_SERVICES);

/** Unit statuses (protectionUnitStatus) plus `removed`, which is internal: removed units are no longer listed. */
export type UnitStatus = 'protectRequested' | 'protected' | 'unprotectRequested' | 'unprotected' | 'removeRequested' | 'removed';

export interface PolicyRecord {
  id: string;
  service: GraphService;
  displayName: string;
  /** What the last activate/deactivate asked for; the reported status adds `updating` while units move. */
  target: 'inactive' | 'active';
  /** Until this sandbox time (ms) the policy reports `updating` after activate/deactivate. */
  updatingUntil?: number;
  createdAt: number;
  modifiedAt: number;
  appId: string;
}

export interface UnitRecord {
  id: string;
  service: GraphService;
  policyId: string;
  /** siteId or directoryObjectId of the protected resource. */
  resourceId: string;
  fixtureIndex: number;
  restoreBlocked: boolean;
  status: UnitStatus;
  /** Sandbox time (ms) at which the pending status (…Requested) completes; unset when nothing is pending. */
  dueAt?: number;
  /** Periods during which the unit was protected; restore points are taken inside them. */
  protectedPeriods: { from: number; to?: number }[];
  /** Its backups were stopped by fault injection (scope config stoppedBackups, or an injected unit error). */
  backupsStopped?: boolean;
  createdAt: number;
  modifiedAt: number;
  appId: string;
}

/** protectionRuleStatus values the sandbox uses (`deleteRequested` after deleteAndUnprotect). */
export type RuleStatus = 'draft' | 'active' | 'completed' | 'completedWithErrors' | 'deleteRequested';

/** An inclusion rule (driveProtectionRule / siteProtectionRule / mailboxProtectionRule) of one policy. */
export interface RuleRecord {
  id: string;
  service: GraphService;
  policyId: string;
  expression: string;
  /** The group ids the expression names (`(memberOf -any (group.id -in ['…']))`). */
  groupIds: string[];
  status: RuleStatus;
  /** Sandbox time (ms) at which a running rule is applied, or a deleteRequested rule is gone. */
  dueAt?: number;
  /** Units this rule added (deleteAndUnprotect removes them). */
  unitIds: string[];
  error?: { code: string; message: string };
  createdAt: number;
  modifiedAt: number;
  appId: string;
}

export interface ArtifactRecord {
  id: string;
  restorePointId: string;
  unitId: string;
  protectionTime: number;
  destinationType: 'new' | 'inPlace';
  createdAt: number;
  /** Fixed at activation: the artifact-level error it ends with, if any (seed 000 §List Restore Artifacts). */
  failure?: 'ArtifactCannotBeRestored' | 'DuplicateArtifactRestoreRequest' | 'InvalidRestoreTime' | InjectedArtifactError;
}

export interface SessionRecord {
  id: string;
  service: GraphService;
  artifacts: ArtifactRecord[];
  createdAt: number;
  modifiedAt: number;
  appId: string;
  activatedAt?: number;
  /** Durations captured at activation so later config changes don't rewrite history. */
  activatingMs?: number;
  restoreDurationMs?: number;
  /** Set once the session reached a terminal status. */
  completedAt?: number;
}

export interface RestorePointRef {
  unitId: string;
  time: number;
}

/** Everything the sandbox knows of one Entra tenant. Plain JSON so the control API can show it. */
export interface GraphTenantState {
  tenantId: string;
  policies: Record<string, PolicyRecord>;
  units: Record<string, UnitRecord>;
  sessions: Record<string, SessionRecord>;
  rules: Record<string, RuleRecord>;
  /** Restore point ids handed out so far (ids are derived from unit + time; see restorePointId). */
  restorePoints: Record<string, RestorePointRef>;
}

export function newGraphTenantState(tenantId: string): GraphTenantState {
  return { tenantId, policies: {}, units: {}, sessions: {}, rules: {}, restorePoints: {} };
}

/** Scope config keys (PATCH /_sandbox/graph/scopes/<tenant>/config) and their defaults. */
export interface GraphSandboxConfig {
  tokenLifetimeSeconds: number;
  protectDelayMs: number;
  backupIntervalMs: number;
  activatingMs: number;
  restoreDurationMs: number;
  stuckSessions: boolean;
  maxActiveRestoreSessions: number;
  maxFilterClauses: number;
  /** Per-unit errors injected by tests (graph.faults.ts). */
  unitErrors: Record<string, InjectedUnitError>;
  /** Per-artifact errors injected by tests (graph.faults.ts). */
  artifactErrors: Record<string, InjectedArtifactError>;
  /** Units (by id or resource, lower-cased) whose backups stop happening while they still read `protected` (graph.faults.ts). */
  stoppedBackups: string[];
  /** Time a rule takes from `run` (status active) to completed / completedWithErrors. */
  ruleRunMs: number;
  /** Operations answering their seed 000 transient 500 while listed (graph.faults.ts TRANSIENT_FAILURES). */
  failOperations: TransientOperation[];
}

export const GRAPH_CONFIG_DEFAULTS: GraphSandboxConfig = {
  tokenLifetimeSeconds: 3600,
  protectDelayMs: 500,
  backupIntervalMs: 60 * 60 * 1000,
  activatingMs: 300,
  restoreDurationMs: 1500,
  stuckSessions: false,
  // seed 000 §Activate Restore Session: more than 25 sessions active at once -> TooManyActiveRestoreSessions.
  maxActiveRestoreSessions: 25,
  maxFilterClauses: 20,
  unitErrors: {},
  artifactErrors: {},
  stoppedBackups: [],
  ruleRunMs: 500,
  failOperations: [],
};

export function graphConfig(raw: Record<string, unknown>): GraphSandboxConfig {
  const c = { ...GRAPH_CONFIG_DEFAULTS };
  c.unitErrors = injectedErrors(raw.unitErrors, INJECTABLE_UNIT_ERRORS);
  c.artifactErrors = injectedErrors(raw.artifactErrors, INJECTABLE_ARTIFACT_ERRORS);
  c.failOperations = transientOperations(raw.failOperations);
  c.stoppedBackups = Array.isArray(raw.stoppedBackups) ? raw.stoppedBackups.map((k) => String(k).toLowerCase()) : [];
  const lists: ReadonlySet<string> = new Set(['unitErrors', 'artifactErrors', 'failOperations', 'stoppedBackups']);
  for (const k of Object.keys(c) as (keyof GraphSandboxConfig)[]) {
    if (raw[k] === undefined || lists.has(k)) continue;
    (c as Record<string, unknown>)[k] = typeof c[k] === 'boolean' ? raw[k] === true || raw[k] === 'true' : Number(raw[k]);
  }
  return c;
}

/** Restore points are kept for a year (retentionSettings `R/P1W` for `P1Y`). */
export const RETENTION_MS = 365 * 24 * 60 * 60 * 1000;
/** Points of the last 14 days are fast-restore points (retentionSettings `R/PT10M` for `P2W`). */
export const FAST_RESTORE_MS = 14 * 24 * 60 * 60 * 1000;

/**
 * Applies every pending transition whose time has come, each at its own due time so results don't depend
 * on when the sandbox was asked. Called at the start of every request of the tenant.
 */
export function advanceTenant(state: GraphTenantState, now: number, config: GraphSandboxConfig): void {
  for (const r of Object.values(state.rules)) {
    if (r.dueAt === undefined || r.dueAt > now) continue;
    const at = r.dueAt;
    r.dueAt = undefined;
    r.modifiedAt = at;
    if (r.status === 'deleteRequested') delete state.rules[r.id];
    else if (r.status === 'active') applyRule(state, r, at, config);
  }
  for (const u of Object.values(state.units)) {
    if (u.dueAt === undefined || u.dueAt > now) continue;
    const at = u.dueAt;
    u.dueAt = undefined;
    u.modifiedAt = at;
    // A unit with an injected error (graph.faults.ts) stays protectRequested: its protection does not complete.
    if (u.status === 'protectRequested' && unitError(config, u)) continue;
    if (u.status === 'protectRequested') {
      u.status = 'protected';
      u.protectedPeriods.push({ from: at });
    } else if (u.status === 'unprotectRequested' || u.status === 'removeRequested') {
      u.status = u.status === 'unprotectRequested' ? 'unprotected' : 'removed';
      const open = u.protectedPeriods.find((p) => p.to === undefined);
      if (open) open.to = at;
    }
  }
  for (const u of Object.values(state.units)) if (u.status === 'protected') stopOrResumeBackups(u, now, config);
  for (const p of Object.values(state.policies)) {
    if (p.updatingUntil !== undefined && p.updatingUntil <= now) p.updatingUntil = undefined;
  }
  for (const s of Object.values(state.sessions)) {
    const end = sessionEnd(s, config);
    if (s.completedAt === undefined && end !== undefined && end <= now) s.completedAt = end;
  }
}

/**
 * Backups that stop happening (graph.faults.ts): a protected unit listed in stoppedBackups, or carrying an injected
 * error, takes no restore points from `now` on while it still reads `protected`; once it is neither, it takes them
 * again from `now` (one at once, then one per backupIntervalMs).
 */
function stopOrResumeBackups(u: UnitRecord, now: number, config: GraphSandboxConfig): void {
  const stopped = !!unitError(config, u) || config.stoppedBackups.some((k) => k === u.id.toLowerCase() || k === u.resourceId.toLowerCase());
  const open = u.protectedPeriods.find((p) => p.to === undefined);
  if (stopped && open) {
    open.to = now;
    u.backupsStopped = true;
  } else if (!stopped && u.backupsStopped) {
    u.protectedPeriods.push({ from: now });
    u.backupsStopped = false;
  }
}

/** A new unit of policy `p` for a directory resource, protectRequested (waiting for activation if `p` is inactive). */
export function createUnit(
  state: GraphTenantState,
  p: PolicyRecord,
  r: { resourceId: string; index: number; restoreBlocked: boolean },
  at: number,
  protectDelayMs: number,
  appId: string,
): UnitRecord {
  const u: UnitRecord = {
    id: randomUUID(),
    service: p.service,
    policyId: p.id,
    resourceId: r.resourceId,
    fixtureIndex: r.index,
    restoreBlocked: r.restoreBlocked,
    status: 'protectRequested',
    // Units of an inactive policy wait in protectRequested until the policy is activated.
    dueAt: p.target === 'active' ? at + protectDelayMs : undefined,
    protectedPeriods: [],
    createdAt: at,
    modifiedAt: at,
    appId,
  };
  state.units[u.id] = u;
  return u;
}

/** The live unit protecting a resource in any policy of the service (a resource is in one policy at most). */
export function unitForResource(state: GraphTenantState, service: GraphService, resourceId: string): UnitRecord | undefined {
  return Object.values(state.units).find(
    (u) => u.service === service && u.resourceId === resourceId && u.status !== 'removed' && u.status !== 'removeRequested',
  );
}

/**
 * Applies a running inclusion rule at `at`: every member of its groups (graph.fixtures.ts graphSandboxGroupMembers)
 * not yet protected becomes a unit of the rule's policy. A member already protected by another policy of the
 * service cannot be added: the rule ends completedWithErrors carrying ProtectionUnitAlreadyExists as its error.
 */
function applyRule(state: GraphTenantState, r: RuleRecord, at: number, config: GraphSandboxConfig): void {
  const p = state.policies[r.policyId];
  let failed = 0;
  if (p) {
    for (const index of r.groupIds.flatMap((g) => graphSandboxGroupMembers(state.tenantId, g))) {
      const resource =
        GRAPH_SERVICES[p.service].resourceKey === 'siteId'
          ? { ...graphSandboxSite(state.tenantId, index), resourceId: graphSandboxSite(state.tenantId, index).siteId }
          : { ...graphSandboxUser(state.tenantId, index), resourceId: graphSandboxUser(state.tenantId, index).directoryObjectId };
      const existing = unitForResource(state, p.service, resource.resourceId);
      if (existing) {
        if (existing.policyId !== p.id) failed++;
        continue;
      }
      r.unitIds.push(createUnit(state, p, resource, at, config.protectDelayMs, r.appId).id);
    }
  }
  r.status = failed > 0 || !p ? 'completedWithErrors' : 'completed';
  r.error = !p
    ? { code: 'PolicyNotFound', message: 'Unable to get the Protection Policy.' }
    : failed > 0
      ? { code: 'ProtectionUnitAlreadyExists', message: `${failed} matching resources are already protected by another policy.` }
      : undefined;
}

export function unitsOfPolicy(state: GraphTenantState, policyId: string): UnitRecord[] {
  return Object.values(state.units).filter((u) => u.policyId === policyId && u.status !== 'removed');
}

/** The error injected for a unit (graph.faults.ts), if any. */
export function unitError(config: GraphSandboxConfig, u: UnitRecord): InjectedUnitError | undefined {
  return injectedFor(config.unitErrors, u);
}

export type PolicyStatus = 'inactive' | 'updating' | 'active' | 'activeWithErrors';

/**
 * protectionPolicyStatus: inactive | updating | active | activeWithErrors (aggregated from the units, SOURCE.md
 * §Long-running); activeWithErrors when an active policy holds a unit with an error.
 */
export function policyStatus(state: GraphTenantState, p: PolicyRecord, now: number, config: GraphSandboxConfig): PolicyStatus {
  const moving = p.updatingUntil !== undefined && p.updatingUntil > now;
  const units = unitsOfPolicy(state, p.id);
  if (p.target === 'active') {
    if (moving || units.some((u) => u.dueAt !== undefined)) return 'updating';
    return units.some((u) => unitError(config, u)) ? 'activeWithErrors' : 'active';
  }
  return moving || units.some((u) => u.status === 'unprotectRequested') ? 'updating' : 'inactive';
}

/** Deterministic restore point id for a unit's backup at `time`. */
export function restorePointId(unitId: string, time: number): string {
  return sandboxGuid(`rp|${unitId}|${time}`);
}

/**
 * The backup times of a unit up to `now`, newest first: one when it became protected, then one every
 * `backupIntervalMs`, inside each protected period, within retention.
 */
export function restorePointTimes(u: UnitRecord, now: number, intervalMs: number): number[] {
  const times: number[] = [];
  const oldest = now - RETENTION_MS;
  for (const p of u.protectedPeriods) {
    const until = Math.min(p.to ?? now, now);
    const startK = p.from >= oldest ? 0 : Math.ceil((oldest - p.from) / intervalMs);
    for (let t = p.from + startK * intervalMs; t <= until; t += intervalMs) times.push(t);
  }
  return times.sort((a, b) => b - a);
}

export type SessionStatus = 'draft' | 'activating' | 'active' | 'completedWithError' | 'completed' | 'failed';
export type ArtifactStatus = 'added' | 'scheduling' | 'scheduled' | 'inProgress' | 'succeeded' | 'failed';

export function sessionEnd(s: SessionRecord, config: GraphSandboxConfig): number | undefined {
  if (s.completedAt !== undefined) return s.completedAt;
  // Scope config stuckSessions holds every unfinished session in `active` while it is set.
  if (s.activatedAt === undefined || config.stuckSessions) return undefined;
  return s.activatedAt + (s.activatingMs ?? 0) + (s.restoreDurationMs ?? 0);
}

/** artifactRestoreStatus of one artifact at `now` (seed 003: draft -> activating -> active -> terminal). */
export function artifactStatus(s: SessionRecord, a: ArtifactRecord, now: number): ArtifactStatus {
  if (s.activatedAt === undefined) return 'added';
  if (s.completedAt !== undefined && s.completedAt <= now) return a.failure ? 'failed' : 'succeeded';
  const elapsed = now - s.activatedAt;
  const activating = s.activatingMs ?? 0;
  if (elapsed < activating / 2) return 'scheduling';
  if (elapsed < activating) return 'scheduled';
  return 'inProgress';
}

/** restoreSessionStatus: aggregated from the artifacts (seed 003 §restoreSessionStatus values). */
export function sessionStatus(s: SessionRecord, now: number): SessionStatus {
  if (s.activatedAt === undefined) return 'draft';
  if (s.completedAt !== undefined && s.completedAt <= now) {
    const failed = s.artifacts.filter((a) => a.failure).length;
    if (failed === 0) return 'completed';
    return failed === s.artifacts.length ? 'failed' : 'completedWithError';
  }
  return now - s.activatedAt < (s.activatingMs ?? 0) ? 'activating' : 'active';
}

export function isSessionRunning(s: SessionRecord, now: number): boolean {
  const st = sessionStatus(s, now);
  return st === 'activating' || st === 'active';
}
