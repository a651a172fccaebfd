import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { newId } from '@bg/domain';
import type { BackupVendorPort, VendorProtectedItem, VendorRestorePoint } from '@bg/adapters';
import { QUEUES, TenantDb } from '@bg/platform';
import { AdapterCache } from '../common/adapter-cache.service';
import { isPolicyEmulated, PolicySyncService } from './policy-sync.service';

const MAX_REFRESH_ATTEMPTS = 30;
const REFS_PER_CALL = 50;

async function all<T>(fetch: (page?: string) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const out: T[] = [];
  let next: string | undefined;
  do {
    const page = await fetch(next);
    out.push(...page.items);
    next = page.next;
  } while (next);
  return out;
}

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

  async refresh(tenantId: string, policyId: string, attempt: number): Promise<void> {
    const ctx = await this.db.run(tenantId, async (tx) => {
      const [policy] = await tx.query(`SELECT * FROM policies WHERE id = $1 AND status NOT IN ('deleted', 'deleting', 'failed')`, [policyId]);
      if (!policy?.vendor_ref) return undefined;
      const { adapter, connection } = await this.adapters.forConnection(tx, policy.connection_id);
      // An emulated policy has no vendor side: its protected items, with vendor_ref = external_id, are the refs.
      const emulatedRefs = isPolicyEmulated(connection.vendor)
        ? (await tx.query(`SELECT vendor_ref FROM protected_items WHERE policy_id = $1 AND status = 'protected' AND vendor_ref IS NOT NULL ORDER BY id`, [policyId]) as Array<{ vendor_ref: string }>).map((i) => i.vendor_ref)
        : undefined;
      return { policy, adapter, emulatedRefs };
    });
    if (!ctx) return;
    const { policy, adapter, emulatedRefs } = ctx;
    const points = await this.fetchPoints(adapter, emulatedRefs ?? await this.readVendorItems(tenantId, policyId, policy.vendor_ref, adapter));
    const pending = await this.db.run(tenantId, async (tx) => {
      await this.storePoints(tx, policy.connection_id, policyId, points);
      const [{ n }] = await tx.query(
        `SELECT count(*)::int AS n FROM protected_items i WHERE i.policy_id = $1 AND i.status IN ('pending', 'protected')
           AND (i.status = 'pending' OR NOT EXISTS (SELECT 1 FROM restore_points rp WHERE rp.protected_item_id = i.id))`, [policyId]);
      return n as number;
    });
    if (pending > 0 && attempt < MAX_REFRESH_ATTEMPTS) {
      const delay = Math.min(60_000, 500 * 1.5 ** attempt);
      await this.queue.add('policy.refresh', { tenantId, policyId, attempt: attempt + 1 }, { jobId: `policy.refresh_${policyId}_${attempt + 1}_${Date.now()}`, delay });
    }
  }

  /** Stores the vendor's view of the policy's items and returns the refs of the protected ones. */
  private async readVendorItems(tenantId: string, policyId: string, policyRef: string, adapter: BackupVendorPort): Promise<string[]> {
    const vendorItems = await all<VendorProtectedItem>((page) => adapter.listProtectedItems({}, policyRef, page));
    await this.db.run(tenantId, (tx) => this.sync.applyItems(tx, policyId, vendorItems));
    return vendorItems.filter((i) => i.protected).map((i) => i.vendorRef);
  }

  private async fetchPoints(adapter: BackupVendorPort, refs: string[]): Promise<VendorRestorePoint[]> {
    const out: VendorRestorePoint[] = [];
    for (let i = 0; i < refs.length; i += REFS_PER_CALL) {
      const chunk = refs.slice(i, i + REFS_PER_CALL);
      out.push(...await all<VendorRestorePoint>((page) => adapter.listRestorePoints({}, { protectedItemRefs: chunk }, page)));
    }
    return out;
  }

  private async storePoints(tx: Parameters<PolicySyncService['applyItems']>[0], connectionId: string, policyId: string, points: VendorRestorePoint[]): Promise<void> {
    if (!points.length) return;
    const items: Array<{ id: string; vendor_ref: string }> = await tx.query(`SELECT id, vendor_ref FROM protected_items WHERE policy_id = $1 AND vendor_ref IS NOT NULL`, [policyId]);
    const byRef = new Map(items.map((i) => [i.vendor_ref, i.id]));
    const rows = points.filter((p) => byRef.has(p.protectedItemRef));
    if (!rows.length) return;
    await tx.query(
      `INSERT INTO restore_points (id, tenant_id, connection_id, protected_item_id, vendor_ref, point_in_time, expires_at, tags)
       SELECT id, tenant_id, connection_id, protected_item_id, vendor_ref, point_in_time, expires_at,
              CASE WHEN tags_csv = '' THEN '{}'::text[] ELSE string_to_array(tags_csv, ',') END
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[])
           AS t(id, tenant_id, connection_id, protected_item_id, vendor_ref, point_in_time, expires_at, tags_csv)
       ON CONFLICT (protected_item_id, vendor_ref) DO NOTHING`,
      [
        rows.map(() => newId()), rows.map(() => tx.tenantId), rows.map(() => connectionId), rows.map((p) => byRef.get(p.protectedItemRef)),
        rows.map((p) => p.vendorRef), rows.map((p) => p.pointInTime.toISOString()), rows.map((p) => p.expiresAt?.toISOString() ?? null),
        rows.map((p) => p.tags.join(',')),
      ],
    );
  }
}
