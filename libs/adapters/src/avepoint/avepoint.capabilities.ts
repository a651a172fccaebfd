import type { Capabilities } from '@bg/domain';

/** AvePoint Cloud Backup's documented limits, as data; each cites its source. */
export const AVEPOINT_LIMITS = {
  // seed 001 §siteRestoreScope/oneDriveRestoreScope: "the total number of file and folder paths cannot exceed 20"
  pathsPerRestoreJob: 20,
  // seed 001 §Responses 429: "There are already 3 restore/export jobs running, cannot start new restore job."
  concurrentRestoreJobs: 3,
  // One AvePoint restore job restores one site or one OneDrive (siteUrl / oneDriveUpn is a single value).
  restoreItemsPerJob: 1,
  // list-jobs.md §pageSize: default 10; no maximum is documented, the adapter asks for 50.
  pageSize: { default: 10, max: 50 },
} as const;

export const AVEPOINT_CAPABILITIES: Capabilities = {
  vendor: 'avepoint',
  displayName: 'AvePoint Cloud Backup for Microsoft 365',
  // The AvePoint Graph API documents no policy or protected-item management and no job cancellation
  // (vendor-specs/avepoint/SOURCE.md §Coverage): those operations are absent and raise UNSUPPORTED_BY_VENDOR.
  // list-jobs.md: backup jobs (jobType 1) are read back as backup runs (backupRun.list).
  operations: ['restorePoint.list', 'restoreJob.create', 'backupRun.list'],
  // seed 001 §serviceType 1, 2, 6 and 3 (Microsoft 365 Groups: a group's site, addressed by its site URL).
  workloads: ['sharepoint', 'onedrive', 'teams', 'groups'],
  restoreGranularity: ['filesAndFolders', 'pointInTime'],
  // seed 001: the request has no destination field; content is restored in place.
  destinations: ['original'],
  // Policies are kept by the gateway; an item's externalId (site URL / OneDrive UPN) is its vendor ref.
  policyEmulated: true,
  limits: {
    restoreItemsPerJob: AVEPOINT_LIMITS.restoreItemsPerJob,
    pathsPerRestoreJob: AVEPOINT_LIMITS.pathsPerRestoreJob,
    concurrentRestoreJobs: AVEPOINT_LIMITS.concurrentRestoreJobs,
    // seed 001: the restore job request takes no client reference; its record names no scope or paths.
    serialRestoreStarts: true,
    pageSize: AVEPOINT_LIMITS.pageSize,
  },
  health: {
    // list-jobs.md §Job summary: a backup job reports counters of objects (totalNumber ...) and aggregated
    // jobErrors, never which objects it covered, so a run counts for every item of the policy.
    backupRuns: 'perPolicy',
    // vendor-specs/avepoint/SOURCE.md §Coverage: no endpoint starts a backup (only restore jobs are submitted).
    onDemandBackup: 'none',
    // backup-frequency.md: backups run on the tenant's schedule (docs sample: frequency 1 a day per service);
    // one day plus two hours of slack.
    defaultRpoMinutes: 26 * 60,
    notes: [
      'list-jobs.md: backup runs are the backup jobs of GET /backup/m365/cloudbackupjobs?jobType=1, read from the day of `since` (startTime is a date) and filtered to the exact time, paged by pageIndex (50 a page); one read per policy, never per item.',
      'list-jobs.md §Job summary: a backup job names no objects (only totalNumber/failedNumber/successfulNumber/skippedNumber and aggregated jobErrors), so a run counts for every item of the policy; which object failed is not reported. A failed object shows as a "Finished with Exception" job (warning) for the whole policy; only a job that failed as a whole ("Failed") makes the run failed.',
      'list-jobs.md §jobState status texts: In Progress -> running, Finished -> succeeded (warning when failedNumber > 0), Finished with Exception -> warning, Partially Finished -> warning (failed when successfulNumber is 0), Failed -> failed. A text the docs do not name is failed (VENDOR_ERROR, vendorCode UndocumentedJobState) once the job has a finishTime and running before; vendorStatus keeps the text.',
      'Nor does a job say which objects it left out: when one object stops being backed up, only totalNumber drops, so that item keeps its runs and restore points; only backups of the whole tenant stopping show (no new runs, the RPO passes).',
      'A run error carries the jobErrors messages; vendorCode is the "Error code URL" (list-jobs.md §Job errors) of the first error that has one.',
      'No on-demand backup: the AvePoint Graph API documents no endpoint that starts a backup (SOURCE.md §Coverage: job list, job details, restore); backups follow the schedule of backup-frequency.md.',
    ],
  },
  notes: [
    'seed 001: restores files and folders only, in SharePoint sites (serviceType 1, workload sharepoint), OneDrive (2, onedrive), Microsoft 365 Group sites (3, groups: the item is the group site URL) and Teams sites (6, teams). Paths are "<libraryName>/<path inside the library>"; a restore without paths is refused with INVALID_REQUEST.',
    'seed 001: at most 20 file+folder paths per job across all restoreTargets. Above that the adapter refuses with LIMIT_EXCEEDED before any call (it does not split: each extra vendor job would take one of the 3 concurrent slots and make one restore half-started on a refusal).',
    'seed 001: a parent and its child path may not be in the same request. The adapter refuses such a request with INVALID_REQUEST naming both paths, before any call.',
    'seed 001: one site URL or one OneDrive UPN per job, so one restore job holds one item (restoreItemsPerJob 1).',
    'seed 001 §Responses: 429 when 3 restore/export jobs are already running in the AvePoint tenant -> CONCURRENCY_LIMIT (retryable); the worker queues further jobs behind concurrentRestoreJobs 3. Other 429s -> THROTTLED.',
    'seed 001 §recoveryDateTime: restore points are point-in-time upper bounds; the vendor restores from the latest backup before it. listRestorePoints lists the finished backup jobs (GET /backup/m365/cloudbackupjobs?jobType=1) as points in time for each requested site / OneDrive.',
    "No policy or protected-item API is documented: policies and protected items are managed in the AvePoint console; the adapter's policy operations raise UNSUPPORTED_BY_VENDOR. The gateway emulates policies (policyEmulated): it keeps them in its own database and lists restore points for their items. Restore jobs cannot be cancelled through the API.",
    'seed 001 / list-jobs.md: a restore job takes no client reference and its record names no site or paths, so after a crash between the POST and its checkpoint the worker recognises its job only as the one restore of the service started in its submission window that no other job holds. To keep that unambiguous the worker starts one restore at a time per connection (serialRestoreStarts): the next POST waits until the previous job id is recorded (one round trip).',
    'Multi-Geo tenants: the connection credential "location" is sent as ?location= on every call; without it AvePoint uses the central location.',
  ],
};
