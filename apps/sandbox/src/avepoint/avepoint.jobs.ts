import { AVEPOINT_MESSAGES as M } from './avepoint.errors';
import { backedUpObject, type ScheduledBackupJob } from './avepoint.backups';
import { fixtureObjectCount, fixturePathExists, OBJECT_TYPE_OF_SERVICE } from './avepoint.fixtures';
import type { ValidRestoreRequest } from './avepoint.validation';

/**
 * Job records of one simulated tenant and how they render on GET /backup/m365/cloudbackupjobs[/{id}].
 * A restore job is "In Progress" until `restoreDurationMs` of sandbox time has passed, then shows its
 * outcome (decided at submission from the fixtures): Finished, Partially Finished or Failed.
 */

/** Job status texts (list-jobs.md §jobState: 1 In Progress, 2 Finished, 3 Failed, 4 Finished with Exception, 5 Partially Finished). */
export const JOB_STATE_BY_FILTER: Record<number, string> = {
  1: 'In Progress',
  2: 'Finished',
  3: 'Failed',
  4: 'Finished with Exception',
  5: 'Partially Finished',
};
export const FINAL_STATES = ['Finished', 'Failed', 'Finished with Exception', 'Partially Finished'];

export interface JobErrorRecord {
  isErrorCode: boolean;
  value: string;
  url: string;
  number: number;
}

export interface RestoreJobRecord {
  id: string;
  /** list-jobs.md jobType: 2 Restore. */
  jobType: 2;
  objectType: number;
  serviceType: number;
  /** Geo the job ran in ('central' for a tenant without Multi-Geo). */
  location: string;
  scopeKey: string;
  recoveryDateTime: string;
  startTime: string;
  durationMs: number;
  stuck: boolean;
  paths: ValidRestoreRequest['paths'];
  outcome: { state: string; total: number; failed: number; successful: number; skipped: number; jobErrors: JobErrorRecord[] };
}

export interface AvePointTenantState {
  tenantKey: string;
  jobSeq: number;
  restoreJobs: RestoreJobRecord[];
  /** Request times (ms, sandbox clock) in the current throttling window. */
  recentRequests: number[];
  /** jti of the client assertions this app signed in with (the identity service refuses a replay). */
  seenJti: Set<string>;
}

export function newTenantState(tenantKey: string): AvePointTenantState {
  return { tenantKey, jobSeq: 0, restoreJobs: [], recentRequests: [], seenJti: new Set() };
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Seconds precision, as the docs' samples ("2024-12-02T07:52:25Z"). */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function isRunning(job: RestoreJobRecord, now: Date): boolean {
  return job.stuck || now.getTime() < Date.parse(job.startTime) + job.durationMs;
}

export interface NewJobOptions {
  now: Date;
  location: string;
  durationMs: number;
  stuck: boolean;
  /** The tenant's backup jobs (avepoint.backups.ts), oldest first. */
  backups: ScheduledBackupJob[];
  forceFinalState?: string;
}

/** Creates a restore job; its outcome is decided now from the backups before recoveryDateTime. */
export function createRestoreJob(state: AvePointTenantState, req: ValidRestoreRequest, opts: NewJobOptions): RestoreJobRecord {
  state.jobSeq += 1;
  const id = `RS${stamp(opts.now)}${String(state.jobSeq % 10_000).padStart(4, '0')}`;
  const objectType = OBJECT_TYPE_OF_SERVICE[req.serviceType];
  // seed 001 §recoveryDateTime: the latest available backup before this timestamp is used (one that backed
  // this site / OneDrive up: a job in which the object failed or was not included holds none of its data).
  const until = new Date(Math.min(req.recoveryDateTime.getTime(), opts.now.getTime()));
  const backup = opts.backups.filter((b) => b.objectTypes.includes(objectType) && backedUpObject(b, req.scopeKey, until)).pop();
  // retrieve-job-details.md §Job details: the counters count objects (a folder and what it holds), not paths.
  const objects = (p: ValidRestoreRequest['paths'][number]) => fixtureObjectCount(p.libraryName, p.relativePath, p.kind);
  const total = req.paths.reduce((n, p) => n + objects(p), 0);
  let outcome: RestoreJobRecord['outcome'];
  if (!backup) {
    outcome = { state: 'Failed', total, failed: total, successful: 0, skipped: 0, jobErrors: [jobError(M.noBackupData, 1)] };
  } else {
    const missing = req.paths.filter((p) => !fixturePathExists(p.libraryName, p.relativePath, p.kind));
    const failed = missing.reduce((n, p) => n + objects(p), 0);
    outcome = {
      state: missing.length === 0 ? 'Finished' : missing.length === req.paths.length ? 'Failed' : 'Partially Finished',
      total,
      failed,
      successful: total - failed,
      skipped: 0,
      jobErrors: missing.map((p) => jobError(M.pathNotFound(`${p.libraryName}/${p.relativePath}`), 1)),
    };
  }
  if (opts.forceFinalState && FINAL_STATES.includes(opts.forceFinalState)) outcome.state = opts.forceFinalState;
  const job: RestoreJobRecord = {
    id,
    jobType: 2,
    objectType,
    serviceType: req.serviceType,
    location: opts.location,
    scopeKey: req.scopeKey,
    recoveryDateTime: req.recoveryDateTime.toISOString(),
    startTime: opts.now.toISOString(),
    durationMs: opts.durationMs,
    stuck: opts.stuck,
    paths: req.paths,
    outcome,
  };
  state.restoreJobs.push(job);
  return job;
}

function jobError(value: string, number: number): JobErrorRecord {
  return { isErrorCode: false, value, url: '', number };
}

/** A job as listed/returned: uniform view over fixture backup jobs and restore jobs. */
export interface JobView {
  id: string;
  jobType: number;
  objectTypes: number[];
  location?: string;
  state: string;
  startTime: Date;
  finishTime?: Date;
  total: number;
  failed: number;
  successful: number;
  skipped: number;
  jobErrors: JobErrorRecord[];
}

export function restoreJobView(job: RestoreJobRecord, now: Date): JobView {
  const start = new Date(job.startTime);
  if (isRunning(job, now)) {
    return {
      id: job.id,
      jobType: 2,
      objectTypes: [job.objectType],
      location: job.location,
      state: 'In Progress',
      startTime: start,
      total: job.outcome.total,
      failed: 0,
      successful: 0,
      skipped: 0,
      jobErrors: [],
    };
  }
  return {
    id: job.id,
    jobType: 2,
    objectTypes: [job.objectType],
    location: job.location,
    state: job.outcome.state,
    startTime: start,
    finishTime: new Date(start.getTime() + job.durationMs),
    total: job.outcome.total,
    failed: job.outcome.failed,
    successful: job.outcome.successful,
    skipped: job.outcome.skipped,
    jobErrors: job.outcome.jobErrors,
  };
}

/** A scheduled backup job as listed: "In Progress" (no finish time, counters not yet known) until it finishes. */
export function backupJobView(b: ScheduledBackupJob, now: Date): JobView {
  if (now.getTime() < b.finishTime.getTime()) {
    return {
      id: b.id,
      jobType: 1,
      objectTypes: b.objectTypes,
      state: 'In Progress',
      startTime: b.startTime,
      total: b.totalNumber,
      failed: 0,
      successful: 0,
      skipped: 0,
      jobErrors: [],
    };
  }
  return {
    id: b.id,
    jobType: 1,
    objectTypes: b.objectTypes,
    state: b.finalState,
    startTime: b.startTime,
    finishTime: b.finishTime,
    total: b.totalNumber,
    failed: b.failedNumber,
    successful: b.successfulNumber,
    skipped: b.skippedNumber,
    jobErrors: b.jobErrors,
  };
}

/**
 * The job body. The docs name the counters `totalNumber`... in the job-details sample and
 * `totalCount`... in the list sample; the simulator answers each call the way its sample does.
 */
export function renderJob(v: JobView, now: Date, counters: 'Number' | 'Count'): Record<string, unknown> {
  const end = v.finishTime ?? now;
  const out: Record<string, unknown> = { id: v.id, state: v.state, startTime: isoSeconds(v.startTime) };
  if (v.finishTime) out.finishTime = isoSeconds(v.finishTime);
  out.duration = ((end.getTime() - v.startTime.getTime()) / 3_600_000).toFixed(3);
  out.backupDetails = {
    [`total${counters}`]: v.total,
    [`failed${counters}`]: v.failed,
    [`successful${counters}`]: v.successful,
    [`skipped${counters}`]: v.skipped,
  };
  out.jobErrors = v.jobErrors;
  return out;
}
