import { oneOf } from './state-machine';

/**
 * A backup run: one execution of a vendor's backup (a Veeam job session, an Azure backup job, an AvePoint
 * backup job), read back from the vendor or started on demand. `warning`: it finished but did not process
 * everything cleanly (Veeam "Warning", AvePoint "Finished with exception", Azure "CompletedWithWarnings").
 */
export const BACKUP_RUN_STATUSES = ['queued', 'running', 'succeeded', 'warning', 'failed'] as const;
export type BackupRunStatus = (typeof BACKUP_RUN_STATUSES)[number];

export const TERMINAL_BACKUP_RUN_STATUSES = ['succeeded', 'warning', 'failed'] as const satisfies readonly BackupRunStatus[];

/** A finished run that backed something up (its end time counts as a successful backup). */
export const SUCCESSFUL_BACKUP_RUN_STATUSES = ['succeeded', 'warning'] as const satisfies readonly BackupRunStatus[];

/** Who started the run: the vendor's schedule, or a user through `POST .../backup`. */
export type BackupRunTrigger = 'scheduled' | 'onDemand';

export function isBackupRunStatus(value: unknown): value is BackupRunStatus {
  return typeof value === 'string' && oneOf(BACKUP_RUN_STATUSES, value);
}

export function isBackupRunTerminal(status: BackupRunStatus): boolean {
  return oneOf(TERMINAL_BACKUP_RUN_STATUSES, status);
}

export function isBackupRunSuccessful(status: BackupRunStatus): boolean {
  return oneOf(SUCCESSFUL_BACKUP_RUN_STATUSES, status);
}

/** Why a run or one of its items failed: the normalized code, the vendor's code and message. */
export interface BackupRunError {
  code: string;
  vendorCode: string | null;
  message: string | null;
}

/** A run as stored (backup_runs). `protectedItemId` is set when the run covers one item (per-item vendors). */
export interface BackupRun {
  id: string;
  tenantId: string;
  connectionId: string;
  policyId: string;
  protectedItemId: string | null;
  trigger: BackupRunTrigger;
  status: BackupRunStatus;
  /** The vendor's id of the run; null while an on-demand run has not reached the vendor yet. */
  vendorRef: string | null;
  vendorStatus: string | null;
  startedAt: Date | null;
  endedAt: Date | null;
  itemsProcessed: number | null;
  bytesProcessed: number | null;
  error: BackupRunError | null;
  createdAt: Date;
  updatedAt: Date;
}
