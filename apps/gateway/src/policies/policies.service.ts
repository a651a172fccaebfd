import { Injectable } from '@nestjs/common';
import { DomainError, NotAllowedInState, NotFound, WORKLOAD_ITEM_KIND, newId, type Workload } from '@bg/domain';
import { TenantDb, isUuid, writeOutbox, type TenantTx } from '@bg/platform';
import { assertVendorSupports, vendorLimits } from '../common/vendor-rules';
import type { CreatePolicy, PolicyRow } from './policies.dto';

const POLICY_SELECT = `SELECT p.*, (SELECT count(*) FROM protected_items i WHERE i.policy_id = p.id AND i.status <> 'removed')::int AS item_count FROM policies p`;

/** Enqueues the worker's reconciliation of a policy with its vendor (deduplicated while one is pending). */
export async function queuePolicySync(tx: TenantTx, policyId: string): Promise<void> {
  await writeOutbox(tx, tx.tenantId, 'policy.sync', { tenantId: tx.tenantId, policyId }, { jobId: `policy.sync_${policyId}_${newId()}` });
}

@Injectable()
export class PoliciesService {
  constructor(private readonly db: TenantDb) {}

  async create(tenantId: string, body: CreatePolicy): Promise<PolicyRow> {
    return this.db.run(tenantId, async (tx) => {
      const [conn] = await tx.query('SELECT id, vendor FROM connections WHERE id = $1 AND deleted_at IS NULL', [body.connectionId]);
      if (!conn) throw new NotFound('connection', body.connectionId);
      assertVendorSupports(conn.vendor, 'policy.create', body.workload);
      if (body.active) await assertActiveSlot(tx, conn.vendor, conn.id, body.workload);
      const id = newId();
      await tx.query(
        `INSERT INTO policies (id, tenant_id, connection_id, vendor, workload, display_name, status, desired_active)
         VALUES ($1, $2, $3, $4, $5, $6, 'provisioning', $7)`,
        [id, tenantId, conn.id, conn.vendor, body.workload, body.displayName, body.active],
      );
      await insertItems(tx, { id, connection_id: conn.id, workload: body.workload }, body.items);
      await queuePolicySync(tx, id);
      return this.load(tx, id);
    });
  }

  async list(tenantId: string, after: string | undefined, limit: number): Promise<PolicyRow[]> {
    return this.db.run(tenantId, (tx) => tx.query(
      `${POLICY_SELECT} WHERE p.tenant_id = $1 AND p.status <> 'deleted' AND p.id > $2 ORDER BY p.id LIMIT $3`,
      [tenantId, after ?? '00000000-0000-0000-0000-000000000000', limit + 1],
    ));
  }

  async get(tenantId: string, id: string): Promise<PolicyRow> {
    return this.db.run(tenantId, (tx) => this.load(tx, id));
  }

  async rename(tenantId: string, id: string, displayName: string): Promise<PolicyRow> {
    return this.change(tenantId, id, 'policy.update', async (tx, p) => {
      if (p.display_name === displayName) return;
      await tx.query(`UPDATE policies SET display_name = $2, status = CASE WHEN vendor_ref IS NULL THEN status ELSE 'updating' END, updated_at = now() WHERE id = $1`, [id, displayName]);
    });
  }

  async setActive(tenantId: string, id: string, active: boolean): Promise<PolicyRow> {
    return this.change(tenantId, id, active ? 'policy.activate' : 'policy.deactivate', async (tx, p) => {
      if (p.desired_active === active) return;
      if (active) await assertActiveSlot(tx, p.vendor, p.connection_id, p.workload, p.id);
      const status = p.vendor_ref ? (active ? 'activating' : 'deactivating') : p.status;
      await tx.query('UPDATE policies SET desired_active = $2, status = $3, updated_at = now() WHERE id = $1', [id, active, status]);
    });
  }

  async remove(tenantId: string, id: string): Promise<PolicyRow> {
    return this.change(tenantId, id, 'policy.delete', async (tx) => {
      await tx.query(`UPDATE policies SET status = 'deleting', desired_active = false, updated_at = now() WHERE id = $1`, [id]);
    });
  }

  private async change(tenantId: string, id: string, op: Parameters<typeof assertVendorSupports>[1], apply: (tx: TenantTx, p: PolicyRow) => Promise<void>): Promise<PolicyRow> {
    return this.db.run(tenantId, async (tx) => {
      const p = await this.load(tx, id, true);
      assertVendorSupports(p.vendor, op);
      if (p.status === 'deleting' || p.status === 'deleted') throw new NotAllowedInState('policy', p.status, op.split('.')[1]);
      await apply(tx, p);
      await queuePolicySync(tx, id);
      return this.load(tx, id);
    });
  }

  async load(tx: TenantTx, id: string, forUpdate = false): Promise<PolicyRow> {
    if (!isUuid(id)) throw new NotFound('policy', id);
    if (forUpdate) await tx.query('SELECT 1 FROM policies WHERE id = $1 FOR UPDATE', [id]);
    const [row] = await tx.query(`${POLICY_SELECT} WHERE p.id = $1 AND p.status <> 'deleted'`, [id]);
    if (!row) throw new NotFound('policy', id);
    return row;
  }
}

/**
 * Vendors that allow one active policy per workload (Graph, seed 000 PolicyCreationNotAllowed) get a clear
 * 409 here instead of a policy that fails later at the vendor.
 */
async function assertActiveSlot(tx: TenantTx, vendor: string, connectionId: string, workload: string, exceptId?: string): Promise<void> {
  const limit = vendorLimits(vendor).activePoliciesPerWorkload;
  if (!limit) return;
  const active: Array<{ id: string; display_name: string }> = await tx.query(
    `SELECT id, display_name FROM policies WHERE connection_id = $1 AND workload = $2 AND desired_active
       AND status NOT IN ('deleted', 'deleting', 'failed') AND id <> COALESCE($3::uuid, '00000000-0000-0000-0000-000000000000')`,
    [connectionId, workload, exceptId ?? null],
  );
  if (active.length >= limit) {
    throw new DomainError('CONFLICT', `${vendor} allows ${limit} active ${workload} policy per connection, and policy ${active[0].id} ("${active[0].display_name}") is active. Add items to it, or deactivate it first.`,
      { vendor, limit, activePolicyId: active[0].id });
  }
}

/** Inserts pending protected items for a policy in one statement; items already live in the policy are skipped. */
export async function insertItems(
  tx: TenantTx, policy: { id: string; connection_id: string; workload: string },
  items: Array<{ externalId: string; displayName?: string }>,
): Promise<string[]> {
  if (!items.length) return [];
  const kind = WORKLOAD_ITEM_KIND[policy.workload as Workload];
  const rows: Array<{ id: string }> = await tx.query(
    `INSERT INTO protected_items (id, tenant_id, policy_id, connection_id, kind, external_id, display_name, status)
     SELECT t.id, $1, $2, $3, $4, t.external_id, t.display_name, 'pending'
       FROM unnest($5::uuid[], $6::text[], $7::text[]) WITH ORDINALITY AS t(id, external_id, display_name, n)
      ORDER BY t.n
     ON CONFLICT (policy_id, external_id) WHERE status <> 'removed' DO NOTHING RETURNING id`,
    [tx.tenantId, policy.id, policy.connection_id, kind, items.map(() => newId()), items.map((i) => i.externalId), items.map((i) => i.displayName ?? null)],
  );
  return rows.map((r) => r.id);
}
