import type { Capabilities } from '@bg/domain';

/** Azure Data Protection's limits as data; each cites its source. */
export const AZURE_DP_LIMITS = {
  // swagger BackupInstances_CreateOrUpdate / ValidateForBackup: one datasource per request (seed 004 §Configure backup)
  datasourcesPerRequest: 1,
  // Azure Storage point-in-time restore of block blobs: at most 10 lexicographical prefix ranges per request
  prefixRangesPerRestore: 10,
  // ARM list pages are server-sized; the sandbox and the service answer with nextLink (SOURCE.md §Pagination)
  pageSize: 10,
  // Operational backup of blobs retains 1..360 days
  operationalRetentionDays: { min: 1, max: 360, default: 30 },
  // Backup policy names (3-150 letters, digits, hyphens): the adapter encodes display names into them
  policyNameLength: { min: 3, max: 150 },
} as const;

export const AZURE_DP_CAPABILITIES: Capabilities = {
  vendor: 'azure-dataprotection',
  displayName: 'Azure Backup — Data Protection (Backup vaults)',
  operations: [
    'policy.create',
    'policy.delete',
    'protectedItem.add',
    'protectedItem.remove',
    'restorePoint.list',
    'restoreJob.create',
    'backupRun.list',
    'backup.start',
  ],
  workloads: ['azureBlob'],
  restoreGranularity: ['pointInTime', 'filesAndFolders'],
  destinations: ['original'],
  limits: {
    protectedItemsPerRequest: AZURE_DP_LIMITS.datasourcesPerRequest,
    pathsPerRestoreJob: AZURE_DP_LIMITS.prefixRangesPerRestore,
    pageSize: { default: AZURE_DP_LIMITS.pageSize, max: AZURE_DP_LIMITS.pageSize },
  },
  health: {
    backupRuns: 'perItem',
    onDemandBackup: 'item',
    // Our policies back up daily (BackupDaily, R/…/P1D): a day plus two hours of slack.
    defaultRpoMinutes: 26 * 60,
    notes: [
      'Policies carry a daily vaulted AzureBackupRule (BackupDaily) beside operational retention: its backup jobs are the runs, and an instance under it names every container of its storage account (BlobContainers_List; the principal needs Microsoft.Storage/storageAccounts/blobServices/containers/read).',
      'swagger Jobs_List / Jobs_Get (AzureBackupJob): a backup run is a backup job of operationCategory "Backup", one per backup instance; the vault\'s job list is read once per call (no $filter in 2024-04-01) and filtered to the policy\'s instances and time window.',
      'AzureBackupJob.status is a free string (spec text: InProgress/Success/Failed/Cancelled/SuccessWithWarning; examples: Started, Succeeded; service: Completed, CompletedWithWarnings); a value none of them names stays running, with its vendorStatus.',
      "swagger BackupInstances_AdhocBackup (TriggerBackupRequest): an on-demand backup is of one backup instance and names the policy's backup rule (BackupDaily); 202 + Azure-AsyncOperation, whose OperationJobExtendedInfo names the job.",
      'Operational blob backup is continuous: a policy with no AzureBackupRule has no backup jobs and takes no ad-hoc backup (NOT_ALLOWED_IN_STATE); its health comes from restore-point recency.',
      'BackupInstance.currentProtectionState ProtectionStopped / BackupSchedulesSuspended mark the item unprotected; the instance reports no last-backup times.',
    ],
  },
  notes: [
    'seed 004: blobs are protected with operational backup — continuous, so restore points are restorable time ranges (findRestorableTimeRanges), restored to a point in time with AzureBackupRecoveryTimeBasedRestoreRequest. Our policies add a daily vaulted backup rule (BackupDaily) so backups run as jobs.',
    "seed 004 §Configure backup: each storage account is one backup instance: POST validateForBackup (202, polled), then PUT backupInstances/{name} (201, ConfiguringProtection), its Azure-AsyncOperation followed until protection is configured or failed (ConfiguringProtectionFailed is the item's error at once). One datasource per request.",
    'seed 004 §Error response: a storage account protected in any vault is refused with UserErrorDppDatasourceAlreadyProtected -> ALREADY_PROTECTED.',
    'Backup policies have no on/off state and their names are immutable ARM resource names: activate, deactivate and rename are not supported.',
    'Operational blob backups restore to the original storage account only; file/folder paths become RangeBasedItemLevelRestoreCriteria prefix ranges (at most 10).',
    'The Data Protection API (2024-04-01) has no job cancel operation: cancelling a restore is not supported.',
    'SOURCE.md §Throttling: ARM token buckets per subscription (reads 250 @25/s, writes/deletes 200 @10/s); 429 + Retry-After -> THROTTLED.',
  ],
};
