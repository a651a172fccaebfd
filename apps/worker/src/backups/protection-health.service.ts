import { Injectable } from '@nestjs/common';
import type { BackupVendorPort, CallContext, VendorBackupRun } from '@bg/adapters';
import { judgeProtection, policyHealth, systemClock, type Policy, type ProtectionState } from '@bg/domain';
import {
  TenantDb,
  backupRunRepository,
  policyRepository,
  protectedItemRepository,
  type ObservedBackupRun,
  type TenantTx,
} from '@bg/platform';
import { AdapterCache } from '../common/adapter-cache.service';
import { allPages } from '../common/pages';
import { runFacts } from './run-facts';

/** Runs are read again this far back from the last read, so a run that was still going then is seen ending. */
const RUN_OVERLAP_MS = 24 * 60 * 60_000;
/** The first read of a policy's runs goes this far back from its creation. */
const FIRST_READ_BACK_MS = 24 * 60 * 60_000;

/**
 * Protection health of a policy's items: reads the vendor's backup runs (where it reports them) into backup_runs,
 * moves each item's last-run facts, judges every live item against the policy's RPO (protection-health.ts in the
 * domain) and derives the policy's health. Vendors without runs are judged from item status and restore-point
 * recency alone (capabilities.health.backupRuns 'none').
 */
@Injectable()
export class ProtectionHealthService {
  constructor(
    private readonly db: TenantDb,
    private readonly adapters: AdapterCache,
  ) {}

  /** Reads the runs and judges; `now` is the judgement's time (the system clock unless a test drives it). */
  async sync(
    call: CallContext,
    tenantId: string,
    policyId: string,
    now: Date = systemClock.now(),
  ): Promise<{ runs: number; changed: number }> {
    const ctx = await this.db.run(tenantId, async (tx) => {
      const policy = await policyRepository.findLive(tx, policyId);
      if (!policy?.vendorRef) return undefined;
      const { adapter } = await this.adapters.forConnection(tx, policy.connectionId);
      const synced = await policyRepository.runsSyncedAt(tx, policyId);
      const items = await protectedItemRepository.listLiveOfPolicy(tx, policyId);
      return { policy, vendorRef: policy.vendorRef, adapter, synced, items };
    });
    if (!ctx) return { runs: 0, changed: 0 };
    const { policy, adapter } = ctx;
    let vendorRuns: VendorBackupRun[] | undefined;
    if (adapter.listBackupRuns && adapter.capabilities.operations.includes('backupRun.list')) {
      const since = new Date((ctx.synced ?? policy.createdAt).getTime() - (ctx.synced ? RUN_OVERLAP_MS : FIRST_READ_BACK_MS));
      const itemRefs = ctx.items.map((i) => i.vendorRef).filter((r): r is string => !!r);
      vendorRuns = await allPages<VendorBackupRun>((page) =>
        adapter.listBackupRuns!(call, { policyRef: ctx.vendorRef, itemRefs, since }, page),
      );
    }
    return this.db.run(tenantId, async (tx) => {
      let runIds: string[] = [];
      if (vendorRuns) {
        const observed = await this.resolve(tx, policyId, vendorRuns);
        runIds = await backupRunRepository.upsertObserved(tx, policy.connectionId, policyId, observed);
        await protectedItemRepository.applyRunFacts(tx, runIds);
      }
      const changed = await this.judge(tx, policy, adapter, now, vendorRuns ? now : undefined, runIds.length > 0);
      return { runs: runIds.length, changed };
    });
  }

  /** Judges the policy's live items and stores states that changed, then the policy's health. Returns how many changed state. */
  async judge(
    tx: TenantTx,
    policy: Policy,
    adapter: Pick<BackupVendorPort, 'capabilities'>,
    now: Date,
    runsSyncedAt?: Date,
    runsChanged = false,
  ): Promise<number> {
    const fresh = (await policyRepository.findById(tx, policy.id)) ?? policy;
    const rpoMinutes = fresh.rpoMinutes ?? adapter.capabilities.health.defaultRpoMinutes;
    const items = await protectedItemRepository.listHealthFacts(tx, policy.id);
    const policyActive = fresh.desiredActive && fresh.status !== 'inactive';
    const judged = items.map((i) => {
      const j = judgeProtection({
        itemStatus: i.status,
        policyActive,
        vendorUnprotected: i.protection.vendorUnprotected,
        itemError: i.error?.message ?? null,
        lastRunStatus: i.protection.lastRunStatus,
        lastRunError: i.protection.lastRunError?.message ?? null,
        lastSuccessfulBackupAt: i.protection.lastSuccessfulBackupAt,
        latestRestorePointAt: i.newestPointAt,
        protectedSince: i.createdAt,
        rpoMinutes,
        now,
      });
      return { id: i.id, state: j.state, reason: j.reason, latestRestorePointAt: i.newestPointAt };
    });
    const changed = await protectedItemRepository.writeProtection(tx, judged, now);
    const counts: Partial<Record<ProtectionState, number>> = {};
    for (const j of judged) counts[j.state] = (counts[j.state] ?? 0) + 1;
    await policyRepository.recordHealth(tx, policy.id, policyHealth(counts, policyActive), now, runsSyncedAt, runsChanged);
    return changed;
  }

  /** The vendor's runs with our item ids: a run's own items, its one item, or (neither reported) every live item. */
  private async resolve(tx: TenantTx, policyId: string, runs: VendorBackupRun[]): Promise<ObservedBackupRun[]> {
    const byRef = await protectedItemRepository.idsByVendorRef(tx, policyId);
    const live = (await protectedItemRepository.listLiveOfPolicy(tx, policyId)).filter((i) => i.status !== 'pending').map((i) => i.id);
    return runs.map((r) => {
      const own = r.itemRef ? byRef.get(r.itemRef) : undefined;
      const outcomes = r.items
        ? r.items.flatMap((o) => {
            const id = byRef.get(o.itemRef);
            return id
              ? [{ protectedItemId: id, status: o.status, error: o.error ? { code: o.error.code, message: o.error.message } : null }]
              : [];
          })
        : (own ? [own] : r.itemRef ? [] : live).map((id) => ({
            protectedItemId: id,
            status: r.status,
            error: r.error ? { code: r.error.code, message: r.error.message } : null,
          }));
      return {
        vendorRef: r.vendorRef,
        protectedItemId: own ?? null,
        onDemand: r.onDemand ?? false,
        ...runFacts(r),
        items: outcomes,
      };
    });
  }
}
