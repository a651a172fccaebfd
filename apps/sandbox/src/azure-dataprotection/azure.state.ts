import { createHash, randomUUID } from 'node:crypto';
import type { SandboxScope } from '../support';
import type { CloudErrorBody } from './azure.errors';
import { AZURE_FIXTURE, isSeed004Subscription, SEED_004_EXAMPLE, vaultId } from './azure.fixtures';

/**
 * In-memory state of one simulated Entra tenant (the sandbox scope) and its subscriptions. Plain JSON so
 * the control API can show it. Times are epoch ms of the scope's SandboxClock.
 */
export interface AzureAccountState {
  tenantId: string;
  tokensIssued: number;
  subscriptions: Record<string, SubscriptionState>;
}

export interface SubscriptionState {
  id: string;
  /** Keyed by lower-cased name: ARM names are case-insensitive. */
  resourceGroups: Record<string, { name: string; location: string; vaults: Record<string, VaultState> }>;
  operations: Record<string, OperationState>;
  /** ARM token buckets per operation type (vendor-specs SOURCE.md §Throttling). */
  buckets: Record<'reads' | 'writes' | 'deletes', { tokens: number; atMs: number }>;
  /** Storage account id (lower) -> vault id that protects it: a datasource is protected in one vault only. */
  protectedDatasources: Record<string, string>;
}

export interface VaultState {
  name: string;
  location: string;
  resourceGroup: string;
  tags?: Record<string, string>;
  identity?: Record<string, unknown>;
  properties: Record<string, unknown>;
  policies: Record<string, PolicyState>;
  instances: Record<string, InstanceState>;
  jobs: Record<string, JobState>;
}

export interface PolicyState {
  name: string;
  properties: Record<string, unknown>;
  createdMs: number;
}

export interface InstanceState {
  name: string;
  tags?: Record<string, string>;
  /** BackupInstance properties as the client sent them (read-only fields dropped). */
  properties: Record<string, unknown>;
  policyName: string;
  datasourceId: string;
  createdMs: number;
  /** When ConfiguringProtection turns into ProtectionConfigured. */
  protectedMs: number;
  /** Operational retention of the policy, in days. */
  retentionDays: number;
  /** Set when the vault lacks permissions on the datasource: protection fails once protectedMs passes. */
  protectionError?: Record<string, unknown>;
  /** Set by DELETE: the instance shows SoftDeleting until then, and is gone afterwards. */
  deletingUntilMs?: number;
  /**
   * Set by POST stopProtection (ProtectionStopped: no backups, operational data no longer grows) or
   * suspendBackups (BackupSchedulesSuspended: no backups); cleared by resumeProtection / resumeBackups.
   */
  stopped?: { kind: 'protection' | 'backups'; atMs: number };
  /** Scheduled backup jobs have been created for every policy occurrence up to this time (azure.backups.ts). */
  backupsThroughMs?: number;
}

export type OperationKind =
  | 'validateForBackup'
  | 'putInstance'
  | 'deleteInstance'
  | 'validateRestore'
  | 'restore'
  | 'adhocBackup'
  | 'stopProtection'
  | 'suspendBackups'
  | 'resumeProtection'
  | 'resumeBackups'
  | 'putVault';

export interface OperationState {
  id: string;
  kind: OperationKind;
  location: string;
  resourceGroup: string;
  vaultName: string;
  instanceName?: string;
  startMs: number;
  doneMs: number;
  error?: CloudErrorBody['error'];
  jobId?: string;
}

export interface JobState {
  id: string;
  instanceName: string;
  datasourceId: string;
  datasourceName: string;
  policyName: string;
  operation: 'Restore' | 'Backup';
  startMs: number;
  /** Infinity (serialized as null) for a stuck job. */
  endMs: number | null;
  fails: boolean;
  /** A backup job that ends CompletedWithWarnings (config warnBackupsOf). */
  warns?: boolean;
  /** Restore jobs: the point in time restored. */
  recoveryPointTime?: string;
  activityId: string;
  /** Restore jobs: ALR / item level. */
  restoreType?: string;
  bytes: number;
  /** Backup jobs: started by POST .../backup (true) or by the policy's schedule (false). */
  userTriggered?: boolean;
  /** Backup jobs: the policy's AzureBackupRule that ran, and the retention tag the recovery point got. */
  ruleName?: string;
  retentionTag?: string;
}

/** Behaviour switches of one scope (SandboxControl.configure), with their defaults. */
export function azureConfig(scope: SandboxScope<AzureAccountState>) {
  const c = scope.config;
  const names = (v: unknown) => (Array.isArray(v) ? v.map((n) => String(n).toLowerCase()) : []);
  const num = (k: string, d: number) => (c[k] === undefined ? d : Number(c[k]));
  return {
    tokenLifetimeSeconds: num('tokenLifetimeSeconds', 3599),
    asyncRetryAfterSeconds: num('asyncRetryAfterSeconds', 1),
    asyncUrlForm: c.asyncUrlForm === 'examples' ? ('examples' as const) : ('seed' as const),
    validateDurationMs: num('validateDurationMs', 0),
    // seed 004 §Responses to configure backup request: the PUT's operation ran 17:02:19.06 -> 17:02:20.
    protectionDurationMs: num('protectionDurationMs', 1_000),
    failProtectionOf: Array.isArray(c.failProtectionOf) ? (c.failProtectionOf as unknown[]).map((n) => String(n).toLowerCase()) : [],
    deleteDurationMs: num('deleteDurationMs', 0),
    restoreAcceptDurationMs: num('restoreAcceptDurationMs', 0),
    restoreDurationMs: num('restoreDurationMs', 60_000),
    stuckJobs: c.stuckJobs === true,
    // A vaulted blob backup of the fixture accounts' few containers: minutes (sandbox assumption).
    backupDurationMs: num('backupDurationMs', 10 * 60_000),
    adhocAcceptDurationMs: num('adhocAcceptDurationMs', 0),
    failBackupsOf: names(c.failBackupsOf),
    warnBackupsOf: names(c.warnBackupsOf),
    skipBackupsOf: names(c.skipBackupsOf),
    suspendBackupsOf: names(c.suspendBackupsOf),
    failRestores: c.failRestores === true,
    pageSize: num('pageSize', 10),
    reads: { size: num('readBucket', 250), refill: num('readRefillPerSecond', 25) },
    writes: { size: num('writeBucket', 200), refill: num('writeRefillPerSecond', 10) },
    deletes: { size: num('deleteBucket', 200), refill: num('deleteRefillPerSecond', 10) },
  };
}
export type AzureConfig = ReturnType<typeof azureConfig>;

export function newAccountState(tenantId: string): AzureAccountState {
  return { tenantId, tokensIssued: 0, subscriptions: {} };
}

/** The subscription's state, created with its fixture resource groups and vault on first use. */
export function subscriptionState(
  account: AzureAccountState,
  subscriptionId: string,
  nowMs: number,
  config: AzureConfig,
): SubscriptionState {
  const key = subscriptionId.toLowerCase();
  let sub = account.subscriptions[key];
  if (!sub) {
    sub = {
      id: subscriptionId,
      resourceGroups: {},
      operations: {},
      protectedDatasources: {},
      buckets: {
        reads: { tokens: config.reads.size, atMs: nowMs },
        writes: { tokens: config.writes.size, atMs: nowMs },
        deletes: { tokens: config.deletes.size, atMs: nowMs },
      },
    };
    for (const rg of [AZURE_FIXTURE.resourceGroup, AZURE_FIXTURE.storageResourceGroup]) {
      sub.resourceGroups[rg.toLowerCase()] = { name: rg, location: AZURE_FIXTURE.location, vaults: {} };
    }
    sub.resourceGroups[AZURE_FIXTURE.resourceGroup.toLowerCase()].vaults[AZURE_FIXTURE.vaultName.toLowerCase()] = newVault(
      AZURE_FIXTURE.vaultName,
      AZURE_FIXTURE.resourceGroup,
      AZURE_FIXTURE.location,
      { storageSettings: [{ datastoreType: 'VaultStore', type: 'LocallyRedundant' }] },
      { type: 'SystemAssigned' },
    );
    if (isSeed004Subscription(subscriptionId)) {
      const { vaultResourceGroup, vaultName, storageResourceGroup, location } = SEED_004_EXAMPLE;
      const rg = { name: vaultResourceGroup, location, vaults: {} as Record<string, VaultState> };
      rg.vaults[vaultName.toLowerCase()] = newVault(
        vaultName,
        vaultResourceGroup,
        location,
        { storageSettings: [{ datastoreType: 'VaultStore', type: 'LocallyRedundant' }] },
        { type: 'SystemAssigned' },
      );
      sub.resourceGroups[vaultResourceGroup.toLowerCase()] = rg;
      sub.resourceGroups[storageResourceGroup.toLowerCase()] = { name: storageResourceGroup, location, vaults: {} };
    }
    account.subscriptions[key] = sub;
  }
  return sub;
}

export function newVault(
  name: string,
  resourceGroup: string,
  location: string,
  properties: Record<string, unknown>,
  identity?: Record<string, unknown>,
  tags?: Record<string, string>,
): VaultState {
  return { name, resourceGroup, location, properties, identity, tags, policies: {}, instances: {}, jobs: {} };
}

/**
 * Operation ids look like the real ones: base64 of "<guid>;<guid>" with padding (seed 004 §Track
 * response); the URL-safe alphabet keeps '/' out of the path segment.
 */
export function newOperationId(): string {
  const raw = Buffer.from(`${randomUUID()};${randomUUID()}`).toString('base64url');
  return raw + '='.repeat((4 - (raw.length % 4)) % 4);
}

/** Deterministic GUID from a string (recovery point ids, principal ids). */
export function guidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function operationStatus(op: OperationState, nowMs: number): 'InProgress' | 'Succeeded' | 'Failed' {
  if (nowMs < op.doneMs) return 'InProgress';
  return op.error ? 'Failed' : 'Succeeded';
}

export function protectionState(bi: InstanceState, nowMs: number): 'ConfiguringProtection' | 'ProtectionConfigured' {
  return nowMs >= bi.protectedMs ? 'ProtectionConfigured' : 'ConfiguringProtection';
}

/**
 * Operational backup of blobs is continuous (seed 004 §Key entities: all blobs of the account are
 * protected): one restorable range from when protection was configured until now, cut to retention.
 */
export function restorableRange(bi: InstanceState, nowMs: number): { startMs: number; endMs: number } | undefined {
  if (nowMs < bi.protectedMs) return undefined;
  // Stopped protection keeps the data taken so far: the range ends when protection stopped.
  const endMs = bi.stopped?.kind === 'protection' ? Math.min(nowMs, bi.stopped.atMs) : nowMs;
  const startMs = Math.max(bi.protectedMs, nowMs - bi.retentionDays * 86_400_000);
  return startMs <= endMs ? { startMs, endMs } : undefined;
}

/** JobCRUD_GetJob / JobCRUD_ListJobs answer "Started" for a job just begun; the spec's text names the rest. */
export type JobStatus = 'Started' | 'InProgress' | 'Completed' | 'CompletedWithWarnings' | 'Failed';

export function jobStatus(job: JobState, nowMs: number): JobStatus {
  if (job.endMs === null || nowMs < job.endMs) return nowMs - job.startMs < 1000 ? 'Started' : 'InProgress';
  return job.fails ? 'Failed' : job.warns ? 'CompletedWithWarnings' : 'Completed';
}

export function findVault(sub: SubscriptionState, resourceGroup: string, vaultName: string): VaultState | undefined {
  return sub.resourceGroups[resourceGroup.toLowerCase()]?.vaults[vaultName.toLowerCase()];
}

export function vaultArmId(sub: SubscriptionState, vault: VaultState): string {
  return vaultId(sub.id, vault.resourceGroup, vault.name);
}
