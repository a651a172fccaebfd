import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { VendorId, Workload } from '@bg/domain';
import { isVendorError, vendorDescriptor, type BackupVendorPort, type VendorProtectedItem } from '@bg/adapters';
import { QUEUES, TenantDb, type TenantTx } from '@bg/platform';
import { AdapterCache } from '../common/adapter-cache.service';

interface PolicyRow {
  id: string; connection_id: string; workload: string; display_name: string; status: string;
  desired_active: boolean; vendor_ref: string | null;
}
/** vendor_status of policies and items the gateway keeps itself (capabilities.policyEmulated). */
export const EMULATED_VENDOR_STATUS = 'emulated';

/** Whether the gateway keeps this vendor's policies itself (it has no policy API). */
export function isPolicyEmulated(vendor: VendorId): boolean {
  return vendorDescriptor(vendor).capabilities.policyEmulated === true;
}

interface ItemRow { id: string; kind: string; external_id: string; display_name: string | null; status: string; vendor_ref: string | null }

/**
 * Drives a policy at the vendor towards what the user asked for: created with its items, items added
 * and removed, renamed, active or not, or deleted. Each step checkpoints, so a retry resumes.
 */
@Injectable()
export class PolicySyncService {
  constructor(
    private readonly db: TenantDb,
    private readonly adapters: AdapterCache,
    @InjectQueue(QUEUES.policies) private readonly queue: Queue,
  ) {}

  async sync(tenantId: string, policyId: string): Promise<void> {
    const { policy, items, adapter, emulated } = await this.load(tenantId, policyId);
    if (!policy || policy.status === 'deleted') return;
    if (emulated) return this.syncEmulated(tenantId, policy);
    if (policy.status === 'deleting') return this.delete(tenantId, policy, adapter);
    let vendorRef = policy.vendor_ref;
    if (!vendorRef) {
      const pending = items.filter((i) => i.status === 'pending');
      const created = await adapter.createPolicy({}, {
        workload: policy.workload as Workload, displayName: policy.display_name,
        items: pending.map((i) => ({ kind: i.kind as never, externalId: i.external_id, displayName: i.display_name ?? undefined })),
      });
      vendorRef = created.policy.vendorRef;
      await this.db.run(tenantId, async (tx) => {
        await tx.query(`UPDATE policies SET vendor_ref = $2, vendor_status = $3, status = 'inactive', updated_at = now() WHERE id = $1`, [policyId, vendorRef, created.policy.vendorStatus]);
        await this.applyItems(tx, policyId, created.items);
      });
    } else {
      await this.syncItems(tenantId, policyId, vendorRef, items, adapter);
      if (policy.status === 'updating') await adapter.updatePolicy({}, vendorRef, { displayName: policy.display_name });
    }
    const vendorPolicy = await adapter.getPolicy({}, vendorRef);
    const fresh = (await this.load(tenantId, policyId)).policy!;
    let vp = vendorPolicy;
    if (fresh.desired_active && !vp.active) vp = await adapter.activatePolicy({}, vendorRef);
    if (!fresh.desired_active && vp.active) vp = await adapter.deactivatePolicy({}, vendorRef);
    await this.db.run(tenantId, (tx) => tx.query(
      `UPDATE policies SET status = CASE WHEN status = 'deleting' THEN status WHEN desired_active THEN 'active' ELSE 'inactive' END,
         vendor_status = $2, error_code = NULL, error_message = NULL, updated_at = now() WHERE id = $1`,
      [policyId, vp.vendorStatus],
    ));
    await this.enqueueRefresh(tenantId, policyId);
  }

  /**
   * A vendor without a policy API (capabilities.policyEmulated): the policy lives only in our tables.
   * Items are protected as they are (the vendor backs them up on its own; vendor_ref = external_id),
   * removals and deletion are recorded, and the refresh then reads restore points for the items.
   */
  private async syncEmulated(tenantId: string, policy: PolicyRow): Promise<void> {
    const deleting = policy.status === 'deleting';
    await this.db.run(tenantId, async (tx) => {
      if (deleting) {
        await tx.query(`UPDATE protected_items SET status = 'removed', updated_at = now() WHERE policy_id = $1`, [policy.id]);
        await tx.query(`UPDATE policies SET status = 'deleted', updated_at = now() WHERE id = $1`, [policy.id]);
        return;
      }
      await tx.query(
        `UPDATE protected_items SET vendor_ref = external_id, vendor_status = $2,
           status = CASE WHEN status = 'removing' THEN 'removed' ELSE 'protected' END, error_code = NULL, error_message = NULL, updated_at = now()
         WHERE policy_id = $1 AND status IN ('pending', 'removing')`,
        [policy.id, EMULATED_VENDOR_STATUS],
      );
      await tx.query(
        `UPDATE policies SET vendor_ref = COALESCE(vendor_ref, id::text), vendor_status = $2,
           status = CASE WHEN status = 'deleting' THEN status WHEN desired_active THEN 'active' ELSE 'inactive' END,
           error_code = NULL, error_message = NULL, updated_at = now() WHERE id = $1`,
        [policy.id, EMULATED_VENDOR_STATUS],
      );
    });
    if (!deleting) await this.enqueueRefresh(tenantId, policy.id);
  }

  private async enqueueRefresh(tenantId: string, policyId: string): Promise<void> {
    await this.queue.add('policy.refresh', { tenantId, policyId, attempt: 0 }, { jobId: `policy.refresh_${policyId}_0_${Date.now()}`, delay: 500 });
  }

  /** Records a policy the vendor refused for good. */
  async fail(tenantId: string, policyId: string, err: unknown): Promise<void> {
    const code = isVendorError(err) ? err.code : (err as { code?: string })?.code ?? 'INTERNAL';
    await this.db.run(tenantId, (tx) => tx.query(
      `UPDATE policies SET status = CASE WHEN vendor_ref IS NULL THEN 'failed' ELSE status END, error_code = $2, error_message = $3, updated_at = now() WHERE id = $1`,
      [policyId, code, err instanceof Error ? err.message : String(err)],
    ));
  }

  private async syncItems(tenantId: string, policyId: string, vendorRef: string, items: ItemRow[], adapter: BackupVendorPort): Promise<void> {
    const toAdd = items.filter((i) => i.status === 'pending' && !i.vendor_ref);
    if (toAdd.length) {
      const added = await adapter.addProtectedItems({}, vendorRef, toAdd.map((i) => ({ kind: i.kind as never, externalId: i.external_id, displayName: i.display_name ?? undefined })));
      await this.db.run(tenantId, (tx) => this.applyItems(tx, policyId, added));
    }
    const toRemove = items.filter((i) => i.status === 'removing');
    if (toRemove.length) {
      await adapter.removeProtectedItems({}, vendorRef, toRemove.map((i) => i.vendor_ref!).filter(Boolean));
      await this.db.run(tenantId, (tx) => tx.query(`UPDATE protected_items SET status = 'removed', updated_at = now() WHERE id = ANY($1)`, [toRemove.map((i) => i.id)]));
    }
  }

  private async delete(tenantId: string, policy: PolicyRow, adapter: BackupVendorPort): Promise<void> {
    if (policy.vendor_ref) {
      const vp = await adapter.getPolicy({}, policy.vendor_ref).catch((e) => (isVendorError(e) && e.code === 'NOT_FOUND' ? undefined : Promise.reject(e)));
      if (vp?.active) await adapter.deactivatePolicy({}, policy.vendor_ref);
      if (vp) await adapter.deletePolicy({}, policy.vendor_ref);
    }
    await this.db.run(tenantId, async (tx) => {
      await tx.query(`UPDATE protected_items SET status = 'removed', updated_at = now() WHERE policy_id = $1`, [policy.id]);
      await tx.query(`UPDATE policies SET status = 'deleted', updated_at = now() WHERE id = $1`, [policy.id]);
    });
  }

  /** Stores the vendor's view of items (matched by external id) in one statement: refs, status, per-item errors. */
  async applyItems(tx: TenantTx, policyId: string, items: VendorProtectedItem[]): Promise<void> {
    if (!items.length) return;
    await tx.query(
      `UPDATE protected_items p SET vendor_ref = COALESCE(v.vendor_ref, p.vendor_ref), vendor_status = v.vendor_status,
         status = CASE WHEN v.error_code IS NOT NULL THEN 'failed' WHEN v.protected THEN 'protected' ELSE p.status END,
         size_bytes = COALESCE(v.size_bytes, p.size_bytes), error_code = v.error_code, error_message = v.error_message, updated_at = now()
       FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[], $6::text[], $7::bigint[], $8::text[])
         AS v(external_id, vendor_ref, vendor_status, protected, error_code, size_bytes, error_message)
       WHERE p.policy_id = $1 AND p.external_id = v.external_id AND p.status IN ('pending', 'protected', 'failed')`,
      [policyId, items.map((v) => v.externalId), items.map((v) => v.vendorRef || null), items.map((v) => v.vendorStatus),
        items.map((v) => v.protected), items.map((v) => v.error?.code ?? null), items.map((v) => v.sizeBytes ?? null), items.map((v) => v.error?.message ?? null)],
    );
  }

  private async load(tenantId: string, policyId: string) {
    return this.db.run(tenantId, async (tx) => {
      const [policy] = await tx.query('SELECT * FROM policies WHERE id = $1', [policyId]) as PolicyRow[];
      const items = policy ? await tx.query(`SELECT * FROM protected_items WHERE policy_id = $1 AND status <> 'removed' ORDER BY id`, [policyId]) as ItemRow[] : [];
      const conn = policy ? await this.adapters.forConnection(tx, policy.connection_id) : undefined;
      const adapter = conn ? conn.adapter : (undefined as never);
      return { policy, items, adapter, emulated: conn ? isPolicyEmulated(conn.connection.vendor) : false };
    });
  }
}
