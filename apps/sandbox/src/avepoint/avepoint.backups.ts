import { avepointFixtureScopes } from './avepoint.fixtures';

/**
 * The tenant's scheduled backup jobs, as a pure function of the sandbox clock, the tenant and its config.
 *
 * AvePoint backs up the whole tenant on its schedule (backup-frequency.md: `frequency` jobs a day per service, at
 * `backupStartTime`); a job's record (list-jobs.md §Job summary) carries id, state, start/finish time, object
 * counters and aggregated errors, and never names its objects. The simulator runs `backupsPerDay` jobs a day
 * (default 1, first at 02:00 UTC, evenly spaced), each 35 minutes long and covering every fixture site and
 * OneDrive (list-jobs.md objectType 2 SharePoint Online, 3 OneDrive, 4 Microsoft 365 Groups, 7 Teams). A job
 * that has started but not finished is listed "In Progress" without a finishTime.
 *
 * Faults per object, config `backupFaults` (a list; each entry applies to jobs starting in [from, until)):
 *   { objects: [siteUrl | upn ...] | '*', kind: 'fail' | 'exception' | 'stop', from?: ISO, until?: ISO, state?: text }
 *   fail       the object is not backed up: counted in failedNumber, a jobError; the job ends "Finished with
 *              Exception", or "Failed" when every object of the job failed
 *   exception  the object is backed up but some of its items are not: a jobError, the job ends "Finished with Exception"
 *   stop       the object is no longer backed up at all (not counted); a job with no objects left does not run
 *   state      forces the job's state text while the entry applies (e.g. "Partially Finished", or a text the docs
 *              do not name), for clients' handling of every status text
 * The error texts are the simulator's own: the docs give the jobErrors fields, not backup messages.
 */

export type BackupFaultKind = 'fail' | 'exception' | 'stop';

export interface BackupFault {
  objects: string[] | '*';
  kind?: BackupFaultKind;
  from?: string;
  until?: string;
  state?: string;
}

export interface BackupJobError {
  isErrorCode: boolean;
  value: string;
  url: string;
  number: number;
}

/** What happened to one object in one backup job. */
export type ObjectOutcome = 'backedUp' | 'exception' | 'failed';

export interface ScheduledBackupJob {
  id: string;
  /** list-jobs.md objectType values this backup covers. */
  objectTypes: number[];
  startTime: Date;
  finishTime: Date;
  /** The state once finished (the job is "In Progress" before finishTime). */
  finalState: string;
  totalNumber: number;
  failedNumber: number;
  successfulNumber: number;
  skippedNumber: number;
  jobErrors: BackupJobError[];
  /** Objects (site URL / UPN, lower-cased) the job covered and their outcome. */
  outcomes: Map<string, ObjectOutcome>;
}

export interface BackupScheduleOptions {
  tenantKey: string;
  retentionDays: number;
  backupsPerDay: number;
  faults: BackupFault[];
  durationMinutes?: number;
}

const DAY_MS = 24 * 3600 * 1000;
const FIRST_START_MS = 2 * 3600 * 1000;

/** The simulator's job errors (isErrorCode + an error-code URL, as list-jobs.md §Job errors describes them). */
export const BACKUP_ERRORS = {
  objectFailed: {
    isErrorCode: true,
    value: 'The object could not be backed up: access to it was denied.',
    url: 'https://learn.avepoint.com/docs/error-codes/CB-BACKUP-0403.html',
  },
  itemsSkipped: {
    isErrorCode: false,
    value: 'Some items could not be backed up because they are locked or checked out.',
    url: '',
  },
} as const;

/** Site URLs and UPNs compare case-insensitively, without a trailing slash. */
function objectKey(raw: string): string {
  return raw.trim().replace(/\/+$/, '').toLowerCase();
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Reads `backupFaults` leniently: entries that are not objects are ignored. */
export function parseBackupFaults(raw: unknown): BackupFault[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter((f): f is BackupFault => !!f && typeof f === 'object' && (f.objects === '*' || Array.isArray(f.objects)));
}

function applies(f: BackupFault, start: Date, key: string): boolean {
  if (f.from && start.getTime() < Date.parse(f.from)) return false;
  if (f.until && start.getTime() >= Date.parse(f.until)) return false;
  return f.objects === '*' || f.objects.some((o) => objectKey(o) === key);
}

const RANK: Record<BackupFaultKind, number> = { exception: 1, fail: 2, stop: 3 };

/** The scheduled backup jobs started before `now` within the retention, oldest first. */
export function scheduledBackupJobs(now: Date, opts: BackupScheduleOptions): ScheduledBackupJob[] {
  const perDay = Math.min(24, Math.max(1, Math.floor(opts.backupsPerDay)));
  const interval = DAY_MS / perDay;
  const durationMs = (opts.durationMinutes ?? 35) * 60_000;
  const objects = avepointFixtureScopes(opts.tenantKey).map((s) => objectKey(s.key));
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const jobs: ScheduledBackupJob[] = [];
  for (let d = opts.retentionDays; d >= 0; d--) {
    for (let k = 0; k < perDay; k++) {
      const start = new Date(today - d * DAY_MS + FIRST_START_MS + k * interval);
      if (start.getTime() > now.getTime()) continue;
      const job = runJob(start, durationMs, objects, opts.faults);
      if (job) jobs.push(job);
    }
  }
  return jobs;
}

function runJob(start: Date, durationMs: number, objects: string[], faults: BackupFault[]): ScheduledBackupJob | undefined {
  const outcomes = new Map<string, ObjectOutcome>();
  let forcedState: string | undefined;
  for (const key of objects) {
    let worst: BackupFaultKind | undefined;
    for (const f of faults) {
      if (!applies(f, start, key)) continue;
      if (f.state) forcedState = f.state;
      if (f.kind && (!worst || RANK[f.kind] > RANK[worst])) worst = f.kind;
    }
    if (worst === 'stop') continue;
    outcomes.set(key, worst === 'fail' ? 'failed' : worst === 'exception' ? 'exception' : 'backedUp');
  }
  if (outcomes.size === 0) return undefined;
  const values = [...outcomes.values()];
  const failed = values.filter((o) => o === 'failed').length;
  const exceptions = values.filter((o) => o === 'exception').length;
  const jobErrors: BackupJobError[] = [];
  if (failed) jobErrors.push({ ...BACKUP_ERRORS.objectFailed, number: failed });
  if (exceptions) jobErrors.push({ ...BACKUP_ERRORS.itemsSkipped, number: exceptions });
  const state = failed === outcomes.size ? 'Failed' : failed || exceptions ? 'Finished with Exception' : 'Finished';
  const dayNo = Math.floor(start.getTime() / DAY_MS);
  return {
    // The docs' id shape: IB (incremental backup) + yyyyMMddHHmmss + 6 digits.
    id: `IB${stamp(start)}${String(dayNo % 1_000_000).padStart(6, '0')}`,
    objectTypes: [2, 3, 4, 7],
    startTime: start,
    finishTime: new Date(start.getTime() + durationMs),
    finalState: forcedState ?? state,
    totalNumber: outcomes.size,
    failedNumber: failed,
    successfulNumber: outcomes.size - failed,
    skippedNumber: 0,
    jobErrors,
    outcomes,
  };
}

/** Whether the job holds restorable data of the object (it finished by `at` and backed the object up). */
export function backedUpObject(job: ScheduledBackupJob, key: string, at: Date): boolean {
  if (job.finishTime.getTime() > at.getTime()) return false;
  const o = job.outcomes.get(objectKey(key));
  return o === 'backedUp' || o === 'exception';
}
