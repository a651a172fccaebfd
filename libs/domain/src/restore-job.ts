import { NotAllowedInState } from './errors';
import type { VendorId, Workload } from './vendor';

/**
 * Restore job lifecycle:
 *   queued -> submitting -> running -> succeeded | partiallySucceeded | failed | cancelled
 *   queued | submitting | running -> cancelling -> cancelled (or the terminal state the vendor reached)
 *   queued | submitting | running -> failed
 */
export const RESTORE_JOB_STATUSES = [
  'queued', 'submitting', 'running', 'cancelling', 'succeeded', 'partiallySucceeded', 'failed', 'cancelled',
] as const;
export type RestoreJobStatus = (typeof RESTORE_JOB_STATUSES)[number];

export const TERMINAL_RESTORE_STATUSES: readonly RestoreJobStatus[] = ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'];

const TRANSITIONS: Record<RestoreJobStatus, readonly RestoreJobStatus[]> = {
  queued: ['submitting', 'cancelled', 'failed'],
  submitting: ['running', 'failed', 'cancelling', 'cancelled', 'succeeded', 'partiallySucceeded'],
  running: ['succeeded', 'partiallySucceeded', 'failed', 'cancelling', 'cancelled'],
  cancelling: ['cancelled', 'succeeded', 'partiallySucceeded', 'failed'],
  succeeded: [],
  partiallySucceeded: [],
  failed: [],
  cancelled: [],
};

export function isTerminal(status: RestoreJobStatus): boolean {
  return TERMINAL_RESTORE_STATUSES.includes(status);
}

export function canTransition(from: RestoreJobStatus, to: RestoreJobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws NOT_ALLOWED_IN_STATE unless `from -> to` is a legal transition. */
export function assertTransition(from: RestoreJobStatus, to: RestoreJobStatus): void {
  if (!canTransition(from, to)) throw new NotAllowedInState('restore job', from, `move to ${to}`);
}

export type RestoreDestination = 'original' | 'new';
export type RestoreItemStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One thing to restore: a restore point, optionally narrowed to paths inside it. */
export interface RestoreJobItem {
  restorePointId: string;
  protectedItemId: string;
  /** Files/folders inside the item, for vendors with file-level restore. Empty = whole item. */
  paths?: string[];
  status: RestoreItemStatus;
  errorCode?: string;
  errorMessage?: string;
  vendorRef?: string;
  vendorStatus?: string;
}

export interface RestoreJob {
  id: string;
  tenantId: string;
  connectionId: string;
  vendor: VendorId;
  workload: Workload;
  destination: RestoreDestination;
  status: RestoreJobStatus;
  statusReason?: string;
  items: RestoreJobItem[];
  vendorRef?: string;
  vendorStatus?: string;
  errorCode?: string;
  errorMessage?: string;
  createdAt: Date;
  updatedAt: Date;
  completedAt?: Date;
}

/** Aggregate per-item outcomes into the job's terminal status. */
export function aggregateItemStatuses(items: Array<{ status: RestoreItemStatus }>): RestoreJobStatus {
  const ok = items.filter((i) => i.status === 'succeeded').length;
  const failed = items.filter((i) => i.status === 'failed').length;
  const cancelled = items.filter((i) => i.status === 'cancelled').length;
  if (items.length > 0 && ok === items.length) return 'succeeded';
  if (ok > 0) return 'partiallySucceeded';
  if (cancelled > 0 && failed === 0) return 'cancelled';
  return 'failed';
}
