import { createHash } from 'node:crypto';
import { aggregateItemStatuses, type BackupRunStatus, type ErrorCatalog, type RestoreItemStatus } from '@bg/domain';
import type {
  RestoreProgress,
  VendorBackupRun,
  RestoreState,
  VendorOperationRef,
  VendorPolicy,
  VendorProtectedItem,
  VendorRestorePoint,
} from '../port/port.types';
import { AZURE_DP_LIMITS } from './azure-dataprotection.capabilities';
import { classifyCloudError } from './azure-dataprotection.errors';
import {
  BLOB_DATASOURCE_TYPE,
  STORAGE_ACCOUNT_RESOURCE_TYPE,
  type AzureBackupJob,
  type AzureBackupJobResource,
  type AzureBackupRecoveryTimeBasedRestoreRequest,
  type AzureBackupRule,
  type BackupInstance,
  type BackupInstanceResource,
  type BaseBackupPolicyResource,
  type RangeBasedItemLevelRestoreCriteria,
  type UserFacingError,
} from './azure-dataprotection.types';

/** Pure wire <-> domain functions for Azure Data Protection. */

// ------------------------------------------------------------------ policies

/**
 * Backup policy names are immutable ARM names of letters, digits and hyphens and the resource has no
 * display-name field, so the display name is encoded into the name reversibly: letters and digits stay,
 * any other character becomes `-<hex code point>-` ("conformance policy" -> "conformance-20-policy").
 * Returns undefined when the result would be outside 3..150 characters.
 */
export function encodePolicyName(displayName: string): string | undefined {
  let out = '';
  for (const ch of displayName) out += /[A-Za-z0-9]/.test(ch) ? ch : `-${ch.codePointAt(0)!.toString(16)}-`;
  const { min, max } = AZURE_DP_LIMITS.policyNameLength;
  return out.length >= min && out.length <= max ? out : undefined;
}

/** The display name of a policy name; names not made by encodePolicyName are returned unchanged. */
export function decodePolicyName(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i += 1) {
    if (name[i] !== '-') {
      out += name[i];
      continue;
    }
    const end = name.indexOf('-', i + 1);
    const hex = end > i + 1 ? name.slice(i + 1, end) : '';
    if (!/^[0-9a-f]{1,6}$/.test(hex)) return name;
    out += String.fromCodePoint(parseInt(hex, 16));
    i = end;
  }
  return out;
}

/** The scheduled rule of our policies and its schedule: a vaulted backup every day at 02:00 UTC (our choice of hour). */
export const DAILY_BACKUP_RULE = 'BackupDaily';
export const DAILY_BACKUP_SCHEDULE = 'R/2024-01-01T02:00:00+00:00/P1D';

/**
 * A blob backup policy: operational backup (continuous, kept in the storage account; seed 004), whose
 * default rule is the one `az dataprotection` generates for AzureBlob (AzureRetentionRule "Default",
 * OperationalStore), plus a daily vaulted backup (AzureBackupRule "BackupDaily" to the VaultStore, the
 * rule shape of PolicyCRUD_CreateOrUpdateBackupPolicy), kept as long. The vaulted rule is what makes backup
 * jobs (backup runs) and lets an ad-hoc backup name a rule (TriggerBackupRequest.backupRuleOptions.ruleName).
 */
export function blobPolicyBody(retentionDays: number = AZURE_DP_LIMITS.operationalRetentionDays.default): BaseBackupPolicyResource {
  const deleteAfter = { objectType: 'AbsoluteDeleteOption' as const, duration: `P${retentionDays}D` };
  return {
    properties: {
      objectType: 'BackupPolicy',
      datasourceTypes: [BLOB_DATASOURCE_TYPE],
      policyRules: [
        {
          objectType: 'AzureRetentionRule',
          name: 'Default',
          isDefault: true,
          lifecycles: [
            { deleteAfter, sourceDataStore: { dataStoreType: 'OperationalStore', objectType: 'DataStoreInfoBase' } },
            { deleteAfter, sourceDataStore: { dataStoreType: 'VaultStore', objectType: 'DataStoreInfoBase' } },
          ],
        },
        {
          objectType: 'AzureBackupRule',
          name: DAILY_BACKUP_RULE,
          backupParameters: { objectType: 'AzureBackupParams', backupType: 'Discrete' },
          dataStore: { dataStoreType: 'VaultStore', objectType: 'DataStoreInfoBase' },
          trigger: {
            objectType: 'ScheduleBasedTriggerContext',
            schedule: { repeatingTimeIntervals: [DAILY_BACKUP_SCHEDULE] },
            taggingCriteria: [{ isDefault: true, taggingPriority: 99, tagInfo: { tagName: 'Default' } }],
          },
        },
      ],
    },
  };
}

/**
 * The backup rule an ad-hoc backup of the policy's instances applies: its first scheduled AzureBackupRule,
 * else its first AzureBackupRule; undefined for an operational-only policy (continuous: no backups to take).
 */
export function backupRuleNameOf(policy: BaseBackupPolicyResource): string | undefined {
  const rules = (policy.properties?.policyRules ?? []).filter((r): r is AzureBackupRule => r.objectType === 'AzureBackupRule');
  return (rules.find((r) => r.trigger?.objectType === 'ScheduleBasedTriggerContext') ?? rules[0])?.name;
}

/** "<datasource types>|<default OperationalStore retention>" of a blob policy: what makes two of ours equal. */
export function operationalRetentionOf(resource: BaseBackupPolicyResource): string | undefined {
  const props = resource.properties;
  if (!props?.datasourceTypes?.includes(BLOB_DATASOURCE_TYPE)) return undefined;
  const rule = props.policyRules.find((r) => r.objectType === 'AzureRetentionRule' && r.isDefault);
  const lifecycle =
    rule?.objectType === 'AzureRetentionRule'
      ? rule.lifecycles.find((l) => l.sourceDataStore.dataStoreType === 'OperationalStore')
      : undefined;
  return lifecycle ? `${props.datasourceTypes.join(',')}|${lifecycle.deleteAfter.duration}` : undefined;
}

/** Our policy view of a backup policy, or undefined when it protects no blobs (not ours to show). */
export function toVendorPolicy(resource: BaseBackupPolicyResource): VendorPolicy | undefined {
  if (!resource.name || !resource.properties?.datasourceTypes?.includes(BLOB_DATASOURCE_TYPE)) return undefined;
  // A Data Protection policy has no on/off state: it applies as soon as an instance uses it.
  return {
    vendorRef: resource.name,
    workload: 'azureBlob',
    displayName: decodePolicyName(resource.name),
    active: true,
    vendorStatus: 'Available',
  };
}

/** Operational retention in days of a settings object (`operationalRetentionDays`), or an error message. */
export function retentionDaysOf(settings: Record<string, unknown> | undefined): number | string {
  const { min, max, default: def } = AZURE_DP_LIMITS.operationalRetentionDays;
  const raw = settings?.operationalRetentionDays;
  if (raw === undefined) return def;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < min || days > max) return `operationalRetentionDays must be an integer from ${min} to ${max}`;
  return days;
}

// ------------------------------------------------------------------ protected items

export interface StorageAccountRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

/** Parses a storage account ARM id (the externalId of an azureBlob protected item, seed 004 §Key entities). */
export function parseStorageAccountId(id: string): StorageAccountRef | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Storage\/storageAccounts\/([a-z0-9]{3,24})$/i.exec(
    id,
  );
  return m ? { subscriptionId: m[1], resourceGroup: m[2], name: m[3] } : undefined;
}

/**
 * Backup instance name for a storage account: seed 004 §Configure backup recommends the resource name
 * plus a unique identifier; a hash of the account id keeps it stable, so retrying an add is idempotent.
 */
export function instanceNameFor(storageAccountId: string): string {
  const account = parseStorageAccountId(storageAccountId)?.name.toLowerCase() ?? 'datasource';
  const hash = createHash('sha256').update(storageAccountId.toLowerCase()).digest('hex').slice(0, 12);
  return `${account}-${hash}`;
}

export function policyIdOf(vaultId: string, policyName: string): string {
  return `${vaultId}/backupPolicies/${policyName}`;
}

/** The policy name a backup instance refers to (last segment of policyInfo.policyId). */
export function policyNameOfInstance(bi: BackupInstanceResource): string | undefined {
  return /\/backupPolicies\/([^/]+)$/i.exec(bi.properties?.policyInfo?.policyId ?? '')?.[1];
}

/** seed 004 §Prepare the request to configure backup: the datasource is the storage account. */
/** Does the policy back up to the vault (an AzureBackupRule whose data store is the VaultStore)? Then containers must be named. */
export function isVaultedPolicy(policy: BaseBackupPolicyResource): boolean {
  return (policy.properties?.policyRules ?? []).some(
    (r) => r.objectType === 'AzureBackupRule' && r.dataStore?.dataStoreType === 'VaultStore',
  );
}

/**
 * The backup instance of a storage account under `policyId` (seed 004 §Prepare the request to configure backup); with
 * `containers` (a vaulted policy), policyParameters.backupDatasourceParametersList names them (BlobBackupDatasourceParameters).
 */
export function blobBackupInstance(
  storageAccountId: string,
  policyId: string,
  location: string,
  friendlyName?: string,
  containers?: string[],
): BackupInstance {
  const account = parseStorageAccountId(storageAccountId);
  return {
    objectType: 'BackupInstance',
    ...(friendlyName ? { friendlyName } : {}),
    dataSourceInfo: {
      datasourceType: BLOB_DATASOURCE_TYPE,
      objectType: 'Datasource',
      resourceID: storageAccountId,
      resourceLocation: location,
      resourceName: account?.name ?? storageAccountId.split('/').pop(),
      resourceType: STORAGE_ACCOUNT_RESOURCE_TYPE,
      resourceUri: '',
    },
    policyInfo: {
      policyId,
      ...(containers
        ? {
            policyParameters: {
              backupDatasourceParametersList: [{ objectType: 'BlobBackupDatasourceParameters', containersList: containers }],
            },
          }
        : {}),
    },
  };
}

/** Instances on their way out: not shown as protected items. */
const REMOVED_STATES = ['SoftDeleting', 'SoftDeleted'];
/** The vendor has protected the item (its restore points are read), whether or not backups are running now. */
const PROTECTED_STATES = [
  'ProtectionConfigured',
  'ProtectionError',
  'UpdatingProtection',
  'BackupSchedulesSuspended',
  'RetentionSchedulesSuspended',
  'ProtectionStopped',
];
/** Listed, but no longer backed up: protection stopped or backups suspended (BackupInstance.currentProtectionState). */
const UNPROTECTED_STATES = ['ProtectionStopped', 'BackupSchedulesSuspended', 'NotProtected'];

/** True for instances on their way out (not shown as protected items). */
export function isBeingRemoved(bi: BackupInstanceResource): boolean {
  return REMOVED_STATES.includes(bi.properties?.currentProtectionState ?? '');
}

/**
 * A backup instance as our item. ConfiguringProtectionFailed is the item's error (the vendor refused it);
 * ProtectionError (its backups fail) keeps the item protected and leaves the failure to its backup runs.
 * The 2024-04-01 BackupInstance reports no last-backup times, so lastBackupAt stays unset.
 */
export function toVendorItem(bi: BackupInstanceResource, catalog: ErrorCatalog): VendorProtectedItem {
  const state = bi.properties.currentProtectionState ?? bi.properties.protectionStatus?.status ?? 'Unknown';
  const item: VendorProtectedItem = {
    vendorRef: bi.name ?? '',
    kind: 'storageAccount',
    externalId: bi.properties.dataSourceInfo.resourceID,
    vendorStatus: state,
    protected: PROTECTED_STATES.includes(state),
  };
  if (UNPROTECTED_STATES.includes(state)) item.unprotected = true;
  if (state === 'ConfiguringProtectionFailed') {
    const details: UserFacingError | undefined = bi.properties.protectionErrorDetails ?? bi.properties.protectionStatus?.errorDetails;
    const c = classifyCloudError(catalog, 400, { code: details?.code, message: details?.message });
    item.error = {
      code: details?.code ? c.code : 'VENDOR_ERROR',
      vendorCode: details?.code,
      message: details?.message ?? `Protection failed (${state})`,
    };
  }
  return item;
}

// ------------------------------------------------------------------ backup runs

/** A job of operationCategory "Backup" (JobCRUD_GetJob); restores, tiering and management jobs are not runs. */
export function isBackupJob(job: AzureBackupJobResource): boolean {
  return (job.properties?.operationCategory ?? '').toLowerCase() === 'backup';
}

/** The backup instance (name) a job ran for: the last segment of backupInstanceId. */
export function instanceOfJob(job: AzureBackupJob): string | undefined {
  return /\/backupInstances\/([^/]+)$/i.exec(job.backupInstanceId ?? '')?.[1];
}

/**
 * AzureBackupJob.status is a free string. The spec's text names InProgress/Success/Failed/Cancelled/
 * SuccessWithWarning; its examples answer Started and Succeeded; the service also answers Completed and
 * CompletedWithWarnings. Undefined for a value none of them names (the caller keeps it as vendorStatus).
 */
export function backupRunStatusOf(status: string | undefined): BackupRunStatus | undefined {
  switch ((status ?? '').toLowerCase()) {
    case 'notstarted':
    case 'queued':
      return 'queued';
    case 'started':
    case 'inprogress':
    case 'running':
    case 'cancelling':
      return 'running';
    case 'completed':
    case 'success':
    case 'succeeded':
      return 'succeeded';
    case 'completedwithwarnings':
    case 'successwithwarning':
    case 'successwithwarnings':
    case 'succeededwithwarnings':
      return 'warning';
    case 'failed':
    case 'cancelled':
    case 'canceled':
      return 'failed';
    default:
      return undefined;
  }
}

const date = (s: string | undefined) => {
  const d = s ? new Date(s) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
};

/** A backup job as a backup run of its backup instance. An unknown status is a run still going, kept as vendorStatus. */
export function jobToBackupRun(job: AzureBackupJobResource, catalog: ErrorCatalog): VendorBackupRun {
  const p = job.properties;
  const status = backupRunStatusOf(p.status) ?? 'running';
  const run: VendorBackupRun = {
    vendorRef: job.name ?? job.id?.split('/').pop() ?? '',
    status,
    vendorStatus: p.status ?? 'Unknown',
    onDemand: p.isUserTriggered === true,
  };
  const policyRef = p.policyName ?? /\/backupPolicies\/([^/]+)$/i.exec(p.policyId ?? '')?.[1];
  if (policyRef) run.policyRef = policyRef;
  const itemRef = instanceOfJob(p);
  if (itemRef) run.itemRef = itemRef;
  const startedAt = date(p.startTime);
  if (startedAt) run.startedAt = startedAt;
  const endedAt = date(p.endTime);
  if (endedAt && status !== 'running' && status !== 'queued') run.endedAt = endedAt;
  if ((status === 'succeeded' || status === 'warning') && p.extendedInfo?.dataTransferredInBytes !== undefined)
    run.bytesProcessed = p.extendedInfo.dataTransferredInBytes;
  const detail =
    status === 'failed' ? p.errorDetails?.[0] : status === 'warning' ? p.extendedInfo?.warningDetails?.[0]?.warning : undefined;
  if (status === 'failed' || detail) {
    const c = classifyCloudError(catalog, 400, { code: detail?.code, message: detail?.message });
    run.error = {
      code: detail?.code && c.code !== 'INVALID_REQUEST' ? c.code : 'VENDOR_ERROR',
      ...(detail?.code ? { vendorCode: detail.code } : {}),
      message: detail?.message ?? `The backup job ended ${p.status ?? 'without a status'}`,
    };
  }
  return run;
}

// ------------------------------------------------------------------ restore points

/**
 * A restore point of a continuous (operational) backup: the end of a restorable range; any time in the
 * range can be restored. Its ref is `<backup instance>|<ISO time>`.
 */
export function restorePointRef(instanceName: string, at: Date): string {
  return `${instanceName}|${at.toISOString()}`;
}

export function parseRestorePointRef(ref: string): { instanceName: string; at: Date } | undefined {
  const i = ref.lastIndexOf('|');
  if (i <= 0) return undefined;
  const at = new Date(ref.slice(i + 1));
  return Number.isNaN(at.getTime()) ? undefined : { instanceName: ref.slice(0, i), at };
}

export function rangesToRestorePoints(
  instanceName: string,
  ranges: Array<{ startTime: string; endTime: string }>,
  from?: Date,
  to?: Date,
): VendorRestorePoint[] {
  const points: VendorRestorePoint[] = [];
  for (const r of ranges) {
    const end = new Date(r.endTime);
    if (Number.isNaN(end.getTime())) continue;
    if ((from && end < from) || (to && end > to)) continue;
    points.push({
      vendorRef: restorePointRef(instanceName, end),
      protectedItemRef: instanceName,
      pointInTime: end,
      tags: ['continuous', `rangeStart:${r.startTime}`],
    });
  }
  return points;
}

// ------------------------------------------------------------------ restores

/** The blob range of one path: a container ("invoices") or a prefix inside it ("invoices/2024/"). */
export function pathToRange(path: string): RangeBasedItemLevelRestoreCriteria {
  let prefix = path.replace(/^\/+/, '');
  if (!prefix.includes('/')) prefix = `${prefix}/`;
  // Ranges are [min, max): the successor of the prefix ends the range (last character + 1).
  const last = prefix.charCodeAt(prefix.length - 1);
  const max = prefix.slice(0, -1) + String.fromCharCode(last + 1);
  return { objectType: 'RangeBasedItemLevelRestoreCriteria', minMatchingValue: prefix, maxMatchingValue: max };
}

/**
 * A point-in-time restore of an operational blob backup to its original storage account; with paths,
 * an item-level restore of those prefix ranges.
 */
export function restoreRequestBody(
  bi: BackupInstanceResource,
  at: Date,
  location: string,
  paths?: string[],
): AzureBackupRecoveryTimeBasedRestoreRequest {
  const ds = bi.properties.dataSourceInfo;
  const datasourceInfo = {
    datasourceType: ds.datasourceType ?? BLOB_DATASOURCE_TYPE,
    objectType: 'Datasource' as const,
    resourceID: ds.resourceID,
    resourceLocation: ds.resourceLocation ?? location,
    resourceName: ds.resourceName,
    resourceType: ds.resourceType ?? STORAGE_ACCOUNT_RESOURCE_TYPE,
    resourceUri: '',
  };
  const base = { recoveryOption: 'FailIfExists' as const, restoreLocation: ds.resourceLocation || location, datasourceInfo };
  return {
    objectType: 'AzureBackupRecoveryTimeBasedRestoreRequest',
    recoveryPointTime: at.toISOString(),
    sourceDataStoreType: 'OperationalStore',
    sourceResourceId: ds.resourceID,
    restoreTargetInfo:
      paths && paths.length > 0
        ? { objectType: 'ItemLevelRestoreTargetInfo', ...base, restoreCriteria: paths.map(pathToRange) }
        : { objectType: 'RestoreTargetInfo', ...base },
  };
}

/** One item of a restore as kept in the operation ref. */
export interface RestoreRefItem {
  restorePointRef: string;
  instanceName: string;
  asyncOperationUrl?: string;
  locationUrl?: string;
  jobId?: string;
}

export function toOperationRef(items: RestoreRefItem[]): VendorOperationRef {
  const first = items[0];
  const vendorRef = first?.jobId ?? (first?.asyncOperationUrl ? new URL(first.asyncOperationUrl).pathname.split('/').pop()! : '');
  return { vendorRef, extra: { items: JSON.stringify(items) } };
}

export function fromOperationRef(ref: VendorOperationRef): RestoreRefItem[] {
  const raw = ref.extra?.items;
  if (!raw) return [];
  const parsed = JSON.parse(raw) as RestoreRefItem[];
  return Array.isArray(parsed) ? parsed : [];
}

/** Job status (a free string: spec text InProgress/Success/Failed/Cancelled/SuccessWithWarning; service: Started, Completed...). */
export function jobItemStatus(status: string | undefined): RestoreItemStatus {
  switch ((status ?? '').toLowerCase()) {
    case 'completed':
    case 'success':
    case 'succeeded':
    case 'completedwithwarnings':
    case 'successwithwarning':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'cancelled':
    case 'canceled':
      return 'cancelled';
    default:
      return 'running';
  }
}

export type ItemProgress = NonNullable<RestoreProgress['items']>[number];

export function jobToItemProgress(restorePointRef: string, job: AzureBackupJob, catalog: ErrorCatalog): ItemProgress {
  const status = jobItemStatus(job.status);
  const item: ItemProgress = { restorePointRef, status, vendorStatus: job.status };
  if (status === 'succeeded' && job.extendedInfo?.dataTransferredInBytes !== undefined)
    item.restoredBytes = job.extendedInfo.dataTransferredInBytes;
  if (status === 'failed') {
    const detail = job.errorDetails?.[0];
    const c = classifyCloudError(catalog, 400, { code: detail?.code, message: detail?.message });
    item.errorCode = c.code === 'INVALID_REQUEST' || !detail?.code ? 'RESTORE_FAILED' : c.code;
    item.vendorCode = detail?.code;
    item.errorMessage = detail?.message ?? 'The restore job failed';
  }
  return item;
}

/** The restore's state from its items: terminal only when every item is. */
export function aggregateRestore(items: ItemProgress[]): RestoreState {
  if (items.some((i) => i.status === 'running')) return 'running';
  if (items.some((i) => i.status === 'pending')) return 'pending';
  return aggregateItemStatuses(items) as RestoreState;
}

export function vendorStatusOf(items: ItemProgress[]): string {
  const statuses = [...new Set(items.map((i) => i.vendorStatus ?? i.status))];
  return statuses.join(',');
}
