import { assertTransition, NotFound, type RestoreJobStatus } from '@bg/domain';
import type { RestoreJobItemRecord } from '../entities/entities';
import { isUuid, type TenantTx } from '../tenancy/tenant-db';

export interface RestoreJobRow {
  id: string; tenant_id: string; connection_id: string; vendor: string; workload: string; destination: string;
  target: Record<string, string> | null; status: RestoreJobStatus; status_reason: string | null; items: RestoreJobItemRecord[];
  vendor_ref: string | null; vendor_extra: Record<string, string> | null; vendor_status: string | null; submit_phase: string;
  error_code: string | null; error_message: string | null; error_detail: Record<string, unknown> | null;
  cancel_requested: boolean; created_at: Date; updated_at: Date; completed_at: Date | null; deadline_at: Date;
  next_poll_at: Date | null; poll_attempt: number;
}

/** Columns a transition may change besides status. */
export interface RestoreJobPatch {
  status_reason?: string | null;
  items?: RestoreJobItemRecord[];
  vendor_ref?: string | null;
  vendor_extra?: Record<string, string> | null;
  vendor_status?: string | null;
  submit_phase?: string;
  error_code?: string | null;
  error_message?: string | null;
  error_detail?: Record<string, unknown> | null;
  cancel_requested?: boolean;
}

const JSON_COLUMNS = new Set(['items', 'vendor_extra', 'error_detail']);

export async function loadRestoreJob(tx: TenantTx, id: string, forUpdate = false): Promise<RestoreJobRow> {
  if (!isUuid(id)) throw new NotFound('restore job', id);
  const [row] = await tx.query(`SELECT * FROM restore_jobs WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  if (!row) throw new NotFound('restore job', id);
  return row;
}

export async function recordRestoreJobEvent(
  tx: TenantTx, jobId: string, type: string, from: string | null, to: string | null, detail: Record<string, unknown> = {},
): Promise<void> {
  await tx.query(
    `INSERT INTO restore_job_events (tenant_id, restore_job_id, type, from_status, to_status, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
    [tx.tenantId, jobId, type, from, to, JSON.stringify(detail)],
  );
}

/**
 * Updates a job's columns and, when `to` differs from its status, checks the state machine, moves it
 * and records a `status_changed` event — all in the caller's transaction.
 */
export async function updateRestoreJob(
  tx: TenantTx, job: RestoreJobRow, to: RestoreJobStatus, patch: RestoreJobPatch = {}, detail: Record<string, unknown> = {},
): Promise<RestoreJobRow> {
  const moving = to !== job.status;
  if (moving) assertTransition(job.status, to);
  const sets: string[] = ['status = $2', 'updated_at = now()'];
  const values: unknown[] = [job.id, to];
  for (const [col, value] of Object.entries(patch)) {
    values.push(JSON_COLUMNS.has(col) && value !== null ? JSON.stringify(value) : value);
    sets.push(`${col} = $${values.length}`);
  }
  if (moving && ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'].includes(to)) sets.push('completed_at = now()');
  const [rows] = await tx.query(`UPDATE restore_jobs SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, values);
  if (moving) await recordRestoreJobEvent(tx, job.id, 'status_changed', job.status, to, detail);
  return rows[0];
}
