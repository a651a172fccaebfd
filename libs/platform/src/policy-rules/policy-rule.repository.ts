import type { PolicyRule, PolicyRuleStatus, VendorId } from '@bg/domain';
import { toDate } from '../database/dates';
import { rowsOf } from '../database/rows';
import { isUuid, type TenantTx } from '../tenancy/tenant-db';

/** A policy_rules row as Postgres returns it (timestamps may also be ISO strings). */
export interface PolicyRuleRow {
  id: string;
  tenant_id: string;
  policy_id: string;
  connection_id: string;
  vendor: string;
  display_name: string | null;
  group_ids: string[];
  status: PolicyRuleStatus;
  vendor_ref: string | null;
  vendor_status: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

export function policyRuleFromRow(r: PolicyRuleRow): PolicyRule {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    policyId: r.policy_id,
    connectionId: r.connection_id,
    vendor: r.vendor as VendorId,
    displayName: r.display_name,
    groupIds: r.group_ids,
    status: r.status,
    vendorRef: r.vendor_ref,
    vendorStatus: r.vendor_status,
    error: r.error_code ? { code: r.error_code, message: r.error_message } : null,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

export interface NewPolicyRule {
  id: string;
  policyId: string;
  connectionId: string;
  vendor: VendorId;
  displayName?: string;
  groupIds: string[];
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';
/** A deletion asked meanwhile wins over what the vendor reports. */
const KEEP_DELETION = `CASE WHEN status IN ('deleting', 'deleted') THEN status ELSE $2 END`;

/**
 * The one writer of policy_rules: every statement on the table is here. Methods take the caller's tenant
 * transaction (TenantDb.run), so row-level security confines them to one tenant.
 */
export class PolicyRuleRepository {
  /** Stores a new rule, pending until the worker creates it at the vendor. */
  async insert(tx: TenantTx, r: NewPolicyRule): Promise<PolicyRule> {
    const [row]: PolicyRuleRow[] = await tx.query(
      `INSERT INTO policy_rules (id, tenant_id, policy_id, connection_id, vendor, display_name, group_ids, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending') RETURNING *`,
      [r.id, tx.tenantId, r.policyId, r.connectionId, r.vendor, r.displayName ?? null, r.groupIds],
    );
    return policyRuleFromRow(row);
  }

  /** The rule of the policy unless deleted (the API's read); `forUpdate` locks it. */
  async findVisible(tx: TenantTx, policyId: string, id: string, opts: { forUpdate?: boolean } = {}): Promise<PolicyRule | undefined> {
    if (!isUuid(id)) return undefined;
    const [row]: PolicyRuleRow[] = await tx.query(
      `SELECT * FROM policy_rules WHERE id = $1 AND policy_id = $2 AND status <> 'deleted'${opts.forUpdate ? ' FOR UPDATE' : ''}`,
      [id, policyId],
    );
    return row ? policyRuleFromRow(row) : undefined;
  }

  /** The policy's rules not deleted, with an id after `after`, by id, at most `limit`. */
  async listVisible(tx: TenantTx, policyId: string, after: string | undefined, limit: number): Promise<PolicyRule[]> {
    const rows: PolicyRuleRow[] = await tx.query(
      `SELECT * FROM policy_rules WHERE policy_id = $1 AND status <> 'deleted' AND id > $2 ORDER BY id LIMIT $3`,
      [policyId, after ?? NIL_UUID, limit],
    );
    return rows.map(policyRuleFromRow);
  }

  /** The rule in any status (the worker's read). */
  async findById(tx: TenantTx, id: string): Promise<PolicyRule | undefined> {
    const [row]: PolicyRuleRow[] = await tx.query('SELECT * FROM policy_rules WHERE id = $1', [id]);
    return row ? policyRuleFromRow(row) : undefined;
  }

  async markDeleting(tx: TenantTx, id: string): Promise<void> {
    await tx.query(`UPDATE policy_rules SET status = 'deleting', updated_at = now() WHERE id = $1 AND status <> 'deleted'`, [id]);
  }

  async markDeleted(tx: TenantTx, id: string): Promise<void> {
    await tx.query(`UPDATE policy_rules SET status = 'deleted', updated_at = now() WHERE id = $1`, [id]);
  }

  /**
   * The vendor's view of the rule: its ref, our status for it, its raw status and error (unless a deletion was
   * asked). Returns the rule as stored, so the caller sees a deletion asked meanwhile.
   */
  async recordVendor(
    tx: TenantTx,
    id: string,
    v: { vendorRef: string; status: PolicyRuleStatus; vendorStatus: string; error?: { code: string; message: string } },
  ): Promise<PolicyRule | undefined> {
    const [row] = rowsOf<PolicyRuleRow>(
      await tx.query(
        `UPDATE policy_rules SET status = ${KEEP_DELETION}, vendor_ref = $3, vendor_status = $4, error_code = $5, error_message = $6,
         updated_at = now() WHERE id = $1 RETURNING *`,
        [id, v.status, v.vendorRef, v.vendorStatus, v.error?.code ?? null, v.error?.message ?? null],
      ),
    );
    return row ? policyRuleFromRow(row) : undefined;
  }

  /** The vendor refused the rule for good (unless a deletion was asked). */
  async recordFailure(tx: TenantTx, id: string, error: { code: string; message: string }): Promise<void> {
    await tx.query(
      `UPDATE policy_rules SET status = ${KEEP_DELETION}, error_code = $3, error_message = $4, updated_at = now() WHERE id = $1`,
      [id, 'failed', error.code, error.message],
    );
  }
}

export const policyRuleRepository = new PolicyRuleRepository();
