import {
  VENDOR_TRACKED_ITEM_STATUSES,
  WORKLOAD_ITEM_KIND,
  assertProtectedItemTransition,
  newId,
  protectedItemStatusFromVendor,
  type BackupRunStatus,
  type ItemProtection,
  type ProtectionState,
  type Policy,
  type ProtectedItem,
  type ProtectedItemKind,
  type ProtectedItemStatus,
  type VendorId,
  type VendorItemState,
} from '@bg/domain';
import { toDate, toDateOrNull } from '../database/dates';
import { rowsOf } from '../database/rows';
import type { TenantTx } from '../tenancy/tenant-db';

/** A protected_items row as Postgres returns it (size_bytes, a bigint, as a string; timestamps may also be ISO strings, in event snapshots). */
export interface ProtectedItemRow {
  id: string;
  tenant_id: string;
  policy_id: string;
  connection_id: string;
  kind: string;
  external_id: string;
  display_name: string | null;
  status: ProtectedItemStatus;
  vendor_ref: string | null;
  vendor_status: string | null;
  size_bytes: string | number | null;
  error_code: string | null;
  error_message: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  // Protection health (absent in event snapshots written before the protection-health migration).
  protection_state?: string;
  protection_since?: Date | string;
  protection_reason?: string | null;
  vendor_unprotected?: boolean;
  last_backup_at?: Date | string | null;
  last_successful_backup_at?: Date | string | null;
  last_run_status?: string | null;
  last_run_error?: string | null;
  last_run_error_code?: string | null;
  latest_restore_point_at?: Date | string | null;
}

function protectionFromRow(r: ProtectedItemRow): ItemProtection {
  return {
    state: (r.protection_state ?? 'unknown') as ProtectionState,
    since: toDate(r.protection_since ?? r.created_at),
    reason: r.protection_reason ?? null,
    lastBackupAt: toDateOrNull(r.last_backup_at),
    lastSuccessfulBackupAt: toDateOrNull(r.last_successful_backup_at),
    lastRunStatus: (r.last_run_status ?? null) as BackupRunStatus | null,
    lastRunError:
      r.last_run_error || r.last_run_error_code ? { code: r.last_run_error_code ?? 'VENDOR_ERROR', message: r.last_run_error ?? '' } : null,
    latestRestorePointAt: toDateOrNull(r.latest_restore_point_at),
    vendorUnprotected: r.vendor_unprotected ?? false,
  };
}

export function protectedItemFromRow(r: ProtectedItemRow): ProtectedItem {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    policyId: r.policy_id,
    connectionId: r.connection_id,
    kind: r.kind as ProtectedItemKind,
    externalId: r.external_id,
    displayName: r.display_name,
    status: r.status,
    vendorRef: r.vendor_ref,
    vendorStatus: r.vendor_status,
    sizeBytes: r.size_bytes === null || r.size_bytes === undefined ? null : Number(r.size_bytes),
    error: r.error_code ? { code: r.error_code, message: r.error_message } : null,
    protection: protectionFromRow(r),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

/** An item to protect, as the user gives it. */
export interface NewProtectedItem {
  externalId: string;
  displayName?: string;
}

/**
 * Filters of an item listing: by default the live (not removed) items; `status` selects exactly that status, `state`
 * the live items in that protection state.
 */
export interface ProtectedItemFilter {
  after?: string;
  limit: number;
  policyId?: string;
  status?: string;
  state?: ProtectionState;
}

const sqlList = (values: readonly string[]) => `(${values.map((v) => `'${v}'`).join(', ')})`;
const VENDOR_TRACKED = sqlList(VENDOR_TRACKED_ITEM_STATUSES);
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * The one writer of protected_items: every statement on the table is here. Methods take the caller's
 * tenant transaction (TenantDb.run), so row-level security confines them to one tenant. Statements on
 * many items are one statement each (unnest), never a query per item. Status changes emit the
 * protected_item events (database triggers of the events migration).
 */
export class ProtectedItemRepository {
  /**
   * Stores pending items of a policy in one statement, in the given order; an item whose external id is
   * already live in the policy is skipped. Returns the ids stored.
   */
  async insertPending(
    tx: TenantTx,
    policy: Pick<Policy, 'id' | 'connectionId' | 'workload'>,
    items: NewProtectedItem[],
  ): Promise<string[]> {
    if (!items.length) return [];
    const rows: Array<{ id: string }> = await tx.query(
      `INSERT INTO protected_items (id, tenant_id, policy_id, connection_id, kind, external_id, display_name, status)
       SELECT t.id, $1, $2, $3, $4, t.external_id, t.display_name, 'pending'
         FROM unnest($5::uuid[], $6::text[], $7::text[]) WITH ORDINALITY AS t(id, external_id, display_name, n)
        ORDER BY t.n
       ON CONFLICT (policy_id, external_id) WHERE status <> 'removed' DO NOTHING RETURNING id`,
      [
        tx.tenantId,
        policy.id,
        policy.connectionId,
        WORKLOAD_ITEM_KIND[policy.workload],
        items.map(() => newId()),
        items.map((i) => i.externalId),
        items.map((i) => i.displayName ?? null),
      ],
    );
    return rows.map((r) => r.id);
  }

  async findByIds(tx: TenantTx, ids: string[]): Promise<ProtectedItem[]> {
    if (!ids.length) return [];
    const rows: ProtectedItemRow[] = await tx.query('SELECT * FROM protected_items WHERE id = ANY($1) ORDER BY id', [ids]);
    return rows.map(protectedItemFromRow);
  }

  async findById(tx: TenantTx, id: string): Promise<ProtectedItem | undefined> {
    const [row]: ProtectedItemRow[] = await tx.query('SELECT * FROM protected_items WHERE id = $1', [id]);
    return row ? protectedItemFromRow(row) : undefined;
  }

  /** The tenant's items matching `filter`, by id, at most `filter.limit`. */
  async list(tx: TenantTx, filter: ProtectedItemFilter): Promise<ProtectedItem[]> {
    const rows: ProtectedItemRow[] = await tx.query(
      filter.state
        ? // protected_items_state_idx: (tenant_id, protection_state, id) over live items.
          `SELECT * FROM protected_items WHERE tenant_id = $1 AND protection_state = $6 AND status <> 'removed' AND id > $2
             AND ($4::uuid IS NULL OR policy_id = $4) AND ($5::text IS NULL OR status = $5) ORDER BY id LIMIT $3`
        : `SELECT * FROM protected_items WHERE tenant_id = $1 AND id > $2 AND ($4::uuid IS NULL OR policy_id = $4)
         AND (($5::text IS NULL AND status <> 'removed') OR status = $5) ORDER BY id LIMIT $3`,
      [
        tx.tenantId,
        filter.after ?? NIL_UUID,
        filter.limit,
        filter.policyId ?? null,
        filter.status ?? null,
        ...(filter.state ? [filter.state] : []),
      ],
    );
    return rows.map(protectedItemFromRow);
  }

  /** The item with its policy's vendor, locked until the transaction ends. */
  async lockWithVendor(tx: TenantTx, id: string): Promise<{ item: ProtectedItem; vendor: VendorId } | undefined> {
    const [row]: Array<ProtectedItemRow & { vendor: string }> = await tx.query(
      'SELECT i.*, p.vendor FROM protected_items i JOIN policies p ON p.id = i.policy_id WHERE i.id = $1 FOR UPDATE OF i',
      [id],
    );
    return row ? { item: protectedItemFromRow(row), vendor: row.vendor as VendorId } : undefined;
  }

  /** A user's change: checks the state machine, then sets the status. */
  async setStatus(tx: TenantTx, item: ProtectedItem, to: ProtectedItemStatus): Promise<ProtectedItem> {
    assertProtectedItemTransition(item.status, to);
    const [row] = rowsOf<ProtectedItemRow>(
      await tx.query('UPDATE protected_items SET status = $2, updated_at = now() WHERE id = $1 RETURNING *', [item.id, to]),
    );
    return protectedItemFromRow(row);
  }

  /** The policy's live items, by id (what the worker syncs). */
  async listLiveOfPolicy(tx: TenantTx, policyId: string): Promise<ProtectedItem[]> {
    const rows: ProtectedItemRow[] = await tx.query(
      `SELECT * FROM protected_items WHERE policy_id = $1 AND status <> 'removed' ORDER BY id`,
      [policyId],
    );
    return rows.map(protectedItemFromRow);
  }

  /**
   * Stores the vendor's view of a policy's items (matched by external id) in one statement: refs, vendor
   * status, size, per-item errors, and the status protectedItemStatusFromVendor gives (none: unchanged).
   * Only items in VENDOR_TRACKED_ITEM_STATUSES change: a removal under way or done stays ours.
   */
  async applyVendorView(tx: TenantTx, policyId: string, items: VendorItemState[]): Promise<void> {
    if (!items.length) return;
    await tx.query(
      `UPDATE protected_items p SET vendor_ref = COALESCE(v.vendor_ref, p.vendor_ref), vendor_status = v.vendor_status,
         status = COALESCE(v.status, p.status), size_bytes = COALESCE(v.size_bytes, p.size_bytes),
         error_code = v.error_code, error_message = v.error_message, vendor_unprotected = v.unprotected,
         last_backup_at = GREATEST(p.last_backup_at, v.last_backup_at),
         last_successful_backup_at = GREATEST(p.last_successful_backup_at, v.last_successful_backup_at), updated_at = now()
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::boolean[],
         $10::timestamptz[], $11::timestamptz[])
         AS v(external_id, vendor_ref, vendor_status, status, error_code, size_bytes, error_message, unprotected, last_backup_at,
           last_successful_backup_at)
       WHERE p.policy_id = $1 AND p.external_id = v.external_id AND p.status IN ${VENDOR_TRACKED}`,
      [
        policyId,
        items.map((v) => v.externalId),
        items.map((v) => v.vendorRef || null),
        items.map((v) => v.vendorStatus),
        items.map((v) => protectedItemStatusFromVendor(v) ?? null),
        items.map((v) => v.error?.code ?? null),
        items.map((v) => v.sizeBytes ?? null),
        items.map((v) => v.error?.message ?? null),
        items.map((v) => v.unprotected ?? false),
        items.map((v) => v.lastBackupAt ?? null),
        items.map((v) => v.lastSuccessfulBackupAt ?? null),
      ],
    );
  }

  /** The vendor removed these items. */
  async markRemoved(tx: TenantTx, ids: string[]): Promise<void> {
    await tx.query(`UPDATE protected_items SET status = 'removed', updated_at = now() WHERE id = ANY($1)`, [ids]);
  }

  /** The policy is deleted: every item of it is removed. */
  async removeAllOfPolicy(tx: TenantTx, policyId: string): Promise<void> {
    await tx.query(`UPDATE protected_items SET status = 'removed', updated_at = now() WHERE policy_id = $1`, [policyId]);
  }

  /**
   * An emulated policy's items settle in our tables alone: a pending item is protected as it is (its
   * external id stands in for the vendor's ref), a removing one is removed.
   */
  async settleEmulated(tx: TenantTx, policyId: string, vendorStatus: string): Promise<void> {
    await tx.query(
      `UPDATE protected_items SET vendor_ref = external_id, vendor_status = $2,
         status = CASE WHEN status = 'removing' THEN 'removed' ELSE 'protected' END, error_code = NULL, error_message = NULL, updated_at = now()
       WHERE policy_id = $1 AND status IN ('pending', 'removing')`,
      [policyId, vendorStatus],
    );
  }

  /** The vendor refs of the policy's protected items, in item id order. */
  async protectedVendorRefs(tx: TenantTx, policyId: string): Promise<string[]> {
    const rows: Array<{ vendor_ref: string }> = await tx.query(
      `SELECT vendor_ref FROM protected_items WHERE policy_id = $1 AND status = 'protected' AND vendor_ref IS NOT NULL ORDER BY id`,
      [policyId],
    );
    return rows.map((r) => r.vendor_ref);
  }

  /** Our item id for each vendor ref the policy's items have (any status). */
  async idsByVendorRef(tx: TenantTx, policyId: string): Promise<Map<string, string>> {
    const rows: Array<{ id: string; vendor_ref: string }> = await tx.query(
      'SELECT id, vendor_ref FROM protected_items WHERE policy_id = $1 AND vendor_ref IS NOT NULL',
      [policyId],
    );
    return new Map(rows.map((r) => [r.vendor_ref, r.id]));
  }

  /** How many of the policy's items still wait to be protected or for their first restore point. */
  async countAwaitingFirstPoint(tx: TenantTx, policyId: string): Promise<number> {
    const [{ n }]: Array<{ n: number }> = await tx.query(
      `SELECT count(*)::int AS n FROM protected_items i WHERE i.policy_id = $1 AND i.status IN ('pending', 'protected')
         AND (i.status = 'pending' OR NOT EXISTS (SELECT 1 FROM restore_points rp WHERE rp.protected_item_id = i.id))`,
      [policyId],
    );
    return n;
  }

  // --- protection health ----------------------------------------------------------------------------------------

  /**
   * Moves the last-run facts of the items the given runs covered: the newest ended run's status and error, its end
   * as last backup, and the newest successful end as last successful backup (never backwards). One statement.
   */
  async applyRunFacts(tx: TenantTx, runIds: string[]): Promise<void> {
    if (!runIds.length) return;
    await tx.query(
      `WITH ended AS (
         SELECT ri.protected_item_id, ri.status, ri.error_code, ri.error_message, COALESCE(r.ended_at, r.started_at, r.created_at) AS at
           FROM backup_run_items ri JOIN backup_runs r ON r.id = ri.backup_run_id
          WHERE ri.backup_run_id = ANY($1) AND ri.status IN ('succeeded', 'warning', 'failed')),
       newest AS (SELECT DISTINCT ON (protected_item_id) * FROM ended ORDER BY protected_item_id, at DESC),
       ok AS (SELECT protected_item_id, max(at) AS at FROM ended WHERE status IN ('succeeded', 'warning') GROUP BY protected_item_id)
       UPDATE protected_items i SET
         last_run_status = CASE WHEN i.last_backup_at IS NULL OR n.at >= i.last_backup_at THEN n.status ELSE i.last_run_status END,
         last_run_error = CASE WHEN i.last_backup_at IS NULL OR n.at >= i.last_backup_at THEN n.error_message ELSE i.last_run_error END,
         last_run_error_code = CASE WHEN i.last_backup_at IS NULL OR n.at >= i.last_backup_at THEN n.error_code ELSE i.last_run_error_code END,
         last_backup_at = GREATEST(i.last_backup_at, n.at),
         last_successful_backup_at = GREATEST(i.last_successful_backup_at, ok.at)
        FROM newest n LEFT JOIN ok ON ok.protected_item_id = n.protected_item_id
       WHERE i.id = n.protected_item_id`,
      [runIds],
    );
  }

  /** The policy's live items with the time of their newest stored restore point (what health is judged from). */
  async listHealthFacts(tx: TenantTx, policyId: string): Promise<Array<ProtectedItem & { newestPointAt: Date | null }>> {
    const rows: Array<ProtectedItemRow & { newest_point_at: Date | null }> = await tx.query(
      `SELECT i.*, (SELECT max(rp.point_in_time) FROM restore_points rp WHERE rp.protected_item_id = i.id) AS newest_point_at
         FROM protected_items i WHERE i.policy_id = $1 AND i.status <> 'removed' ORDER BY i.id`,
      [policyId],
    );
    return rows.map((r) => ({ ...protectedItemFromRow(r), newestPointAt: r.newest_point_at }));
  }

  /**
   * Stores judged protection states in one statement: state, reason and newest restore point; `since` moves only
   * when the state changes (a change emits protected_item.at_risk / .failed / .healthy). Returns how many changed state.
   */
  async writeProtection(
    tx: TenantTx,
    judged: Array<{ id: string; state: ProtectionState; reason: string; latestRestorePointAt: Date | null }>,
    now: Date,
  ): Promise<number> {
    if (!judged.length) return 0;
    const rows = rowsOf<{ changed: boolean }>(
      await tx.query(
        `UPDATE protected_items i SET protection_since = CASE WHEN i.protection_state = v.state THEN i.protection_since ELSE $5 END,
           protection_state = v.state, protection_reason = v.reason, latest_restore_point_at = v.point
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS v(id, state, reason, point)
          WHERE i.id = v.id AND (i.protection_state IS DISTINCT FROM v.state OR i.protection_reason IS DISTINCT FROM v.reason
            OR i.latest_restore_point_at IS DISTINCT FROM v.point)
        RETURNING (i.protection_since = $5) AS changed`,
        [judged.map((j) => j.id), judged.map((j) => j.state), judged.map((j) => j.reason), judged.map((j) => j.latestRestorePointAt), now],
      ),
    );
    return rows.filter((r) => r.changed).length;
  }
}

export const protectedItemRepository = new ProtectedItemRepository();
