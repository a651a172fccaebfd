import {
  NOT_LIVE_POLICY_STATUSES,
  SETTLED_POLICY_STATUSES,
  assertPolicyTransition,
  settledPolicyStatus,
  type Policy,
  type PolicyStatus,
  type ProtectionState,
  type VendorId,
  type Workload,
} from '@bg/domain';
import { toDate } from '../database/dates';
import { rowsOf } from '../database/rows';
import { isUuid, type SqlTx, type TenantTx } from '../tenancy/tenant-db';

/** A policies row as Postgres returns it (timestamps may also be ISO strings, in event snapshots); item_count where the read counts. */
export interface PolicyRow {
  id: string;
  tenant_id: string;
  connection_id: string;
  vendor: string;
  workload: string;
  display_name: string;
  status: PolicyStatus;
  desired_active: boolean;
  vendor_ref: string | null;
  vendor_status: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  item_count?: number | null;
  /** Absent in event snapshots written before the protection-health migration. */
  rpo_minutes?: number | null;
  health?: string;
  health_since?: Date | string;
}

export function policyFromRow(r: PolicyRow): Policy {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    connectionId: r.connection_id,
    vendor: r.vendor as VendorId,
    workload: r.workload as Workload,
    displayName: r.display_name,
    status: r.status,
    desiredActive: r.desired_active,
    vendorRef: r.vendor_ref,
    vendorStatus: r.vendor_status,
    error: r.error_code ? { code: r.error_code, message: r.error_message } : null,
    ...(r.item_count === undefined || r.item_count === null ? {} : { itemCount: r.item_count }),
    rpoMinutes: r.rpo_minutes ?? null,
    health: (r.health ?? 'unknown') as ProtectionState,
    healthSince: toDate(r.health_since ?? r.created_at),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

export interface NewPolicy {
  id: string;
  connectionId: string;
  vendor: VendorId;
  workload: Workload;
  displayName: string;
  desiredActive: boolean;
  rpoMinutes?: number | null;
}

/** What a user's change may set besides the status (absent = unchanged; rpoMinutes null = back to the vendor's default). */
export interface PolicyPatch {
  displayName?: string;
  desiredActive?: boolean;
  rpoMinutes?: number | null;
}

/** A policy holding one of the vendor's active-policy slots. */
export interface ActivePolicySlot {
  id: string;
  displayName: string;
}

const sqlList = (values: readonly string[]) => `(${values.map((v) => `'${v}'`).join(', ')})`;
const NOT_LIVE = sqlList(NOT_LIVE_POLICY_STATUSES);
const SETTLED = sqlList(SETTLED_POLICY_STATUSES);
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const WITH_ITEM_COUNT = `SELECT p.*, (SELECT count(*) FROM protected_items i WHERE i.policy_id = p.id AND i.status <> 'removed')::int AS item_count FROM policies p`;
/**
 * settledPolicyStatus(desired_active), evaluated on the row when it is written: the gateway may change
 * desired_active meanwhile, and a deletion asked meanwhile wins.
 */
const SETTLED_STATUS = `CASE WHEN status IN ('deleting', 'deleted') THEN status WHEN desired_active THEN '${settledPolicyStatus(true)}' ELSE '${settledPolicyStatus(false)}' END`;

/**
 * The one writer of policies: every statement on the table is here. Methods take the caller's tenant
 * transaction (TenantDb.run), so row-level security confines them to one tenant; the system-wide scan
 * (periodic refresh) takes the owner's EntityManager and says so. Status changes emit the policy events
 * (database triggers of the events migration).
 */
export class PolicyRepository {
  /** Stores a new policy, provisioning (emits policy.created). */
  async insert(tx: TenantTx, p: NewPolicy): Promise<void> {
    await tx.query(
      `INSERT INTO policies (id, tenant_id, connection_id, vendor, workload, display_name, status, desired_active, rpo_minutes)
       VALUES ($1, $2, $3, $4, $5, $6, 'provisioning', $7, $8)`,
      [p.id, tx.tenantId, p.connectionId, p.vendor, p.workload, p.displayName, p.desiredActive, p.rpoMinutes ?? null],
    );
  }

  /** The policy unless deleted, with its live item count (the API's read); `forUpdate` locks the row first. */
  async findVisible(tx: TenantTx, id: string, opts: { forUpdate?: boolean } = {}): Promise<Policy | undefined> {
    if (!isUuid(id)) return undefined;
    if (opts.forUpdate) await tx.query('SELECT 1 FROM policies WHERE id = $1 FOR UPDATE', [id]);
    const [row]: PolicyRow[] = await tx.query(`${WITH_ITEM_COUNT} WHERE p.id = $1 AND p.status <> 'deleted'`, [id]);
    return row ? policyFromRow(row) : undefined;
  }

  /** The tenant's policies not deleted, with an id after `after`, by id, at most `limit`, with their live item counts. */
  async listVisible(tx: TenantTx, after: string | undefined, limit: number): Promise<Policy[]> {
    const rows: PolicyRow[] = await tx.query(
      `${WITH_ITEM_COUNT} WHERE p.tenant_id = $1 AND p.status <> 'deleted' AND p.id > $2 ORDER BY p.id LIMIT $3`,
      [tx.tenantId, after ?? NIL_UUID, limit],
    );
    return rows.map(policyFromRow);
  }

  /** The policy unless deleted, locked until the transaction ends (no item count). */
  async lockVisible(tx: TenantTx, id: string): Promise<Policy | undefined> {
    const [row]: PolicyRow[] = await tx.query(`SELECT * FROM policies WHERE id = $1 AND status <> 'deleted' FOR UPDATE`, [id]);
    return row ? policyFromRow(row) : undefined;
  }

  /** The policy in any status (the worker's read). */
  async findById(tx: TenantTx, id: string): Promise<Policy | undefined> {
    const [row]: PolicyRow[] = await tx.query('SELECT * FROM policies WHERE id = $1', [id]);
    return row ? policyFromRow(row) : undefined;
  }

  /** The policy if it is live at the vendor or on its way there (not deleting, deleted or failed): the one a refresh reads back. */
  async findLive(tx: TenantTx, id: string): Promise<Policy | undefined> {
    const [row]: PolicyRow[] = await tx.query(`SELECT * FROM policies WHERE id = $1 AND status NOT IN ${NOT_LIVE}`, [id]);
    return row ? policyFromRow(row) : undefined;
  }

  /** The live policies of a connection and workload the user wants active, other than `exceptId`. */
  async activeInWorkload(tx: TenantTx, connectionId: string, workload: Workload, exceptId?: string): Promise<ActivePolicySlot[]> {
    const rows: Array<{ id: string; display_name: string }> = await tx.query(
      `SELECT id, display_name FROM policies WHERE connection_id = $1 AND workload = $2 AND desired_active
         AND status NOT IN ${NOT_LIVE} AND id <> COALESCE($3::uuid, '${NIL_UUID}')`,
      [connectionId, workload, exceptId ?? null],
    );
    return rows.map((r) => ({ id: r.id, displayName: r.display_name }));
  }

  /** A user's change: checks the state machine, then sets the status (also when it stays) and the patch. */
  async update(tx: TenantTx, policy: Policy, to: PolicyStatus, patch: PolicyPatch = {}): Promise<void> {
    assertPolicyTransition(policy.status, to);
    const sets = ['status = $2'];
    const values: unknown[] = [policy.id, to];
    const set = (column: string, value: unknown) => {
      values.push(value);
      sets.push(`${column} = $${values.length}`);
    };
    if (patch.displayName !== undefined) set('display_name', patch.displayName);
    if (patch.desiredActive !== undefined) set('desired_active', patch.desiredActive);
    if (patch.rpoMinutes !== undefined) set('rpo_minutes', patch.rpoMinutes);
    await tx.query(`UPDATE policies SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, values);
  }

  /**
   * The vendor created the policy: its ref and status; inactive until activated. A delete asked (or done)
   * meanwhile keeps its status, so the caller deletes the new vendor policy instead of reviving ours. Returns the
   * policy as stored.
   */
  async recordCreated(tx: TenantTx, id: string, vendorRef: string, vendorStatus: string): Promise<Policy | undefined> {
    const [row] = rowsOf<PolicyRow>(
      await tx.query(
        `UPDATE policies SET vendor_ref = $2, vendor_status = $3,
         status = CASE WHEN status IN ('deleting', 'deleted') THEN status ELSE 'inactive' END, updated_at = now() WHERE id = $1
       RETURNING *`,
        [id, vendorRef, vendorStatus],
      ),
    );
    return row ? policyFromRow(row) : undefined;
  }

  /** The vendor matches what the user asked for: settled (unless being deleted), the last error cleared. */
  async settle(tx: TenantTx, id: string, vendorStatus: string): Promise<void> {
    await tx.query(
      `UPDATE policies SET status = ${SETTLED_STATUS}, vendor_status = $2, error_code = NULL, error_message = NULL, updated_at = now() WHERE id = $1`,
      [id, vendorStatus],
    );
  }

  /** An emulated policy settles in our tables alone; its own id stands in for the vendor's ref. */
  async settleEmulated(tx: TenantTx, id: string, vendorStatus: string): Promise<void> {
    await tx.query(
      `UPDATE policies SET vendor_ref = COALESCE(vendor_ref, id::text), vendor_status = $2, status = ${SETTLED_STATUS},
         error_code = NULL, error_message = NULL, updated_at = now() WHERE id = $1`,
      [id, vendorStatus],
    );
  }

  async markDeleted(tx: TenantTx, id: string): Promise<void> {
    await tx.query(`UPDATE policies SET status = 'deleted', updated_at = now() WHERE id = $1`, [id]);
  }

  /**
   * The vendor refused the policy for good: the error, and failed while the vendor has no policy (a
   * policy it has keeps its status). Decided on the row when it is written.
   */
  async recordFailure(tx: TenantTx, id: string, error: { code: string; message: string }): Promise<void> {
    await tx.query(
      `UPDATE policies SET status = CASE WHEN vendor_ref IS NULL THEN 'failed' ELSE status END, error_code = $2, error_message = $3, updated_at = now() WHERE id = $1`,
      [id, error.code, error.message],
    );
  }

  /** System-wide (owner connection): the settled policies at a vendor, for the periodic refresh. */
  async settledAtVendor(system: SqlTx): Promise<Array<{ id: string; tenantId: string }>> {
    const rows: Array<{ id: string; tenant_id: string }> = await system.query(
      `SELECT id, tenant_id FROM policies WHERE status IN ${SETTLED} AND vendor_ref IS NOT NULL`,
    );
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id }));
  }

  /** The health derived from the policy's items; `since` moves only when it changes. Also notes when runs were read. */
  /**
   * Stores the policy's derived health and, after a read of its runs, moves its read mark — only when something
   * changed: the health, new or changed runs (`runsChanged`), or a mark over 12 hours old (so the read window
   * still moves on a quiet policy). A sweep that changes nothing writes nothing.
   */
  async recordHealth(
    tx: TenantTx,
    id: string,
    health: ProtectionState,
    now: Date,
    runsSyncedAt?: Date,
    runsChanged = false,
  ): Promise<void> {
    await tx.query(
      `UPDATE policies SET health_since = CASE WHEN health = $2 THEN health_since ELSE $3 END, health = $2,
         runs_synced_at = CASE WHEN ${MOVE_RUNS_MARK} THEN $4 ELSE runs_synced_at END
        WHERE id = $1 AND (health IS DISTINCT FROM $2 OR ${MOVE_RUNS_MARK})`,
      [id, health, now, runsSyncedAt ?? null, runsChanged],
    );
  }

  /** When the policy's backup runs were last read from the vendor (null: never). */
  async runsSyncedAt(tx: TenantTx, id: string): Promise<Date | null> {
    const [row]: Array<{ runs_synced_at: Date | null }> = await tx.query('SELECT runs_synced_at FROM policies WHERE id = $1', [id]);
    return row?.runs_synced_at ?? null;
  }

  /** Offboarding: the tenant's policies not deleting or deleted, locked until the transaction ends. */
  async openOfTenant(tx: TenantTx): Promise<Policy[]> {
    const rows: PolicyRow[] = await tx.query(
      `SELECT * FROM policies WHERE tenant_id = $1 AND status NOT IN ('deleting', 'deleted') ORDER BY id FOR UPDATE`,
      [tx.tenantId],
    );
    return rows.map(policyFromRow);
  }

  /** Offboarding: how many of the tenant's policies are still being deleted at their vendor. */
  async deletingCount(tx: TenantTx): Promise<number> {
    const [row]: Array<{ n: number }> = await tx.query(
      `SELECT count(*)::int AS n FROM policies WHERE tenant_id = $1 AND status = 'deleting'`,
      [tx.tenantId],
    );
    return row.n;
  }
}

/** After a read of runs at $4 ($5: it changed runs): move the mark when runs changed or the mark is over 12 hours old. */
const MOVE_RUNS_MARK = `($4::timestamptz IS NOT NULL AND ($5::boolean OR runs_synced_at IS NULL OR runs_synced_at < $4::timestamptz - interval '12 hours'))`;

export const policyRepository = new PolicyRepository();
