import { Injectable } from '@nestjs/common';
import { NotAllowedInState, NotFound, WORKLOAD_ITEM_KIND, newId, type Workload } from '@bg/domain';
import { TenantDb, isUuid, writeOutbox, type TenantTx } from '@bg/platform';
import { assertVendorSupports } from '../common/vendor-rules';
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

/** Inserts pending protected items for a policy; items already live in the policy are skipped. */
export async function insertItems(
  tx: TenantTx, policy: { id: string; connection_id: string; workload: string },
  items: Array<{ externalId: string; displayName?: string }>,
): Promise<string[]> {
  const ids: string[] = [];
  const kind = WORKLOAD_ITEM_KIND[policy.workload as Workload];
  for (const item of items) {
    const id = newId();
    const [row] = await tx.query(
      `INSERT INTO protected_items (id, tenant_id, policy_id, connection_id, kind, external_id, display_name, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending')
       ON CONFLICT (policy_id, external_id) WHERE status <> 'removed' DO NOTHING RETURNING id`,
      [id, tx.tenantId, policy.id, policy.connection_id, kind, item.externalId, item.displayName ?? null],
    );
    if (row) ids.push(row.id);
  }
  return ids;
}
