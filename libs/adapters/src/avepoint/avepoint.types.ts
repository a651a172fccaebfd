/**
 * AvePoint Graph API wire types, named as in the docs (seed 001; vendor-specs/avepoint summary OpenAPI).
 */

/** seed 001 §Responses "API error". */
export interface ApiError {
  code?: string;
  field?: string;
  message?: string;
}

/** seed 001 §Responses: the envelope of every call. */
export interface Envelope<T> {
  statusCode?: number;
  message?: string;
  errors?: ApiError[] | null;
  data?: T;
  requestId?: string;
  timestamp?: string;
  traceId?: string;
  /** List calls only (list-jobs.md §Response metadata). */
  metadata?: ResponseMetadata;
}

/** The docs' table says totalNumber, the sample totalCount; both are read. */
export interface ResponseMetadata {
  totalNumber?: number;
  totalCount?: number;
  /** Next page URL; the empty string on the last page. */
  nextLink?: string;
}

/** seed 001 §Body Parameters: 1 SharePoint Online, 2 OneDrive, 3 Microsoft 365 Groups, 6 Teams. */
export type ServiceType = 1 | 2 | 3 | 6;

export interface RestoreTargetPath {
  relativePath: string;
}

export interface RestoreTarget {
  libraryName: string;
  files?: RestoreTargetPath[];
  folders?: RestoreTargetPath[];
}

export interface SiteRestoreScope {
  siteUrl: string;
  restoreTargets: RestoreTarget[];
}

export interface OneDriveRestoreScope {
  oneDriveUpn: string;
  restoreTargets: RestoreTarget[];
}

/** POST /backup/m365/restore/jobs body. */
export interface RestoreJobRequest {
  serviceType: ServiceType;
  /** yyyy-MM-ddTHH:mm:ssZ or yyyy-MM-ddTHH:mm:ss.fffffffZ (UTC). */
  recoveryDateTime: string;
  siteRestoreScope?: SiteRestoreScope;
  oneDriveRestoreScope?: OneDriveRestoreScope;
}

export interface RestoreJobCreated {
  jobId: string;
}

/** Job counters; details name them *Number, the list sample *Count. */
export interface BackupDetails {
  totalNumber?: number;
  failedNumber?: number;
  successfulNumber?: number;
  skippedNumber?: number;
  totalCount?: number;
  failedCount?: number;
  successfulCount?: number;
  skippedCount?: number;
}

export interface JobError {
  isErrorCode?: boolean;
  value?: string;
  url?: string;
  number?: number;
}

/** GET /backup/m365/cloudbackupjobs[/{jobId}] job. */
export interface Job {
  id: string;
  /** Status text: In Progress, Finished, Failed, Finished with Exception, Partially Finished. */
  state: string;
  startTime?: string;
  finishTime?: string | null;
  duration?: string;
  backupDetails?: BackupDetails | null;
  jobErrors?: JobError[] | null;
}

/** list-jobs.md §Query Parameters. */
export interface ListJobsQuery {
  startTime?: string;
  finishTime?: string;
  /** 0 All, 1 Backup, 2 Restore, 3 Export, 4 Deletion, 5 Retention. */
  jobType?: number;
  /** 0 All, 2 SharePoint Online, 3 OneDrive, 4 Microsoft 365 Groups, 7 Teams ... */
  objectType?: number;
  /** 0 All, 1 In Progress, 2 Finished, 3 Failed, 4 Finished with Exception, 5 Partially Finished. */
  jobState?: number;
  pageIndex?: number;
  pageSize?: number;
}

/** AOS identity service token response (register-app.md §Client Secret). */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  ext_expires_in?: number;
  scope?: string;
}

/** OAuth error body of the identity service. */
export interface OAuthErrorBody {
  error?: string;
  error_description?: string;
}
