import type { BackupRunStatus, Workload } from '@bg/domain';
import type { RestoreProgress, RestoreRequest, VendorBackupRun, VendorRestorePoint } from '../port/port.types';
import { VendorError } from '../port/vendor-error';
import { AVEPOINT_LIMITS } from './avepoint.capabilities';
import type { BackupDetails, Job, RestoreJobRequest, RestoreTarget, ServiceType } from './avepoint.types';

/** Pure functions between the AvePoint wire types and the port's vendor-neutral types. */

const VENDOR = 'avepoint';

function refuse(code: 'INVALID_REQUEST' | 'LIMIT_EXCEEDED' | 'UNSUPPORTED_BY_VENDOR', message: string): VendorError {
  return new VendorError({ code, vendor: VENDOR, retryable: false, message });
}

/** seed 001 §serviceType: 1 SharePoint Online, 2 OneDrive, 3 Microsoft 365 Groups (the group's site), 6 Teams. */
export const SERVICE_TYPE_OF_WORKLOAD: Partial<Record<Workload, ServiceType>> = { sharepoint: 1, onedrive: 2, groups: 3, teams: 6 };

/** list-jobs.md §objectType of a restore serviceType: 2 SharePoint Online, 3 OneDrive, 4 Microsoft 365 Groups, 7 Teams. */
export const OBJECT_TYPE_OF_SERVICE: Record<ServiceType, number> = { 1: 2, 2: 3, 3: 4, 6: 7 };

/** list-jobs.md §jobType */
export const JOB_TYPE = { all: 0, backup: 1, restore: 2 } as const;

/** An item ref is a site URL or a OneDrive UPN. */
export function isOneDriveRef(ref: string): boolean {
  return !/^https?:\/\//i.test(ref) && /^[^@\s]+@[^@\s]+$/.test(ref);
}

/** objectType of the backups that hold a site (SharePoint Online) or a OneDrive. */
export function objectTypeOfItemRef(ref: string): number {
  return isOneDriveRef(ref) ? 3 : 2;
}

/**
 * recoveryDateTime in the seed's format yyyy-MM-ddTHH:mm:ssZ (seed 001 §recoveryDateTime). The vendor
 * restores from the latest backup before it, so a fractional second is rounded up: the point in time
 * itself (a backup's finish time) stays inside the bound.
 */
export function formatRecoveryDateTime(at: Date): string {
  const ms = Math.ceil(at.getTime() / 1000) * 1000;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** list-jobs.md §startTime/finishTime take dates ("2024-01-01"). */
export function formatDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export interface TargetPath {
  libraryName: string;
  relativePath: string;
  kind: 'file' | 'folder';
}

/**
 * A neutral path is "<libraryName>/<path inside the library>" (e.g. "Documents/Shared/Budget.xlsx").
 * The vendor wants files and folders apart: a trailing "/" marks a folder; otherwise a last segment with
 * an extension (".xlsx") is a file and anything else a folder.
 */
export function parseTargetPath(raw: string): TargetPath {
  const trimmed = raw.trim().replace(/\\/g, '/');
  const folderMarked = trimmed.endsWith('/');
  const parts = trimmed
    .split('/')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length < 2) {
    throw refuse('INVALID_REQUEST', `AvePoint restores files and folders inside a library: path "${raw}" must be "<library>/<path>"`);
  }
  const [libraryName, ...rest] = parts;
  const last = rest[rest.length - 1];
  const kind = !folderMarked && /\.[A-Za-z0-9]{1,8}$/.test(last) ? 'file' : 'folder';
  return { libraryName, relativePath: rest.join('/'), kind };
}

/** True when `parent` is a proper ancestor of `child` in the same library (SharePoint compares case-insensitively). */
export function isParentOf(parent: TargetPath, child: TargetPath): boolean {
  return (
    parent.libraryName.toLowerCase() === child.libraryName.toLowerCase() &&
    child.relativePath.toLowerCase().startsWith(`${parent.relativePath.toLowerCase()}/`)
  );
}

/**
 * Enforces the seed's path rules before any call:
 * seed 001 §siteRestoreScope: at most 20 file+folder paths across all restoreTargets -> LIMIT_EXCEEDED
 * (not split: see AVEPOINT_CAPABILITIES.notes); parent and child paths may not be combined -> INVALID_REQUEST.
 */
export function checkTargetPaths(paths: TargetPath[]): void {
  if (paths.length > AVEPOINT_LIMITS.pathsPerRestoreJob) {
    throw refuse(
      'LIMIT_EXCEEDED',
      `AvePoint restores at most ${AVEPOINT_LIMITS.pathsPerRestoreJob} file and folder paths per job; got ${paths.length}`,
    );
  }
  for (const a of paths) {
    for (const b of paths) {
      if (a !== b && isParentOf(a, b)) {
        throw refuse(
          'INVALID_REQUEST',
          `AvePoint cannot restore a parent and its child path in one job: "${a.libraryName}/${a.relativePath}" contains "${b.libraryName}/${b.relativePath}"`,
        );
      }
    }
  }
}

/** Groups paths into restoreTargets, one per library, in first-seen order. */
export function toRestoreTargets(paths: TargetPath[]): RestoreTarget[] {
  const byLibrary = new Map<string, RestoreTarget>();
  for (const p of paths) {
    const key = p.libraryName.toLowerCase();
    let t = byLibrary.get(key);
    if (!t) {
      t = { libraryName: p.libraryName };
      byLibrary.set(key, t);
    }
    const list = p.kind === 'file' ? (t.files ??= []) : (t.folders ??= []);
    list.push({ relativePath: p.relativePath });
  }
  return [...byLibrary.values()];
}

/**
 * The POST /backup/m365/restore/jobs body for a neutral restore request, after every documented
 * rule is checked (one item per job, in place only, supported workload, files/folders, 20 paths,
 * no parent with child). Throws VendorError before any call.
 */
export function toRestoreJobRequest(req: RestoreRequest): RestoreJobRequest {
  const serviceType = SERVICE_TYPE_OF_WORKLOAD[req.workload];
  if (!serviceType)
    throw refuse('UNSUPPORTED_BY_VENDOR', `Vendor avepoint does not support restoreJob.create for workload ${req.workload}`);
  // seed 001: the request has no destination; content goes back to where it came from.
  if (req.destination !== 'original')
    throw refuse('UNSUPPORTED_BY_VENDOR', 'Vendor avepoint does not support restoreJob.create to a new destination (in-place only)');
  if (req.items.length !== 1) {
    throw refuse('LIMIT_EXCEEDED', `AvePoint restores one site or OneDrive per job (siteUrl / oneDriveUpn); got ${req.items.length} items`);
  }
  const item = req.items[0];
  // seed 001 §Note: the API restores files and folders only.
  if (!item.paths?.length)
    throw refuse('INVALID_REQUEST', 'AvePoint restores files and folders only: give at least one "<library>/<path>" path');
  const paths = item.paths.map(parseTargetPath);
  checkTargetPaths(paths);
  const scopeKey = item.externalId || item.protectedItemRef;
  const restoreTargets = toRestoreTargets(paths);
  const recoveryDateTime = formatRecoveryDateTime(item.pointInTime);
  if (serviceType === 2) {
    if (!isOneDriveRef(scopeKey)) throw refuse('INVALID_REQUEST', `A OneDrive restore needs the user's UPN; got "${scopeKey}"`);
    return { serviceType, recoveryDateTime, oneDriveRestoreScope: { oneDriveUpn: scopeKey, restoreTargets } };
  }
  if (!/^https:\/\//i.test(scopeKey)) throw refuse('INVALID_REQUEST', `A site restore needs the site URL; got "${scopeKey}"`);
  return { serviceType, recoveryDateTime, siteRestoreScope: { siteUrl: scopeKey, restoreTargets } };
}

/** Counters under either of the docs' names (details: *Number, list sample: *Count). */
export function jobCounters(d: BackupDetails | null | undefined): {
  total?: number;
  failed?: number;
  successful?: number;
  skipped?: number;
} {
  if (!d) return {};
  return {
    total: d.totalNumber ?? d.totalCount,
    failed: d.failedNumber ?? d.failedCount,
    successful: d.successfulNumber ?? d.successfulCount,
    skipped: d.skippedNumber ?? d.skippedCount,
  };
}

function jobErrorText(job: Job): string | undefined {
  const errs = (job.jobErrors ?? []).map((e) => (e.number && e.number > 1 ? `${e.value} (x${e.number})` : e.value)).filter(Boolean);
  return errs.length ? errs.join('; ') : undefined;
}

/** The job status texts the docs name (list-jobs.md §jobState 1-5), lower-cased. */
export const DOCUMENTED_JOB_STATES = ['in progress', 'finished', 'failed', 'finished with exception', 'partially finished'] as const;

/** vendorCode of a job whose state text the docs do not name. */
export const UNDOCUMENTED_STATE_CODE = 'UndocumentedJobState';

function countersText(job: Job): string {
  const c = jobCounters(job.backupDetails);
  const n = (v?: number) => (v === undefined ? '?' : String(v));
  return `objects: ${n(c.total)} total, ${n(c.successful)} successful, ${n(c.failed)} failed, ${n(c.skipped)} skipped`;
}

/**
 * A job's state text as RestoreProgress. The docs name five (list-jobs.md §jobState): In Progress,
 * Finished, Failed, Finished with Exception, Partially Finished. "Finished with Exception" is partial
 * when objects failed, else a success. Any other text (or none) ends the job `failed` with
 * VENDOR_ERROR / UndocumentedJobState naming the text and the counters, so it shows at once instead
 * of polling until the deadline; vendorStatus keeps the raw text. The job restores one item, reported
 * under `restorePointRef`.
 */
export function jobToProgress(job: Job, restorePointRef: string): RestoreProgress {
  const state = (job.state ?? '').trim();
  const c = jobCounters(job.backupDetails);
  const errorText = jobErrorText(job);
  const lower = state.toLowerCase();
  const failedObjects = (c.failed ?? 0) > 0;
  if (lower === 'in progress') return { state: 'running', vendorStatus: state };
  if (lower === 'finished' || (lower === 'finished with exception' && !failedObjects)) {
    return { state: 'succeeded', vendorStatus: state, items: [{ restorePointRef, status: 'succeeded', vendorStatus: state }] };
  }
  if (lower === 'partially finished' || lower === 'finished with exception') {
    const message = `${c.failed ?? '?'} of ${c.total ?? '?'} objects failed${errorText ? `: ${errorText}` : ''}`;
    return {
      state: 'partiallySucceeded',
      vendorStatus: state,
      items: [
        {
          restorePointRef,
          status: (c.successful ?? 1) > 0 ? 'succeeded' : 'failed',
          vendorStatus: state,
          errorCode: 'RESTORE_FAILED',
          errorMessage: message,
        },
      ],
      error: { code: 'RESTORE_FAILED', message },
    };
  }
  if (lower === 'failed') {
    const message = errorText ?? 'AvePoint reported the restore job Failed';
    return {
      state: 'failed',
      vendorStatus: state,
      items: [{ restorePointRef, status: 'failed', vendorStatus: state, errorCode: 'RESTORE_FAILED', errorMessage: message }],
      error: { code: 'RESTORE_FAILED', message },
    };
  }
  const message =
    `AvePoint reports the job state ${state ? `"${state}"` : '(none)'}, which its documentation does not name; ` +
    `the outcome is unknown (${countersText(job)})${errorText ? `: ${errorText}` : ''}`;
  const vendorStatus = state || '(none)';
  return {
    state: 'failed',
    vendorStatus,
    items: [
      {
        restorePointRef,
        status: 'failed',
        vendorStatus,
        errorCode: 'VENDOR_ERROR',
        vendorCode: UNDOCUMENTED_STATE_CODE,
        errorMessage: message,
      },
    ],
    error: { code: 'VENDOR_ERROR', vendorCode: UNDOCUMENTED_STATE_CODE, message },
  };
}

/** States of a backup job that left restorable data (list-jobs.md §jobState 2, 4, 5). */
const RESTORABLE_BACKUP_STATES = ['finished', 'finished with exception', 'partially finished'];

/** Restore point ref of one backup job for one item: "<backup job id>|<site URL or UPN>". */
export function restorePointRef(jobId: string, itemRef: string): string {
  return `${jobId}|${itemRef}`;
}

/**
 * A finished backup job as a restore point of each item (point in time = the job's finish time, which
 * recoveryDateTime then names as upper bound). In-progress and failed backups are not points.
 */
export function backupJobToRestorePoints(job: Job, itemRefs: string[]): VendorRestorePoint[] {
  if (!RESTORABLE_BACKUP_STATES.includes((job.state ?? '').toLowerCase()) || !job.finishTime) return [];
  const at = new Date(job.finishTime);
  if (Number.isNaN(at.getTime())) return [];
  return itemRefs.map((ref) => ({
    vendorRef: restorePointRef(job.id, ref),
    protectedItemRef: ref,
    pointInTime: at,
    tags: ['backupJob', `state:${job.state}`],
  }));
}

/**
 * A backup job (list-jobs.md, jobType 1) as a backup run. The job record names no objects (§Job summary: id,
 * state, times, counters, aggregated jobErrors), so the run has no per-item outcomes: it counts for every item
 * of the policy. Status texts (list-jobs.md §jobState): In Progress -> running, Finished -> succeeded (warning
 * when the counters report failed objects), Finished with Exception -> warning, Partially Finished -> warning
 * (failed when no object was backed up), Failed -> failed. A text the docs do not name is `failed` with
 * VENDOR_ERROR / UndocumentedJobState once the job has a finishTime, `running` while it has none; vendorStatus
 * always keeps the raw text.
 */
export function backupJobToRun(job: Job): VendorBackupRun {
  const state = (job.state ?? '').trim();
  const c = jobCounters(job.backupDetails);
  const status = backupRunStatus(state, job, c);
  const run: VendorBackupRun = { vendorRef: job.id, status, vendorStatus: state || '(none)' };
  const started = parseTime(job.startTime);
  const ended = status === 'running' ? undefined : parseTime(job.finishTime);
  if (started) run.startedAt = started;
  if (ended) run.endedAt = ended;
  if (status !== 'running' && c.successful !== undefined) run.itemsProcessed = c.successful;
  const error = backupRunError(state, status, job);
  if (error) run.error = error;
  return run;
}

function backupRunStatus(state: string, job: Job, c: ReturnType<typeof jobCounters>): BackupRunStatus {
  const lower = state.toLowerCase();
  if (lower === 'in progress') return 'running';
  if (lower === 'finished') return (c.failed ?? 0) > 0 ? 'warning' : 'succeeded';
  if (lower === 'finished with exception') return 'warning';
  if (lower === 'partially finished') return c.successful === 0 ? 'failed' : 'warning';
  if (lower === 'failed') return 'failed';
  return job.finishTime ? 'failed' : 'running';
}

function backupRunError(state: string, status: BackupRunStatus, job: Job): VendorBackupRun['error'] {
  if (status === 'succeeded') return undefined;
  const documented = (DOCUMENTED_JOB_STATES as readonly string[]).includes(state.toLowerCase());
  if (!documented) {
    if (status === 'running') return undefined;
    const text = jobErrorText(job);
    return {
      code: 'VENDOR_ERROR',
      vendorCode: UNDOCUMENTED_STATE_CODE,
      message:
        `AvePoint reports the backup job state ${state ? `"${state}"` : '(none)'}, which its documentation does not name; ` +
        `the outcome is unknown (${countersText(job)})${text ? `: ${text}` : ''}`,
    };
  }
  if (status === 'running') return undefined;
  const text = jobErrorText(job);
  const first = (job.jobErrors ?? []).find((e) => e.isErrorCode && e.url);
  return {
    code: 'VENDOR_ERROR',
    // list-jobs.md §Job errors: url is the "Error code URL" of an error with an error code.
    ...(first?.url ? { vendorCode: first.url } : {}),
    message: `AvePoint backup job ${state} (${countersText(job)})${text ? `: ${text}` : ''}`,
  };
}

function parseTime(raw: string | null | undefined): Date | undefined {
  if (!raw) return undefined;
  const d = new Date(raw);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
