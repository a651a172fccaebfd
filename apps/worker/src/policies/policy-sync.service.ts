import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { EMULATED_VENDOR_STATUS, type Policy, type ProtectedItem, type VendorId } from '@bg/domain';
import {
  isVendorError,
  vendorDescriptor,
  type BackupVendorPort,
  type CallContext,
  type ItemSpec,
  type VendorProtectedItem,
} from '@bg/adapters';
import { QUEUES, TenantDb, policyRepository, protectedItemRepository, type TenantTx } from '@bg/platform';
import { AdapterCache } from '../common/adapter-cache.service';
import { queuePolicyRefresh } from './policy-refresh.queue';

/** Whether the gateway keeps this vendor's policies itself (it has no policy API). */
export function isPolicyEmulated(vendor: VendorId): boolean {
  return vendorDescriptor(vendor).capabilities.policyEmulated === true;
}

const itemSpec = (i: ProtectedItem): ItemSpec => ({ kind: i.kind, externalId: i.externalId, displayName: i.displayName ?? undefined });

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

  async sync(call: CallContext, tenantId: string, policyId: string): Promise<void> {
    const { policy, items, adapter, emulated } = await this.load(tenantId, policyId);
    if (!policy || policy.status === 'deleted') return;
    if (emulated) return this.syncEmulated(call, tenantId, policy);
    if (policy.status === 'deleting') return this.delete(call, tenantId, policy, adapter);
    let vendorRef = policy.vendorRef;
    if (!vendorRef) {
      const pending = items.filter((i) => i.status === 'pending');
      const created = await adapter.createPolicy(call, {
        workload: policy.workload,
        displayName: policy.displayName,
        items: pending.map(itemSpec),
      });
      vendorRef = created.policy.vendorRef;
      const now = await this.db.run(tenantId, async (tx) => {
        const stored = await policyRepository.recordCreated(tx, policyId, created.policy.vendorRef, created.policy.vendorStatus);
        await this.applyItems(tx, policyId, created.items);
        return stored;
      });
      // Deleted while the vendor was creating it (the delete's own sync found no vendor ref): delete it there too.
      if (now && (now.status === 'deleting' || now.status === 'deleted')) return this.delete(call, tenantId, now, adapter);
    } else {
      await this.syncItems(call, tenantId, policyId, vendorRef, items, adapter);
      if (policy.status === 'updating') await adapter.updatePolicy(call, vendorRef, { displayName: policy.displayName });
    }
    const vendorPolicy = await adapter.getPolicy(call, vendorRef);
    const fresh = (await this.load(tenantId, policyId)).policy!;
    let vp = vendorPolicy;
    if (fresh.desiredActive && !vp.active) vp = await adapter.activatePolicy(call, vendorRef);
    if (!fresh.desiredActive && vp.active) vp = await adapter.deactivatePolicy(call, vendorRef);
    await this.db.run(tenantId, (tx) => policyRepository.settle(tx, policyId, vp.vendorStatus));
    await this.enqueueRefresh(call, tenantId, policyId);
  }

  /**
   * A vendor without a policy API (capabilities.policyEmulated): the policy lives only in our tables.
   * Items are protected as they are (the vendor backs them up on its own; vendor_ref = external_id),
   * removals and deletion are recorded, and the refresh then reads restore points for the items.
   */
  private async syncEmulated(call: CallContext, tenantId: string, policy: Policy): Promise<void> {
    const deleting = policy.status === 'deleting';
    await this.db.run(tenantId, async (tx) => {
      if (deleting) return this.markDeleted(tx, policy.id);
      await protectedItemRepository.settleEmulated(tx, policy.id, EMULATED_VENDOR_STATUS);
      await policyRepository.settleEmulated(tx, policy.id, EMULATED_VENDOR_STATUS);
    });
    if (!deleting) await this.enqueueRefresh(call, tenantId, policy.id);
  }

  /** The refresh that reads the items' restore points, as part of the same request (CallContext.requestId). */
  private async enqueueRefresh(call: CallContext, tenantId: string, policyId: string): Promise<void> {
    await queuePolicyRefresh(this.queue, call, tenantId, policyId, 0, 500);
  }

  /** Records a policy the vendor refused for good. */
  async fail(tenantId: string, policyId: string, err: unknown): Promise<void> {
    const code = isVendorError(err) ? err.code : ((err as { code?: string })?.code ?? 'INTERNAL');
    await this.db.run(tenantId, (tx) =>
      policyRepository.recordFailure(tx, policyId, { code, message: err instanceof Error ? err.message : String(err) }),
    );
  }

  private async syncItems(
    call: CallContext,
    tenantId: string,
    policyId: string,
    vendorRef: string,
    items: ProtectedItem[],
    adapter: BackupVendorPort,
  ): Promise<void> {
    const toAdd = items.filter((i) => i.status === 'pending' && !i.vendorRef);
    if (toAdd.length) {
      const added = await adapter.addProtectedItems(call, vendorRef, toAdd.map(itemSpec));
      await this.db.run(tenantId, (tx) => this.applyItems(tx, policyId, added));
    }
    const toRemove = items.filter((i) => i.status === 'removing');
    if (toRemove.length) {
      await adapter.removeProtectedItems(call, vendorRef, toRemove.map((i) => i.vendorRef!).filter(Boolean));
      await this.db.run(tenantId, (tx) =>
        protectedItemRepository.markRemoved(
          tx,
          toRemove.map((i) => i.id),
        ),
      );
    }
  }

  private async delete(call: CallContext, tenantId: string, policy: Policy, adapter: BackupVendorPort): Promise<void> {
    if (policy.vendorRef) {
      const vp = await adapter
        .getPolicy(call, policy.vendorRef)
        .catch((e) => (isVendorError(e) && e.code === 'NOT_FOUND' ? undefined : Promise.reject(e)));
      if (vp?.active) await adapter.deactivatePolicy(call, policy.vendorRef);
      if (vp) await adapter.deletePolicy(call, policy.vendorRef);
    }
    await this.db.run(tenantId, (tx) => this.markDeleted(tx, policy.id));
  }

  private async markDeleted(tx: TenantTx, policyId: string): Promise<void> {
    await protectedItemRepository.removeAllOfPolicy(tx, policyId);
    await policyRepository.markDeleted(tx, policyId);
  }

  /** Stores the vendor's view of items (matched by external id) in one statement: refs, status, per-item errors. */
  async applyItems(tx: TenantTx, policyId: string, items: VendorProtectedItem[]): Promise<void> {
    await protectedItemRepository.applyVendorView(tx, policyId, items);
  }

  private async load(tenantId: string, policyId: string) {
    return this.db.run(tenantId, async (tx) => {
      const policy = await policyRepository.findById(tx, policyId);
      const items = policy ? await protectedItemRepository.listLiveOfPolicy(tx, policyId) : [];
      const conn = policy ? await this.adapters.forConnection(tx, policy.connectionId) : undefined;
      const adapter = conn ? conn.adapter : (undefined as never);
      return { policy, items, adapter, emulated: conn ? isPolicyEmulated(conn.connection.vendor) : false };
    });
  }
}
