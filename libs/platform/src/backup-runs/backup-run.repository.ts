import { TERMINAL_BACKUP_RUN_STATUSES, newId, type BackupRun, type BackupRunStatus, type BackupRunTrigger } from '@bg/domain';
import { toDate, toDateOrNull } from '../database/dates';
import { rowsOf } from '../database/rows';
import type { TenantTx } from '../tenancy/tenant-db';

/** A backup_runs row as Postgres returns it (bigints as strings; timestamps ISO strings in event snapshots). */
export interface BackupRunRow {
  id: string;
  tenant_id: string;
  connection_id: string;
  policy_id: string;
  protected_item_id: string | null;
  trigger: BackupRunTrigger;
  status: BackupRunStatus;
  vendor_ref: string | null;
  vendor_status: string | null;
  operation?: { vendorRef: string; extra?: Record<string, string> } | null;
  started_at: Date | string | null;
  ended_at: Date | string | null;
  items_processed: number | null;
  bytes_processed: string | number | null;
  error_code: string | null;
  error_vendor_code: string | null;
  error_message: string | null;
  request_id: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

export function backupRunFromRow(r: BackupRunRow): BackupRun {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    connectionId: r.connection_id,
    policyId: r.policy_id,
    protectedItemId: r.protected_item_id,
    trigger: r.trigger,
    status: r.status,
    vendorRef: r.vendor_ref,
    vendorStatus: r.vendor_status,
    startedAt: toDateOrNull(r.started_at),
    endedAt: toDateOrNull(r.ended_at),
    itemsProcessed: r.items_processed,
    bytesProcessed: r.bytes_processed === null || r.bytes_processed === undefined ? null : Number(r.bytes_processed),
    error: r.error_code ? { code: r.error_code, vendorCode: r.error_vendor_code, message: r.error_message } : null,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

/** One item's outcome in a run, as stored (backup_run_items). */
export interface BackupRunItemOutcome {
  protectedItemId: string;
  status: BackupRunStatus;
  error: { code: string; message: string | null } | null;
}

/** A run the vendor reports, resolved to our ids: the items it covered with their outcome. */
export interface ObservedBackupRun {
  vendorRef: string;
  protectedItemId: string | null;
  onDemand: boolean;
  status: BackupRunStatus;
  vendorStatus: string;
  startedAt: Date | null;
  endedAt: Date | null;
  itemsProcessed: number | null;
  bytesProcessed: number | null;
  error: { code: string; vendorCode: string | null; message: string | null } | null;
  items: BackupRunItemOutcome[];
}

/** Filters of a run listing (newest first: ids are time-ordered UUIDv7, so `before` pages backwards). */
export interface BackupRunFilter {
  before?: string;
  limit: number;
  policyId?: string;
  protectedItemId?: string;
  status?: BackupRunStatus;
  /** Runs created (first seen or asked) in [from, to). */
  from?: Date;
  to?: Date;
}

const TERMINAL = `(${TERMINAL_BACKUP_RUN_STATUSES.map((s) => `'${s}'`).join(', ')})`;
const MAX_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * The one writer of backup_runs and backup_run_items. Tenant transactions only (RLS). A run's status change emits
 * backup_run.<status> (trigger of the protection-health migration). Runs the vendor reports are upserted by
 * (connection, vendor ref), so reading the same run twice, or reading back an on-demand run, stores it once.
 */
export class BackupRunRepository {
  async get(
    tx: TenantTx,
    id: string,
    opts: { forUpdate?: boolean } = {},
  ): Promise<(BackupRun & { operation: BackupRunRow['operation'] }) | undefined> {
    const [row]: BackupRunRow[] = await tx.query(`SELECT * FROM backup_runs WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return row ? { ...backupRunFromRow(row), operation: row.operation ?? null } : undefined;
  }

  /**
   * The tenant's runs matching `filter`, newest first, at most `filter.limit`. Time filters apply to when the run
   * started at the vendor (when it was asked for, before it started).
   */
  async list(tx: TenantTx, f: BackupRunFilter): Promise<BackupRun[]> {
    const common = `r.tenant_id = $1 AND ($2::uuid IS NULL OR r.policy_id = $2) AND ($3::text IS NULL OR r.status = $3)
      AND ($4::timestamptz IS NULL OR COALESCE(r.started_at, r.created_at) >= $4)
      AND ($5::timestamptz IS NULL OR COALESCE(r.started_at, r.created_at) < $5)`;
    const params = [tx.tenantId, f.policyId ?? null, f.status ?? null, f.from ?? null, f.to ?? null, f.before ?? MAX_UUID, f.limit];
    const rows: BackupRunRow[] = f.protectedItemId
      ? // Through backup_run_items_item_idx: the runs that covered the item.
        await tx.query(
          `SELECT r.* FROM backup_run_items ri JOIN backup_runs r ON r.id = ri.backup_run_id
            WHERE ri.protected_item_id = $8 AND ri.backup_run_id < $6 AND ${common} ORDER BY ri.backup_run_id DESC LIMIT $7`,
          [...params, f.protectedItemId],
        )
      : await tx.query(`SELECT r.* FROM backup_runs r WHERE r.id < $6 AND ${common} ORDER BY r.id DESC LIMIT $7`, params);
    return rows.map(backupRunFromRow);
  }

  /** The per-item outcomes of a run, by item id. */
  async items(tx: TenantTx, runId: string): Promise<BackupRunItemOutcome[]> {
    const rows: Array<{ protected_item_id: string; status: BackupRunStatus; error_code: string | null; error_message: string | null }> =
      await tx.query('SELECT * FROM backup_run_items WHERE backup_run_id = $1 ORDER BY protected_item_id', [runId]);
    return rows.map((r) => ({
      protectedItemId: r.protected_item_id,
      status: r.status,
      error: r.error_code ? { code: r.error_code, message: r.error_message } : null,
    }));
  }

  /** A queued or running run of the policy covering the item (a whole-policy run covers every item), if any. */
  async findGoing(tx: TenantTx, policyId: string, protectedItemId: string | null): Promise<BackupRun | undefined> {
    const [row]: BackupRunRow[] = await tx.query(
      `SELECT * FROM backup_runs WHERE policy_id = $1 AND status IN ('queued', 'running')
         AND ($2::uuid IS NULL OR protected_item_id IS NULL OR protected_item_id = $2) ORDER BY id DESC LIMIT 1`,
      [policyId, protectedItemId],
    );
    return row ? backupRunFromRow(row) : undefined;
  }

  /**
   * Stores an on-demand run, queued (emits backup_run.queued). Another one going for the same policy and item
   * (backup_runs_on_demand_uq) wins: undefined is returned and nothing is written.
   */
  async insertOnDemand(
    tx: TenantTx,
    run: { connectionId: string; policyId: string; protectedItemId: string | null; requestId: string | null; itemIds: string[] },
  ): Promise<BackupRun | undefined> {
    const id = newId();
    const [row]: BackupRunRow[] = await tx.query(
      `INSERT INTO backup_runs (id, tenant_id, connection_id, policy_id, protected_item_id, trigger, status, request_id)
       VALUES ($1, $2, $3, $4, $5, 'onDemand', 'queued', $6)
       ON CONFLICT (policy_id, COALESCE(protected_item_id, '${NIL_UUID}')) WHERE trigger = 'onDemand' AND status IN ('queued', 'running')
       DO NOTHING RETURNING *`,
      [id, tx.tenantId, run.connectionId, run.policyId, run.protectedItemId, run.requestId],
    );
    if (!row) return undefined;
    await this.writeItems(
      tx,
      id,
      run.itemIds.map((protectedItemId) => ({ protectedItemId, status: 'queued', error: null })),
    );
    return backupRunFromRow(row);
  }

  /**
   * Stores what the vendor reports of runs (insert or update by vendor ref; a run already ended is not moved back)
   * and their item outcomes. Returns the ids of the runs stored.
   */
  async upsertObserved(tx: TenantTx, connectionId: string, policyId: string, runs: ObservedBackupRun[]): Promise<string[]> {
    const ids: string[] = [];
    for (const r of runs) {
      const [row]: Array<{ id: string }> = await tx.query(
        `INSERT INTO backup_runs (id, tenant_id, connection_id, policy_id, protected_item_id, trigger, status, vendor_ref, vendor_status,
           started_at, ended_at, items_processed, bytes_processed, error_code, error_vendor_code, error_message)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (connection_id, vendor_ref) WHERE vendor_ref IS NOT NULL DO UPDATE SET
           status = EXCLUDED.status, vendor_status = EXCLUDED.vendor_status, started_at = COALESCE(EXCLUDED.started_at, backup_runs.started_at),
           ended_at = COALESCE(EXCLUDED.ended_at, backup_runs.ended_at), items_processed = COALESCE(EXCLUDED.items_processed, backup_runs.items_processed),
           bytes_processed = COALESCE(EXCLUDED.bytes_processed, backup_runs.bytes_processed), error_code = EXCLUDED.error_code,
           error_vendor_code = EXCLUDED.error_vendor_code, error_message = EXCLUDED.error_message, updated_at = now()
         WHERE backup_runs.status NOT IN ${TERMINAL} OR backup_runs.status <> EXCLUDED.status OR backup_runs.ended_at IS DISTINCT FROM EXCLUDED.ended_at
         RETURNING id`,
        [
          newId(),
          tx.tenantId,
          connectionId,
          policyId,
          r.protectedItemId,
          r.onDemand ? 'onDemand' : 'scheduled',
          r.status,
          r.vendorRef,
          r.vendorStatus,
          r.startedAt,
          r.endedAt,
          r.itemsProcessed,
          r.bytesProcessed,
          r.error?.code ?? null,
          r.error?.vendorCode ?? null,
          r.error?.message ?? null,
        ],
      );
      if (!row) continue; // unchanged since it was last stored
      ids.push(row.id);
      await this.writeItems(tx, row.id, r.items);
    }
    return ids;
  }

  /** An on-demand run reached the vendor (or moved there): its vendor ref, operation to follow and what the vendor reports. */
  async recordVendor(
    tx: TenantTx,
    id: string,
    v: Omit<ObservedBackupRun, 'protectedItemId' | 'onDemand' | 'items' | 'vendorRef'> & {
      vendorRef: string | null;
      operation?: { vendorRef: string; extra?: Record<string, string> };
    },
  ): Promise<BackupRun> {
    const [row] = rowsOf<BackupRunRow>(
      await tx.query(
        `UPDATE backup_runs SET vendor_ref = COALESCE($2, vendor_ref), operation = COALESCE($3, operation), status = $4, vendor_status = $5,
           started_at = COALESCE($6, started_at), ended_at = COALESCE($7, ended_at), items_processed = COALESCE($8, items_processed),
           bytes_processed = COALESCE($9, bytes_processed), error_code = $10, error_vendor_code = $11, error_message = $12, updated_at = now()
         WHERE id = $1 RETURNING *`,
        [
          id,
          v.vendorRef || null,
          v.operation ? JSON.stringify(v.operation) : null,
          v.status,
          v.vendorStatus,
          v.startedAt,
          v.endedAt,
          v.itemsProcessed,
          v.bytesProcessed,
          v.error?.code ?? null,
          v.error?.vendorCode ?? null,
          v.error?.message ?? null,
        ],
      ),
    );
    return backupRunFromRow(row);
  }

  /** Sets every item outcome of the run to the run's own (vendors that report no per-item outcome). */
  async setItemStatus(tx: TenantTx, runId: string, status: BackupRunStatus, error: BackupRunItemOutcome['error']): Promise<void> {
    await tx.query('UPDATE backup_run_items SET status = $2, error_code = $3, error_message = $4 WHERE backup_run_id = $1', [
      runId,
      status,
      error?.code ?? null,
      error?.message ?? null,
    ]);
  }

  /** Upserts item outcomes of a run in one statement. */
  async writeItems(tx: TenantTx, runId: string, items: BackupRunItemOutcome[]): Promise<void> {
    if (!items.length) return;
    await tx.query(
      `INSERT INTO backup_run_items (tenant_id, backup_run_id, protected_item_id, status, error_code, error_message)
       SELECT $1, $2, t.item, t.status, t.code, t.message FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[]) AS t(item, status, code, message)
       ON CONFLICT (backup_run_id, protected_item_id) DO UPDATE SET status = EXCLUDED.status, error_code = EXCLUDED.error_code,
         error_message = EXCLUDED.error_message`,
      [
        tx.tenantId,
        runId,
        items.map((i) => i.protectedItemId),
        items.map((i) => i.status),
        items.map((i) => i.error?.code ?? null),
        items.map((i) => i.error?.message ?? null),
      ],
    );
  }
}

export const backupRunRepository = new BackupRunRepository();
