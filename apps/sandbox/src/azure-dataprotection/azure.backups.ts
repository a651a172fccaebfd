import { randomUUID } from 'node:crypto';
import { guidFrom, jobStatus, type AzureConfig, type InstanceState, type JobState, type PolicyState, type VaultState } from './azure.state';
import { isoDurationDays } from './azure.validation';

/**
 * Backup jobs and recovery points of backup instances, on the scope clock. A policy with an AzureBackupRule
 * whose trigger is a ScheduleBasedTriggerContext (PolicyCRUD_CreateOrUpdateBackupPolicy: repeatingTimeIntervals
 * "R/<start>/<period>") backs each of its configured instances up at every occurrence; an operational-only blob
 * policy (retention rules alone) has no jobs: that backup is continuous (seed 004). A Completed or
 * CompletedWithWarnings backup job leaves an AzureBackupDiscreteRecoveryPoint (BackupInstanceOperations_
 * ListRecoveryPoints) at its start time, kept for the rule's VaultStore retention.
 *
 * Jobs are created lazily, on every ARM request, for the occurrences since the last request, so a fault
 * switched on by configuration (failBackupsOf, warnBackupsOf, skipBackupsOf, suspendBackupsOf: backup
 * instance names) applies to backups from the first request after the change.
 */

/** At most this many scheduled jobs are created per instance at once (a long clock jump keeps the newest). */
const MAX_JOBS_PER_CATCH_UP = 400;

export interface ScheduledRule {
  name: string;
  /** repeatingTimeIntervals as start (epoch ms) and period (ms). */
  intervals: Array<{ startMs: number; periodMs: number }>;
  /** Retention of the rule's data store, from the default AzureRetentionRule (days). */
  retentionDays: number;
}

interface PolicyRuleLike {
  objectType: string;
  name: string;
  isDefault?: boolean;
  dataStore?: { dataStoreType: string };
  trigger?: { objectType: string; schedule?: { repeatingTimeIntervals: string[] } };
  lifecycles?: Array<{ deleteAfter: { duration: string }; sourceDataStore: { dataStoreType: string } }>;
}

/** An ISO 8601 duration (PnW, PnDTnHnMnS) in ms, or undefined. */
export function isoDurationMs(duration: string): number | undefined {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(duration);
  if (!m || duration === 'P' || duration.endsWith('T')) return undefined;
  const [w, d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0));
  const ms = ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
  return ms > 0 ? ms : undefined;
}

/** "R/2021-05-20T22:00:00+00:00/P1D" (ISO 8601 repeating interval, the form the policy examples use). */
export function parseRepeatingInterval(text: string): { startMs: number; periodMs: number } | undefined {
  const m = /^R\d*\/([^/]+)\/(P[^/]+)$/.exec(text);
  if (!m) return undefined;
  const startMs = Date.parse(m[1]);
  const periodMs = isoDurationMs(m[2]);
  return Number.isNaN(startMs) || periodMs === undefined ? undefined : { startMs, periodMs };
}

/** The policy's scheduled backup rules; empty for an operational-only policy. */
export function scheduledRules(policy: PolicyState): ScheduledRule[] {
  const rules = ((policy.properties as { policyRules?: PolicyRuleLike[] }).policyRules ?? []) as PolicyRuleLike[];
  const retention = rules.find((r) => r.objectType === 'AzureRetentionRule' && r.isDefault);
  return rules
    .filter((r) => r.objectType === 'AzureBackupRule' && r.trigger?.objectType === 'ScheduleBasedTriggerContext')
    .map((r) => {
      const store = r.dataStore?.dataStoreType ?? 'VaultStore';
      const lifecycle = retention?.lifecycles?.find((l) => l.sourceDataStore.dataStoreType === store) ?? retention?.lifecycles?.[0];
      return {
        name: r.name,
        intervals: (r.trigger?.schedule?.repeatingTimeIntervals ?? [])
          .map(parseRepeatingInterval)
          .filter((i): i is { startMs: number; periodMs: number } => !!i),
        retentionDays: (lifecycle && isoDurationDays(lifecycle.deleteAfter.duration)) ?? 30,
      };
    });
}

/** The names of the policy's AzureBackupRules (what TriggerBackupRequest.backupRuleOptions.ruleName may name). */
export function backupRuleNames(policy: PolicyState): string[] {
  const rules = ((policy.properties as { policyRules?: PolicyRuleLike[] }).policyRules ?? []) as PolicyRuleLike[];
  return rules.filter((r) => r.objectType === 'AzureBackupRule').map((r) => r.name);
}

/** Occurrences t of the intervals with fromMs < t <= toMs, ascending. */
export function occurrences(intervals: ScheduledRule['intervals'], fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (const { startMs, periodMs } of intervals) {
    const first = fromMs < startMs ? 0 : Math.floor((fromMs - startMs) / periodMs) + 1;
    const last = Math.floor((toMs - startMs) / periodMs);
    for (let k = Math.max(first, last - MAX_JOBS_PER_CATCH_UP + 1); k <= last; k += 1) out.push(startMs + k * periodMs);
  }
  return out.sort((a, b) => a - b);
}

const isConfigured = (bi: InstanceState, nowMs: number) =>
  !bi.protectionError && bi.deletingUntilMs === undefined && nowMs >= bi.protectedMs;

/** Backups do not run: suspended (suspendBackups, or config suspendBackupsOf) or protection stopped. */
export function backupsSuspended(bi: InstanceState, cfg: AzureConfig): boolean {
  return bi.stopped !== undefined || cfg.suspendBackupsOf.includes(bi.name.toLowerCase());
}

/** Creates the vault's scheduled backup jobs due since the last call. */
export function runBackupSchedules(vault: VaultState, cfg: AzureConfig, nowMs: number): void {
  for (const bi of Object.values(vault.instances)) {
    const from = bi.backupsThroughMs ?? bi.protectedMs;
    if (nowMs <= from) continue;
    bi.backupsThroughMs = nowMs;
    if (!isConfigured(bi, nowMs) || backupsSuspended(bi, cfg) || cfg.skipBackupsOf.includes(bi.name.toLowerCase())) continue;
    const policy = vault.policies[bi.policyName.toLowerCase()];
    if (!policy) continue;
    for (const rule of scheduledRules(policy)) {
      for (const t of occurrences(rule.intervals, from, nowMs))
        addBackupJob(vault, bi, cfg, t, { ruleName: rule.name, userTriggered: false });
    }
  }
}

/** A backup job of the instance starting at `startMs`, its outcome fixed now from the scope's faults. */
export function addBackupJob(
  vault: VaultState,
  bi: InstanceState,
  cfg: AzureConfig,
  startMs: number,
  opts: { ruleName: string; userTriggered: boolean; retentionTag?: string },
): JobState {
  const key = bi.name.toLowerCase();
  const job: JobState = {
    id: randomUUID(),
    instanceName: bi.name,
    datasourceId: bi.datasourceId,
    datasourceName: bi.datasourceId.split('/').pop()!,
    policyName: bi.policyName,
    operation: 'Backup',
    startMs,
    endMs: startMs + cfg.backupDurationMs,
    fails: cfg.failBackupsOf.includes(key),
    warns: cfg.warnBackupsOf.includes(key),
    activityId: randomUUID(),
    bytes: 4 * 1_048_576,
    userTriggered: opts.userTriggered,
    ruleName: opts.ruleName,
    retentionTag: opts.retentionTag ?? 'Default',
  };
  vault.jobs[job.id] = job;
  return job;
}

const backupJobsOf = (vault: VaultState, bi: InstanceState) =>
  Object.values(vault.jobs).filter((j) => j.operation === 'Backup' && j.instanceName.toLowerCase() === bi.name.toLowerCase());

/** A backup job of the instance still running (ad-hoc backups are refused meanwhile). */
export function runningBackupJob(vault: VaultState, bi: InstanceState, nowMs: number): JobState | undefined {
  return backupJobsOf(vault, bi).find((j) => j.startMs <= nowMs && (j.endMs === null || nowMs < j.endMs));
}

/** The newest finished backup job of the instance. */
export function lastFinishedBackupJob(vault: VaultState, bi: InstanceState, nowMs: number): JobState | undefined {
  return backupJobsOf(vault, bi)
    .filter((j) => j.endMs !== null && j.endMs <= nowMs)
    .sort((a, b) => b.startMs - a.startMs)[0];
}

/** The UserFacingError of a failed backup job: the vault lost its role on the storage account. */
export function backupJobError(job: JobState) {
  return {
    code: 'UserErrorMissingRequiredPermissions',
    message: `Appropriate permissions to perform the operation is missing. The Backup vault's managed identity has no 'Storage Account Backup Contributor' role on '${job.datasourceId}'.`,
    isRetryable: false,
    isUserError: true,
    recommendedAction: [
      'Grant appropriate permissions to perform this operation as mentioned at https://aka.ms/UserErrorMissingRequiredPermissions and retry the operation.',
    ],
  };
}

/** Discrete recovery points of the instance (newest first): one per successful backup job, until it expires. */
export function recoveryPointsOf(vault: VaultState, bi: InstanceState, nowMs: number) {
  const policy = vault.policies[bi.policyName.toLowerCase()];
  const rules = policy ? scheduledRules(policy) : [];
  const retentionDays = (job: JobState) => rules.find((r) => r.name === job.ruleName)?.retentionDays ?? rules[0]?.retentionDays ?? 30;
  return backupJobsOf(vault, bi)
    .filter((j) => j.endMs !== null && j.endMs <= nowMs && jobStatus(j, nowMs) !== 'Failed')
    .map((j) => ({ job: j, id: guidFrom(`recoveryPoint:${j.id}`), expiryMs: j.startMs + retentionDays(j) * 86_400_000 }))
    .filter((rp) => rp.expiryMs > nowMs)
    .sort((a, b) => b.job.startMs - a.job.startMs);
}

export type RecoveryPoint = ReturnType<typeof recoveryPointsOf>[number];

export function recoveryPointView(instanceId: string, rp: RecoveryPoint) {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: `${instanceId}/recoveryPoints/${rp.id}`,
    name: rp.id,
    type: 'Microsoft.DataProtection/backupVaults/backupInstances/recoveryPoints',
    properties: {
      objectType: 'AzureBackupDiscreteRecoveryPoint',
      recoveryPointId: rp.id,
      recoveryPointTime: iso(rp.job.startMs),
      recoveryPointType: 'Full',
      friendlyName: `${rp.job.datasourceName}-${iso(rp.job.startMs)}`,
      policyName: rp.job.policyName,
      retentionTagName: rp.job.retentionTag ?? 'Default',
      expiryTime: iso(rp.expiryMs),
      recoveryPointDataStoresDetails: [
        {
          id: guidFrom(`dataStore:${rp.id}`),
          type: 'VaultStore',
          creationTime: iso(rp.job.startMs),
          expiryTime: iso(rp.expiryMs),
          visible: true,
        },
      ],
      recoveryPointState: 'Completed',
    },
  };
}
