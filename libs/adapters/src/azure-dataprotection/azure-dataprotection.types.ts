/**
 * Wire types of Microsoft.DataProtection (ARM, api-version 2024-04-01), named as in
 * vendor-specs/azure-dataprotection/dataprotection-2024-04-01.trimmed.swagger.json. Only the fields the
 * adapter reads or writes; enums marked modelAsString in the spec are open strings here.
 */

export const API_VERSION = '2024-04-01';
/** Microsoft.Storage, for BlobContainers_List only (a vaulted blob backup names its containers). */
export const STORAGE_API_VERSION = '2023-05-01';
export const BLOB_DATASOURCE_TYPE = 'Microsoft.Storage/storageAccounts/blobServices';
export const STORAGE_ACCOUNT_RESOURCE_TYPE = 'Microsoft.Storage/storageAccounts';

/** `default` response of every operation. */
export interface CloudError {
  error?: {
    code?: string;
    message?: string;
    target?: string | null;
    details?: CloudError['error'][];
    additionalInfo?: Array<{ type?: string; info?: UserFacingError & Record<string, unknown> }>;
  };
}

export interface UserFacingError {
  code?: string;
  message?: string;
  isRetryable?: boolean;
  isUserError?: boolean;
  recommendedAction?: string[];
  target?: string;
}

export interface DppResourceList<T> {
  value: T[];
  nextLink?: string;
}

export interface BackupVaultResource {
  id: string;
  name: string;
  location: string;
  properties: { provisioningState?: string; storageSettings?: Array<{ datastoreType?: string; type?: string }> };
}

export interface DataStoreInfoBase {
  dataStoreType: 'OperationalStore' | 'VaultStore' | 'ArchiveStore';
  objectType: 'DataStoreInfoBase';
}

export interface AzureRetentionRule {
  objectType: 'AzureRetentionRule';
  name: string;
  isDefault?: boolean;
  lifecycles: Array<{
    deleteAfter: { objectType: 'AbsoluteDeleteOption'; duration: string };
    sourceDataStore: DataStoreInfoBase;
    targetDataStoreCopySettings?: unknown[];
  }>;
}

export interface ScheduleBasedTriggerContext {
  objectType: 'ScheduleBasedTriggerContext';
  /** ISO 8601 repeating intervals, "R/2021-05-20T22:00:00+00:00/P1D". */
  schedule: { repeatingTimeIntervals: string[]; timeZone?: string };
  taggingCriteria: Array<{ isDefault: boolean; taggingPriority: number; tagInfo: { tagName: string; id?: string } }>;
}

export interface AzureBackupRule {
  objectType: 'AzureBackupRule';
  name: string;
  dataStore: DataStoreInfoBase;
  trigger: ScheduleBasedTriggerContext | { objectType: 'AdhocBasedTriggerContext' };
  backupParameters?: { objectType: 'AzureBackupParams'; backupType: string };
}

export interface BackupPolicy {
  objectType: 'BackupPolicy';
  datasourceTypes: string[];
  policyRules: Array<AzureRetentionRule | AzureBackupRule>;
}

export interface BaseBackupPolicyResource {
  id?: string;
  name?: string;
  type?: string;
  properties: BackupPolicy;
}

export interface Datasource {
  datasourceType?: string;
  objectType?: 'Datasource';
  resourceID: string;
  resourceLocation?: string;
  resourceName?: string;
  resourceType?: string;
  resourceUri?: string;
}

export interface BackupInstance {
  objectType: 'BackupInstance';
  friendlyName?: string;
  dataSourceInfo: Datasource;
  policyInfo: {
    policyId: string;
    policyVersion?: string;
    /** BlobBackupDatasourceParameters.containersList: what a vaulted blob backup copies (spec: required there). */
    policyParameters?: {
      backupDatasourceParametersList?: Array<{ objectType: 'BlobBackupDatasourceParameters'; containersList: string[] }>;
    };
  };
  /** read-only */
  protectionStatus?: { status?: string; errorDetails?: UserFacingError };
  currentProtectionState?: string;
  protectionErrorDetails?: UserFacingError;
  provisioningState?: string;
}

export interface BackupInstanceResource {
  id?: string;
  name?: string;
  type?: string;
  tags?: Record<string, string>;
  properties: BackupInstance;
}

export interface ValidateForBackupRequest {
  backupInstance: BackupInstance;
}

export interface AzureBackupFindRestorableTimeRangesRequest {
  sourceDataStoreType: 'OperationalStore' | 'VaultStore' | 'ArchiveStore';
  startTime?: string;
  endTime?: string;
}

export interface AzureBackupFindRestorableTimeRangesResponseResource {
  properties?: { restorableTimeRanges?: Array<{ startTime: string; endTime: string; objectType?: string }>; objectType?: string };
}

export interface RangeBasedItemLevelRestoreCriteria {
  objectType: 'RangeBasedItemLevelRestoreCriteria';
  minMatchingValue: string;
  maxMatchingValue: string;
}

export type RestoreTargetInfoBase =
  | { objectType: 'RestoreTargetInfo'; recoveryOption: 'FailIfExists'; restoreLocation?: string; datasourceInfo: Datasource }
  | {
      objectType: 'ItemLevelRestoreTargetInfo';
      recoveryOption: 'FailIfExists';
      restoreLocation?: string;
      datasourceInfo: Datasource;
      restoreCriteria: RangeBasedItemLevelRestoreCriteria[];
    };

export interface AzureBackupRecoveryTimeBasedRestoreRequest {
  objectType: 'AzureBackupRecoveryTimeBasedRestoreRequest';
  recoveryPointTime: string;
  sourceDataStoreType: 'OperationalStore';
  sourceResourceId: string;
  restoreTargetInfo: RestoreTargetInfoBase;
}

export interface ValidateRestoreRequestObject {
  restoreRequestObject: AzureBackupRecoveryTimeBasedRestoreRequest;
}

/** Body of operationStatus (Azure-AsyncOperation). `status` is open: Succeeded | Failed | Canceled are terminal. */
export interface OperationResource {
  id?: string;
  name?: string;
  status?: string;
  startTime?: string;
  endTime?: string;
  error?: CloudError['error'];
  properties?: { objectType?: string; jobId?: string };
}

/** Body of operationResults (Location) once done. */
export interface OperationJobExtendedInfo {
  objectType?: string;
  jobId?: string;
}

/** BackupInstances_AdhocBackup's body: the policy's backup rule to apply. */
export interface TriggerBackupRequest {
  backupRuleOptions: { ruleName: string; triggerOption: { retentionTagOverride?: string } };
}

export interface AzureBackupJob {
  activityID?: string;
  backupInstanceId?: string;
  backupInstanceFriendlyName?: string;
  dataSourceId?: string;
  policyId?: string;
  policyName?: string;
  /** true: ad hoc; false: scheduled. */
  isUserTriggered?: boolean;
  operation?: string;
  /** Backup / Restore / Tiering / Management. */
  operationCategory?: string;
  /** Free string; spec text: InProgress/Success/Failed/Cancelled/SuccessWithWarning (sandbox/real: Started, Completed...). */
  status?: string;
  startTime?: string;
  endTime?: string;
  errorDetails?: UserFacingError[];
  extendedInfo?: {
    dataTransferredInBytes?: number;
    sourceRecoverPoint?: { recoveryPointID?: string; recoveryPointTime?: string };
    warningDetails?: Array<{ resourceName?: string; warning?: UserFacingError }>;
  };
}

export interface AzureBackupJobResource {
  id?: string;
  name?: string;
  properties: AzureBackupJob;
}

/** The two URLs of a long-running operation (seed 004 §Track response) and the poll hint. */
export interface AsyncOperationHandle {
  asyncOperationUrl?: string;
  locationUrl?: string;
  retryAfterMs?: number;
}
