import type { Capabilities } from '@bg/domain';

/** seed 002 §Get Backup Repositories (limit/offset): default 30 items per page, at most 10,000. */
export const VEEAM_PAGE_SIZE = { default: 30, max: 10_000 } as const;

/** Access tokens are refreshed this long before they expire. */
export const VEEAM_TOKEN_REFRESH_SKEW_MS = 60_000;

/**
 * What the Veeam adapter supports, as data. Policies are backup jobs, protected items are a job's
 * selected items, restore points are VB365 restore points, and a restore runs in an explore session
 * (POST /v8/Jobs/{jobId}/explore) that is stopped to cancel. Teams is left out: the Teams restore paths
 * are not in the v8 spec the adapter is written from.
 */
export const VEEAM_CAPABILITIES: Capabilities = {
  vendor: 'veeam',
  displayName: 'Veeam Backup for Microsoft 365',
  operations: [
    'policy.create',
    'policy.update',
    'policy.delete',
    'policy.activate',
    'policy.deactivate',
    'protectedItem.add',
    'protectedItem.remove',
    'restorePoint.list',
    'restoreJob.create',
    'restoreJob.cancel',
    'backupRun.list',
    'backup.start',
  ],
  workloads: ['sharepoint', 'onedrive', 'exchange'],
  restoreGranularity: ['wholeItem', 'filesAndFolders', 'pointInTime'],
  destinations: ['original', 'new'],
  limits: {
    pageSize: { ...VEEAM_PAGE_SIZE },
  },
  health: {
    backupRuns: 'perPolicy',
    onDemandBackup: 'policy',
    // spec RESTJobSchedulePolicy: a job runs Daily or Periodically (every 5 min to
    // 12 h); a day plus two hours of slack for the run itself. Jobs on fewer days (Workdays, Monday...) need a policy RPO.
    defaultRpoMinutes: 26 * 60,
    notes: [
      "Runs are the backup job's sessions (spec GET /v8/JobSessions?jobId=...); per-object outcomes come from the session's log (GET /v8/JobSessions/{id}/LogItems), whose RESTLogItem names the object only in its message (matched by site URL, user name or team mail).",
      'Session status: Success -> succeeded, Warning -> warning, Failed -> failed, Running -> running, Queued -> queued; Stopped, NotConfigured and Disconnected -> failed; a status the spec does not name -> failed once it has an endTime, else running (vendorStatus keeps it).',
      'On-demand backup starts the whole job (spec POST /v8/Jobs/{jobId}/start, v8: 200 RESTJobSession); a job already running or disabled is refused (OperationConflict -> NOT_ALLOWED_IN_STATE).',
      'itemsProcessed is RESTJobStatistics.processedObjects ("Number of items processed"), bytesProcessed its transferredDataBytes.',
    ],
  },
  usageSamples: ['licensedUsers', 'storageBytes'],
  notes: [
    'usage: licensed users from GET /v8/LicensedUsers?organizationId (seed 002 "Licensed Users", Veeam\'s billing unit) and the space the organization\'s backups use from the repositories that hold them (seed 002 §Get Backup Repositories, §Get Backed-Up Organizations).',
    'pageSize: seed 002 §Get Backup Repositories, "The maximum supported number of items per page is 10,000. The default value is 30."',
    'Veeam documents no per-request item, per-restore item or concurrency limit for these endpoints.',
    'OneDrive restores go to the original location only (the v8 spec has no OneDrive restoreTo); destination "new" needs target.siteUrl (SharePoint) or target.mailbox (Exchange).',
    'Token endpoint: VB365 throttles POST /v8/token (HTTP 429 with Retry-After); the adapter reuses and refreshes its token.',
  ],
};
