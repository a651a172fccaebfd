import { AZURE_FIXTURE } from './azure.fixtures';
import {
  guidFrom,
  jobStatus,
  operationStatus,
  protectionState,
  vaultArmId,
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

export function instanceView(sub: SubscriptionState, vault: VaultState, bi: InstanceState, nowMs: number) {
  const state =
    bi.deletingUntilMs !== undefined
      ? 'SoftDeleting'
      : bi.protectionError && nowMs >= bi.protectedMs
        ? 'ConfiguringProtectionFailed'
        : protectionState(bi, nowMs);
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
      protectionStatus: {
        status: state,
        ...(state === 'ConfiguringProtectionFailed' && bi.protectionError ? { errorDetails: bi.protectionError } : {}),
      },
      currentProtectionState: state,
      ...(state === 'ConfiguringProtectionFailed' && bi.protectionError ? { protectionErrorDetails: bi.protectionError } : {}),
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
  const done = status === 'Completed' || status === 'Failed';
  const endMs = done ? job.endMs! : undefined;
  const storageRg = /\/resourceGroups\/([^/]+)\//i.exec(job.datasourceId)?.[1] ?? AZURE_FIXTURE.storageResourceGroup;
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
      operationCategory: 'Restore',
      operation: 'Restore',
      restoreType: job.restoreType,
      status,
      isUserTriggered: true,
      supportedActions: [],
      duration: hms((endMs ?? nowMs) - job.startMs),
      ...(status === 'Failed'
        ? {
            errorDetails: [
              {
                code: 'UserErrorRestoreTargetAlreadyExists',
                message: 'The restore target already has blobs in the requested ranges and recoveryOption is FailIfExists.',
                isRetryable: false,
                isUserError: true,
                recommendedAction: ['Restore to a point in time or prefix range without conflicting blobs.'],
              },
            ],
          }
        : {}),
      extendedInfo: {
        recoveryDestination: job.datasourceId,
        sourceRecoverPoint: { recoveryPointTime: job.recoveryPointTime },
        dataTransferredInBytes: status === 'Completed' ? job.bytes : 0,
        subTasks: [{ taskId: 1, taskName: 'Trigger Restore', taskStatus: status }],
        additionalDetails: { TaskId: job.activityId },
      },
    },
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
