import { backupJobError, backupsSuspended, lastFinishedBackupJob } from './azure.backups';
import { AZURE_FIXTURE } from './azure.fixtures';
import {
  guidFrom,
  jobStatus,
  operationStatus,
  protectionState,
  vaultArmId,
  type AzureConfig,
  type InstanceState,
  type JobState,
  type OperationState,
  type PolicyState,
  type SubscriptionState,
  type VaultState,
} from './azure.state';

/** Resource bodies as the 2024-04-01 swagger defines them (checked by azure.spec-validation.spec.ts). */

const iso = (ms: number) => new Date(ms).toISOString();

export function vaultView(sub: SubscriptionState, vault: VaultState, tenantId: string) {
  const identity =
    vault.identity?.type && vault.identity.type !== 'None'
      ? { ...vault.identity, principalId: guidFrom(`principal:${vaultArmId(sub, vault)}`), tenantId }
      : { type: 'None' };
  return {
    id: vaultArmId(sub, vault),
    name: vault.name,
    type: 'Microsoft.DataProtection/backupVaults',
    location: vault.location,
    ...(vault.tags ? { tags: vault.tags } : {}),
    identity,
    properties: {
      ...vault.properties,
      provisioningState: 'Succeeded',
      resourceMoveState: 'Unknown',
      secureScore: 'Adequate',
      bcdrSecurityLevel: 'Good',
      isVaultProtectedByResourceGuard: false,
    },
  };
}

export function policyView(sub: SubscriptionState, vault: VaultState, policy: PolicyState) {
  const properties = structuredClone(policy.properties) as { policyRules?: Array<Record<string, unknown>> };
  // The service fills read-only tagInfo ids (PolicyCRUD_CreateOrUpdateBackupPolicy example: "Default_").
  for (const rule of properties.policyRules ?? []) {
    const trigger = rule.trigger as { taggingCriteria?: Array<{ tagInfo: { tagName: string; id?: string } }> } | undefined;
    for (const t of trigger?.taggingCriteria ?? []) t.tagInfo.id = `${t.tagInfo.tagName}_`;
  }
  return {
    id: `${vaultArmId(sub, vault)}/backupPolicies/${policy.name}`,
    name: policy.name,
    type: 'Microsoft.DataProtection/backupVaults/backupPolicies',
    properties,
  };
}

/**
 * The instance's protection state: SoftDeleting, ConfiguringProtection(Failed), then ProtectionConfigured,
 * or ProtectionStopped after stopProtection, or BackupSchedulesSuspended while its backups are suspended
 * (suspendBackups or config suspendBackupsOf; protectionStatus ProtectionStopped, the nearest value its enum
 * has), or ProtectionError while its newest finished backup
 * job failed (with that job's error).
 */
function instanceState(vault: VaultState, bi: InstanceState, nowMs: number, cfg: AzureConfig) {
  if (bi.deletingUntilMs !== undefined) return { state: 'SoftDeleting', status: 'SoftDeleting' };
  if (bi.protectionError && nowMs >= bi.protectedMs)
    return { state: 'ConfiguringProtectionFailed', status: 'ConfiguringProtectionFailed', error: bi.protectionError };
  const configured = protectionState(bi, nowMs);
  if (configured !== 'ProtectionConfigured') return { state: configured, status: configured };
  if (bi.stopped?.kind === 'protection') return { state: 'ProtectionStopped', status: 'ProtectionStopped' };
  if (backupsSuspended(bi, cfg)) return { state: 'BackupSchedulesSuspended', status: 'ProtectionStopped' };
  const last = lastFinishedBackupJob(vault, bi, nowMs);
  if (last?.fails) return { state: 'ProtectionError', status: 'ProtectionConfigured', error: backupJobError(last) };
  return { state: configured, status: configured };
}

export function instanceView(sub: SubscriptionState, vault: VaultState, bi: InstanceState, nowMs: number, cfg: AzureConfig) {
  const { state, status, error } = instanceState(vault, bi, nowMs, cfg);
  const provisioningState =
    state === 'ConfiguringProtection' ? 'Provisioning' : state === 'ConfiguringProtectionFailed' ? 'Failed' : 'Succeeded';
  const props = bi.properties as { policyInfo: Record<string, unknown> };
  return {
    id: `${vaultArmId(sub, vault)}/backupInstances/${bi.name}`,
    name: bi.name,
    type: 'Microsoft.DataProtection/backupVaults/backupInstances',
    ...(bi.tags ? { tags: bi.tags } : {}),
    properties: {
      ...bi.properties,
      policyInfo: { ...props.policyInfo, policyVersion: '1.0' },
      protectionStatus: { status, ...(error ? { errorDetails: error } : {}) },
      currentProtectionState: state,
      ...(error ? { protectionErrorDetails: error } : {}),
      provisioningState,
      objectType: 'BackupInstance',
    },
  };
}

function hms(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
}

export function jobView(sub: SubscriptionState, vault: VaultState, job: JobState, nowMs: number) {
  const status = jobStatus(job, nowMs);
  const done = status === 'Completed' || status === 'CompletedWithWarnings' || status === 'Failed';
  const endMs = done ? job.endMs! : undefined;
  const storageRg = /\/resourceGroups\/([^/]+)\//i.exec(job.datasourceId)?.[1] ?? AZURE_FIXTURE.storageResourceGroup;
  const backup = job.operation === 'Backup';
  return {
    id: `${vaultArmId(sub, vault)}/backupJobs/${job.id}`,
    name: job.id,
    type: 'Microsoft.DataProtection/backupVaults/backupJobs',
    properties: {
      activityID: job.activityId,
      subscriptionId: sub.id,
      backupInstanceId: `${vaultArmId(sub, vault)}/backupInstances/${job.instanceName}`,
      policyId: `${vaultArmId(sub, vault)}/backupPolicies/${job.policyName}`,
      dataSourceId: job.datasourceId,
      vaultName: vault.name,
      backupInstanceFriendlyName: job.datasourceName,
      policyName: job.policyName,
      sourceResourceGroup: storageRg,
      dataSourceName: job.datasourceName,
      progressEnabled: false,
      sourceSubscriptionID: sub.id,
      startTime: iso(job.startMs),
      ...(endMs !== undefined ? { endTime: iso(endMs) } : {}),
      dataSourceType: 'Microsoft.Storage/storageAccounts/blobServices',
      dataSourceLocation: AZURE_FIXTURE.location,
      // JobCRUD_GetJob: a backup job is operationCategory "Backup", operation "Backup"
      operationCategory: job.operation,
      operation: job.operation,
      ...(job.restoreType ? { restoreType: job.restoreType } : {}),
      status,
      isUserTriggered: backup ? job.userTriggered === true : true,
      supportedActions: [],
      duration: hms((endMs ?? nowMs) - job.startMs),
      ...(status === 'Failed' ? { errorDetails: [backup ? backupJobError(job) : RESTORE_TARGET_EXISTS] } : {}),
      extendedInfo: backup ? backupExtendedInfo(job, status) : restoreExtendedInfo(job, status),
    },
  };
}

const RESTORE_TARGET_EXISTS = {
  code: 'UserErrorRestoreTargetAlreadyExists',
  message: 'The restore target already has blobs in the requested ranges and recoveryOption is FailIfExists.',
  isRetryable: false,
  isUserError: true,
  recommendedAction: ['Restore to a point in time or prefix range without conflicting blobs.'],
};

function restoreExtendedInfo(job: JobState, status: string) {
  return {
    recoveryDestination: job.datasourceId,
    sourceRecoverPoint: { recoveryPointTime: job.recoveryPointTime },
    dataTransferredInBytes: status === 'Completed' ? job.bytes : 0,
    subTasks: [{ taskId: 1, taskName: 'Trigger Restore', taskStatus: status }],
    additionalDetails: { TaskId: job.activityId },
  };
}

/** JobCRUD_GetJob's extendedInfo of a backup job: the rule and retention tag, one "Trigger Backup" task. */
function backupExtendedInfo(job: JobState, status: string) {
  return {
    dataTransferredInBytes: status === 'Completed' || status === 'CompletedWithWarnings' ? job.bytes : 0,
    subTasks: [{ taskId: 1, taskName: 'Trigger Backup', taskStatus: status }],
    additionalDetails: { RetentionTag: job.retentionTag ?? 'Default', PolicyRuleName: job.ruleName ?? '', TaskId: job.activityId },
    ...(status === 'CompletedWithWarnings'
      ? {
          // UserFacingWarningDetail {resourceName, warning: UserFacingError}; the code is the simulator's choice.
          warningDetails: [
            {
              resourceName: job.datasourceName,
              warning: {
                code: 'UserErrorBlobsSkipped',
                message: 'Some blobs were not backed up: they were modified or deleted while the backup ran.',
                isRetryable: true,
                isUserError: false,
                recommendedAction: ['The next backup retries the skipped blobs.'],
              },
            },
          ],
        }
      : {}),
  };
}

export function operationStatusView(statusPath: string, op: OperationState, nowMs: number) {
  const status = operationStatus(op, nowMs);
  return {
    id: statusPath,
    name: op.id,
    // seed 004 §Track response: the in-progress value is spelt "Inprogress"
    status: status === 'InProgress' ? 'Inprogress' : status,
    startTime: iso(op.startMs),
    // seed 004 §Track response: a running operation answers .NET's DateTime.MinValue as its endTime.
    endTime: status === 'InProgress' ? '0001-01-01T00:00:00' : iso(op.doneMs),
    ...(status === 'Failed' && op.error ? { error: op.error } : {}),
    ...(status === 'Succeeded' && op.jobId ? { properties: { objectType: 'OperationJobExtendedInfo', jobId: op.jobId } } : {}),
  };
}
