import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { BackupVendorPort, CallContext, VendorProtectedItem, VendorRestorePoint } from '@bg/adapters';
import { QUEUES, TenantDb, policyRepository, protectedItemRepository, restorePointRepository, type TenantTx } from '@bg/platform';
import { AdapterCache } from '../common/adapter-cache.service';
import { allPages } from '../common/pages';
import { queuePolicyRefresh } from './policy-refresh.queue';
import { isPolicyEmulated, PolicySyncService } from './policy-sync.service';

const MAX_REFRESH_ATTEMPTS = 30;
const REFS_PER_CALL = 50;

/**
 * Reads a policy's items and restore points back from the vendor into our tables (the gateway never
 * calls a vendor, so this is how restore points become listable). Re-runs with backoff while items are
 * still being protected; the maintenance queue refreshes settled policies periodically.
 */
@Injectable()
export class PolicyRefreshService {
  constructor(
    private readonly db: TenantDb,
    private readonly adapters: AdapterCache,
    private readonly sync: PolicySyncService,
    @InjectQueue(QUEUES.policies) private readonly queue: Queue,
  ) {}

  async refresh(call: CallContext, tenantId: string, policyId: string, attempt: number): Promise<void> {
    const ctx = await this.db.run(tenantId, async (tx) => {
      const policy = await policyRepository.findLive(tx, policyId);
      if (!policy?.vendorRef) return undefined;
      const { adapter, connection } = await this.adapters.forConnection(tx, policy.connectionId);
      // An emulated policy has no vendor side: its protected items, with vendor_ref = external_id, are the refs.
      const emulatedRefs = isPolicyEmulated(connection.vendor)
        ? await protectedItemRepository.protectedVendorRefs(tx, policyId)
        : undefined;
      return { policy, vendorRef: policy.vendorRef, adapter, emulatedRefs };
    });
    if (!ctx) return;
    const { policy, vendorRef, adapter, emulatedRefs } = ctx;
    const points = await this.fetchPoints(
      call,
      adapter,
      emulatedRefs ?? (await this.readVendorItems(call, tenantId, policyId, vendorRef, adapter)),
    );
    const pending = await this.db.run(tenantId, async (tx) => {
      await this.storePoints(tx, policy.connectionId, policyId, points);
      return protectedItemRepository.countAwaitingFirstPoint(tx, policyId);
    });
    if (pending > 0 && attempt < MAX_REFRESH_ATTEMPTS) {
      await queuePolicyRefresh(this.queue, call, tenantId, policyId, attempt + 1, Math.min(60_000, 500 * 1.5 ** attempt));
    }
  }

  /** Stores the vendor's view of the policy's items and returns the refs of the protected ones. */
  private async readVendorItems(
    call: CallContext,
    tenantId: string,
    policyId: string,
    policyRef: string,
    adapter: BackupVendorPort,
  ): Promise<string[]> {
    const vendorItems = await allPages<VendorProtectedItem>((page) => adapter.listProtectedItems(call, policyRef, page));
    await this.db.run(tenantId, (tx) => this.sync.applyItems(tx, policyId, vendorItems));
    return vendorItems.filter((i) => i.protected).map((i) => i.vendorRef);
  }

  private async fetchPoints(call: CallContext, adapter: BackupVendorPort, refs: string[]): Promise<VendorRestorePoint[]> {
    const out: VendorRestorePoint[] = [];
    for (let i = 0; i < refs.length; i += REFS_PER_CALL) {
      const chunk = refs.slice(i, i + REFS_PER_CALL);
      out.push(...(await allPages<VendorRestorePoint>((page) => adapter.listRestorePoints(call, { protectedItemRefs: chunk }, page))));
    }
    return out;
  }

  /** Stores, in one statement, the points of the policy's items not stored yet (points of items we do not know are dropped). */
  private async storePoints(tx: TenantTx, connectionId: string, policyId: string, points: VendorRestorePoint[]): Promise<void> {
    if (!points.length) return;
    const byRef = await protectedItemRepository.idsByVendorRef(tx, policyId);
    await restorePointRepository.insertIfAbsent(
      tx,
      points.flatMap((p) => {
        const protectedItemId = byRef.get(p.protectedItemRef);
        return protectedItemId
          ? [
              {
                connectionId,
                protectedItemId,
                vendorRef: p.vendorRef,
                pointInTime: p.pointInTime,
                expiresAt: p.expiresAt ?? null,
                tags: p.tags,
              },
            ]
          : [];
      }),
    );
  }
}
