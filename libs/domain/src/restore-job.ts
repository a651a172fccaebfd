import { oneOf, stateMachine } from './state-machine';
import type { VendorId, Workload } from './vendor';

/**
 * Restore job lifecycle:
 *   queued -> submitting -> running -> succeeded | partiallySucceeded | failed | cancelled
 *   queued | submitting | running -> cancelling -> cancelled (or the terminal state the vendor reached)
 *   queued | submitting | running -> failed
 */
export const RESTORE_JOB_STATUSES = [
  'queued',
  'submitting',
  'running',
  'cancelling',
  'succeeded',
  'partiallySucceeded',
  'failed',
  'cancelled',
] as const;
export type RestoreJobStatus = (typeof RESTORE_JOB_STATUSES)[number];

export const TERMINAL_RESTORE_STATUSES = [
  'succeeded',
  'partiallySucceeded',
  'failed',
  'cancelled',
] as const satisfies readonly RestoreJobStatus[];
export type TerminalRestoreStatus = (typeof TERMINAL_RESTORE_STATUSES)[number];

/** At the vendor (or on its way there): these hold one of the connection's vendor slots and are polled. */
export const ACTIVE_RESTORE_STATUSES = ['submitting', 'running', 'cancelling'] as const satisfies readonly RestoreJobStatus[];
/** Not finished yet: waiting for a slot or active. The reconciler watches these. */
export const UNFINISHED_RESTORE_STATUSES = ['queued', ...ACTIVE_RESTORE_STATUSES] as const satisfies readonly RestoreJobStatus[];

const TRANSITIONS: Record<RestoreJobStatus, readonly RestoreJobStatus[]> = {
  queued: ['submitting', 'cancelled', 'failed'],
  submitting: ['running', 'failed', 'cancelling', 'cancelled', 'succeeded', 'partiallySucceeded'],
  // running -> submitting: the vendor refused some items for now (retryable per-item errors); they are submitted again.
  running: ['succeeded', 'partiallySucceeded', 'failed', 'cancelling', 'cancelled', 'submitting'],
  cancelling: ['cancelled', 'succeeded', 'partiallySucceeded', 'failed'],
  succeeded: [],
  partiallySucceeded: [],
  failed: [],
  cancelled: [],
};

const machine = stateMachine('restore job', TRANSITIONS);

export function isTerminal(status: RestoreJobStatus): status is TerminalRestoreStatus {
  return oneOf(TERMINAL_RESTORE_STATUSES, status);
}

export function isActive(status: RestoreJobStatus): boolean {
  return oneOf(ACTIVE_RESTORE_STATUSES, status);
}

export const canTransition = machine.can;

/** Throws NOT_ALLOWED_IN_STATE unless `from -> to` is a legal transition. */
export const assertTransition = machine.assert;

/**
 * How far the submission of a job got at the vendor, recorded before and after each vendor call so a
 * worker that takes over after a crash knows what may already have happened:
 *   none -> preparing (admitted) -> prepared (vendor draft exists, e.g. a Graph restore session)
 *        -> starting (start requested: from here the vendor decides; ask it before acting again)
 *        -> started (the vendor accepted; polling follows).
 */
export const SUBMIT_PHASES = ['none', 'preparing', 'prepared', 'starting', 'started'] as const;
export type SubmitPhase = (typeof SUBMIT_PHASES)[number];

/** A cancel can still win without the vendor until the start was requested. */
export function cancelNeedsVendor(job: { vendorRef: string | null; submitPhase: SubmitPhase }): boolean {
  return Boolean(job.vendorRef) || job.submitPhase === 'starting';
}

export type RestoreDestination = 'original' | 'new';
export type RestoreItemStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One thing to restore: a restore point (resolved to the vendor's refs), optionally narrowed to paths inside it. */
export interface RestoreJobItem {
  restorePointId: string;
  protectedItemId: string;
  externalId: string;
  /** The vendor's ids of the restore point and the protected item (our ids resolved at accept time). */
  restorePointRef: string;
  protectedItemRef: string;
  pointInTime: string;
  /** Files/folders inside the item, for vendors with file-level restore. Absent = whole item. */
  paths?: string[];
  status: RestoreItemStatus;
  vendorStatus?: string;
  errorCode?: string;
  vendorCode?: string;
  errorMessage?: string;
  /** How many times the item was restored again after the vendor refused it for now (itemsToRetry). */
  retries?: number;
}

export interface RestoreJobError {
  code: string;
  message: string | null;
  /** Vendor details kept for support (vendor, vendorCode, retryable, vendorRequestId, httpStatus). */
  detail: Record<string, unknown> | null;
}

export interface RestoreJob {
  id: string;
  tenantId: string;
  connectionId: string;
  vendor: VendorId;
  workload: Workload;
  destination: RestoreDestination;
  /** Where to restore for destination "new" (vendor-neutral keys). */
  target: Record<string, string> | null;
  status: RestoreJobStatus;
  statusReason: string | null;
  items: RestoreJobItem[];
  vendorRef: string | null;
  vendorExtra: Record<string, string> | null;
  vendorStatus: string | null;
  submitPhase: SubmitPhase;
  error: RestoreJobError | null;
  cancelRequested: boolean;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  deadlineAt: Date;
  nextPollAt: Date | null;
  pollAttempt: number;
}

/** One entry of a job's history (restore_job_events). */
export interface RestoreJobEvent {
  id: string;
  restoreJobId: string;
  type: string;
  fromStatus: RestoreJobStatus | null;
  toStatus: RestoreJobStatus | null;
  detail: Record<string, unknown>;
  createdAt: Date;
}

/** Aggregate per-item outcomes into the job's terminal status. */
export function aggregateItemStatuses(items: Array<{ status: RestoreItemStatus }>): TerminalRestoreStatus {
  const ok = items.filter((i) => i.status === 'succeeded').length;
  const failed = items.filter((i) => i.status === 'failed').length;
  const cancelled = items.filter((i) => i.status === 'cancelled').length;
  if (items.length > 0 && ok === items.length) return 'succeeded';
  if (ok > 0) return 'partiallySucceeded';
  if (cancelled > 0 && failed === 0) return 'cancelled';
  return 'failed';
}

/** A vendor's view of a restore, vendor-neutral (the adapters' RestoreProgress has this shape). */
export type VendorRestoreState = 'pending' | 'running' | 'succeeded' | 'partiallySucceeded' | 'failed' | 'cancelled';

export interface VendorItemOutcome {
  restorePointRef: string;
  status: RestoreItemStatus;
  vendorStatus?: string;
  errorCode?: string;
  vendorCode?: string;
  errorMessage?: string;
  /** The vendor refused the item for now (its catalogued error is retryable: "please wait and try again"). */
  retryable?: boolean;
}

export interface VendorRestoreProgress {
  state: VendorRestoreState;
  vendorStatus: string;
  items?: VendorItemOutcome[];
  error?: { code: string; vendorCode?: string; message: string };
}

/** The item status implied by a whole-job state when the vendor reports no per-item detail. */
export function itemStatusFor(state: VendorRestoreState): RestoreItemStatus {
  switch (state) {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
    case 'pending':
      return 'pending';
    default:
      return 'running';
  }
}

/**
 * Merges the vendor's per-item results into our items (matched by restore point ref, else by position).
 * A ref several items share (a Veeam restore point covers every item of a job run) matches by position.
 */
export function mergeItems(items: RestoreJobItem[], progress: VendorRestoreProgress): RestoreJobItem[] {
  const jobStatus = itemStatusFor(progress.state);
  const reported = progress.items ?? [];
  const unique = reported.filter((p) => reported.filter((q) => q.restorePointRef === p.restorePointRef).length === 1);
  const byRef = new Map(unique.map((p) => [p.restorePointRef, p]));
  return items.map((item, index) => {
    const p = byRef.get(item.restorePointRef) ?? (reported.length === items.length ? reported[index] : undefined);
    if (!p) return { ...item, status: item.status === 'pending' || item.status === 'running' ? jobStatus : item.status };
    return {
      ...item,
      status: p.status,
      vendorStatus: p.vendorStatus,
      errorCode: p.errorCode,
      vendorCode: p.vendorCode,
      errorMessage: p.errorMessage,
    };
  });
}

/** What a vendor's progress report does to a job: its next status, items and error. */
export interface ProgressOutcome {
  status: RestoreJobStatus;
  items: RestoreJobItem[];
  error?: { code: string; message: string; vendorCode?: string };
  /** Whether anything stored changes (status, vendor status or items). */
  changed: boolean;
}

/**
 * The progress -> status rule: a vendor still working moves a submitting job to running (a job being
 * cancelled stays cancelling); a vendor's end is the job's end, judged per item when the vendor reports
 * items. A failure without the vendor's reason gets RESTORE_FAILED.
 */
export function applyProgress(
  job: Pick<RestoreJob, 'status' | 'items' | 'vendorStatus'>,
  progress: VendorRestoreProgress,
): ProgressOutcome {
  if (isTerminal(job.status)) return { status: job.status, items: job.items, changed: false };
  const items = mergeItems(job.items, progress);
  let status: RestoreJobStatus;
  if (progress.state === 'running' || progress.state === 'pending') status = job.status === 'submitting' ? 'running' : job.status;
  else if (progress.state === 'cancelled') status = 'cancelled';
  else if (progress.state === 'failed') status = 'failed';
  else status = progress.items?.length ? aggregateItemStatuses(items) : progress.state;
  const changed =
    status !== job.status || progress.vendorStatus !== job.vendorStatus || JSON.stringify(items) !== JSON.stringify(job.items);
  const error =
    status === 'failed' ? (progress.error ?? { code: 'RESTORE_FAILED', message: 'The vendor reported the restore failed.' }) : undefined;
  return { status, items, error, changed };
}

/** How many times one item the vendor refused for now is restored again before it is left failed. */
export const MAX_ITEM_RETRIES = 3;

/**
 * When the vendor ends a restore with items it refused for now (a retryable per-item error, e.g. Graph's
 * DuplicateArtifactRestoreRequest "please wait till its completion and try again"), those items are restored again
 * rather than left failed, up to MAX_ITEM_RETRIES times each: answers the job's items with them back to pending
 * (the refusal kept in vendorCode / errorMessage, retries counted) and the refused ones, or undefined when none.
 */
export function itemsToRetry(
  items: RestoreJobItem[],
  progress: VendorRestoreProgress,
): { items: RestoreJobItem[]; retried: RestoreJobItem[] } | undefined {
  const refused = new Set((progress.items ?? []).filter((p) => p.retryable && p.status === 'failed').map((p) => p.restorePointRef));
  const retried: RestoreJobItem[] = [];
  const next = items.map((i) => {
    if (!refused.has(i.restorePointRef) || i.status !== 'failed' || (i.retries ?? 0) >= MAX_ITEM_RETRIES) return i;
    const again: RestoreJobItem = { ...i, status: 'pending', errorCode: undefined, retries: (i.retries ?? 0) + 1 };
    retried.push(again);
    return again;
  });
  return retried.length ? { items: next, retried } : undefined;
}

/** Every item not already succeeded ends with the job's outcome (failed with its code, or cancelled). */
export function settleItems(items: RestoreJobItem[], outcome: 'failed' | 'cancelled', errorCode?: string): RestoreJobItem[] {
  if (outcome === 'cancelled') return items.map((i) => ({ ...i, status: 'cancelled' }));
  return items.map((i) => (i.status === 'succeeded' ? i : { ...i, status: 'failed', errorCode }));
}

/** Queue job ids of a restore job's work: deterministic, so a re-sent outbox row or a retry never doubles it. */
export const restoreJobIds = {
  submit: (restoreJobId: string) => `restore-job.submit_${restoreJobId}`,
  cancel: (restoreJobId: string) => `restore-job.cancel_${restoreJobId}`,
  /** One poll tick per connection per tick slot (a second). */
  pollTick: (connectionId: string, slot: number) => `restore-job.poll_${connectionId}_${slot}`,
} as const;
