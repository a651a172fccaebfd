/**
 * Veeam Backup for Microsoft 365 REST API v8 wire types, named as in the vendor's OpenAPI
 * (vendor-specs/veeam/vb365-rest-v8.trimmed.openapi.json). Only the fields the adapter reads or sends.
 */

/** POST /v8/token answer (OAuthTokenResponse). */
export interface OAuthTokenResponse {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  userName?: string;
  '.issued'?: string;
  '.expires'?: string;
}

/** The `default` error response of every operation (seed 002: {message, errorCode, stackTrace}). */
export interface RESTExceptionInfo {
  message?: string;
  errorCode?: string | null;
  stackTrace?: string | null;
}

export interface RESTLinkHAL {
  href?: string;
}

/** PageOf<T> (x-veeam-page-result). */
export interface PageOf<T> {
  offset: number;
  limit: number;
  setId?: string;
  results: T[];
  _links?: Record<string, RESTLinkHAL>;
}

export interface RestOrganizationComposed {
  id: string;
  name?: string;
  officeName?: string;
  type?: string;
}

/** seed 002 §Get Backup Repositories, one of `results` (RESTBackupRepository; the fields the adapter reads). */
export interface RESTBackupRepository {
  id: string;
  name?: string;
  description?: string;
  path?: string;
  retentionType?: 'ItemLevel' | 'SnapshotBased' | null;
  capacityBytes?: number;
  freeSpaceBytes?: number;
  proxyId?: string | null;
  proxyPoolId?: string | null;
  organizationId?: string | null;
  isLongTerm?: boolean;
  isOutOfOrder?: boolean;
}

/** seed 002 §Get Backed-Up Organizations, one of `results` (RESTBackupRepositoryStorageUsageInfo). */
export interface RESTBackupRepositoryStorageUsageInfo {
  id?: string;
  name?: string;
  usedSpaceBytes?: number | null;
  localCacheUsedSpaceBytes?: number | null;
  objectStorageUsedSpaceBytes?: number | null;
}

export interface RESTUser {
  id: string;
  displayName?: string;
  name?: string;
  type?: 'User' | 'Shared' | 'Public' | null;
}

export interface RESTSite {
  id: string;
  url: string;
  title: string;
  name?: string;
  parentUrl?: string;
  isCloud: boolean;
  isPersonal: boolean;
}

export interface RESTTeam {
  id: string;
  displayName: string;
  mail: string;
}

export interface RESTOneDrive {
  id: string;
  name?: string;
  url?: string;
}

export type RESTJobBackupItemType = 'Group' | 'User' | 'Site' | 'PartialOrganization' | 'PersonalSites' | 'OneDriveFolders' | 'Team';

/** RESTJobItemComposed: one entry of a job's selected items. */
export interface RESTJobItemComposed {
  id?: string | null;
  type: RESTJobBackupItemType;
  user?: RESTUser;
  site?: RESTSite;
  team?: RESTTeam;
  mailbox?: boolean | null;
  oneDrive?: boolean | null;
  archiveMailbox?: boolean | null;
  personalSite?: boolean | null;
  sites?: boolean | null;
}

export type RESTJobStatus = 'Stopped' | 'Running' | 'Success' | 'Failed' | 'Warning' | 'NotConfigured' | 'Disconnected' | 'Queued';

/** spec RESTJobStatistics (every counter int64). */
export interface RESTJobStatistics {
  processingRateBytesPS?: number;
  processingRateItemsPS?: number;
  readRateBytesPS?: number;
  writeRateBytesPS?: number;
  /** "Amount of data transferred from source to target before applying compression and deduplication." */
  transferredDataBytes?: number;
  /** "Number of items processed by the backup or backup copy job." */
  processedObjects?: number;
  bottleneck?: 'NA' | 'Detecting' | 'Source' | 'Target';
}

/** spec RESTJobSession. `status` is typed open: a newer server may answer a value this spec does not name. */
export interface RESTJobSession {
  id: string;
  jobId: string;
  repositoryId?: string;
  mainSessionId?: string;
  details?: string | null;
  creationTime: string;
  endTime?: string | null;
  retryCount?: number;
  jobWillBeRetried?: boolean | null;
  /** "Number of processed objects during the job session." */
  progress?: number;
  jobType?: 'Backup' | 'Copy';
  jobSessionConfigType?: 'Full' | 'Incremental';
  status: RESTJobStatus | (string & {});
  statistics?: RESTJobStatistics;
  eTag?: number;
  proxyId?: string | null;
  proxyPoolId?: string | null;
}

/** spec GET /v8/JobSessions `status` filter: its enum spells success "Succeeded", unlike RESTJobSession.status. */
export type RESTJobSessionStatusFilter = 'Stopped' | 'Running' | 'Succeeded' | 'Failed' | 'Warning';

export type RESTLogItemType = 'Running' | 'Warning' | 'Error' | 'Success' | 'Stop';

/** spec RESTLogItem: one operation of a job session. It names no object: the object is only in `message`. */
export interface RESTLogItem {
  id: string;
  usn?: number;
  type?: RESTLogItemType | (string & {});
  message?: string;
  creationTime?: string;
  endTime?: string;
}

export interface RESTStartJobOptions {
  full?: boolean;
}

export interface RESTJobSchedulePolicy {
  scheduleEnabled?: boolean | null;
  type?: 'Periodically' | 'Daily' | 'ManualOnly' | null;
  periodicallyEvery?: string | null;
  dailyType?: string | null;
  dailyTime?: string;
}

export interface RESTJob {
  id: string;
  name: string;
  backupType?: 'EntireOrganization' | 'SelectedItems' | null;
  organizationId?: string | null;
  repositoryId?: string | null;
  isEnabled?: boolean | null;
  lastStatus?: RESTJobStatus | null;
  lastRun?: string | null;
  lastBackup?: string | null;
  nextRun?: string | null;
  schedulePolicy?: RESTJobSchedulePolicy;
}

/** POST /v8/Jobs body (RESTCreateBackupJob). */
export interface RESTCreateBackupJob {
  name: string;
  organizationId: string;
  repositoryId: string;
  backupType: 'EntireOrganization' | 'SelectedItems';
  selectedItems?: RESTJobItemComposed[];
  schedulePolicy?: RESTJobSchedulePolicy;
  isEnabled?: boolean;
  runNow?: boolean;
}

/**
 * PUT /v8/Jobs/{jobId} body (RESTEditBackupJob). The PUT replaces the job's settings, so every one is sent
 * (Veeam's reference, Editing Backup Job Settings: the body "must contain" them).
 */
export interface RESTEditBackupJob {
  name: string;
  backupType: 'EntireOrganization' | 'SelectedItems';
  repositoryId: string;
  isEnabled: boolean;
  schedulePolicy?: RESTJobSchedulePolicy;
  selectedItems?: RESTJobItemComposed[];
  excludedItems?: RESTJobItemComposed[];
  runNow?: boolean;
}

export interface RESTRestorePoint {
  id: string;
  backupTime: string;
  jobId?: string;
  repositoryId?: string;
  organizationId?: string;
  isExchange?: boolean;
  isSharePoint?: boolean;
  isOneDrive?: boolean;
  isTeams?: boolean;
  isLongTermCopy?: boolean;
  isCopy?: boolean;
  isRetrieved?: boolean;
  immutabilityExpiresOn?: string | null;
}

export type RestoreSessionType = 'Vex' | 'Veod' | 'Vesp' | 'Vet';

/** RESTExploreOptions (POST /v8/Jobs/{jobId}/explore). */
export interface RESTExploreOptions {
  dateTime: string;
  type: RestoreSessionType;
  showDeleted?: boolean;
  showAllVersions?: boolean;
}

export interface RESTRestoreSession {
  id: string;
  type: RestoreSessionType;
  state: 'Working' | 'Stopped';
  result: 'Success' | 'Warning' | 'Failed';
  creationTime: string;
  endTime?: string | null;
  name?: string;
  initiatedBy?: string;
  details?: string;
}

export type RESTRestoreSessionEventStatus = 'Running' | 'Success' | 'Warning' | 'Failed' | 'Cancelled' | 'Skipped';

export interface RESTRestoreSessionEvent {
  id: string;
  type?: 'None' | 'Save' | 'Export' | 'Send' | 'Restore' | 'View';
  status: RESTRestoreSessionEventStatus;
  message: string;
  title?: string;
  itemName?: string;
  itemType?: string;
  itemSizeBytes?: number;
  source?: string;
  target?: string;
  startTime: string;
  endTime?: string | null;
  order: number;
  /** The backed-up organization user / site the event is about. */
  userId?: string | null;
  siteId?: string | null;
}

/** RESTAsyncRestoreResponse: v8 restore actions are asynchronous; sessionId names the restore's own restore session. */
export interface RESTAsyncRestoreResponse {
  sessionId: string;
}

/** Restore-session views of a site, OneDrive or mailbox (RESTSharePointSite, RESTOneDrive, RESTExchangeMailbox). */
export interface RESTSharePointSite {
  id: string;
  name?: string;
  url?: string;
}

export interface RESTExchangeMailbox {
  id: string;
  name?: string;
  email?: string;
  isArchive?: boolean;
}

/** A document or folder in a restore session (RESTItemComposed: SharePoint/OneDrive documents and folders). */
export interface RESTItemComposed {
  id: string;
  name: string;
  isFolder?: boolean;
  sizeBytes?: number;
  createdBy: string;
  creationTime: string;
  modifiedBy: string;
  modificationTime: string;
  [k: string]: unknown;
}

export interface RESTExchangeFolder {
  id: string;
  name?: string;
}
