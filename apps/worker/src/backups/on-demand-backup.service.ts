import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { isVendorError, type CallContext, type VendorBackupRun } from '@bg/adapters';
import { isBackupRunTerminal, systemClock, type BackupRunStatus } from '@bg/domain';
import {
  APP_CONFIG,
  QUEUES,
  TenantDb,
  backupRunRepository,
  policyRepository,
  protectedItemRepository,
  type AppConfig,
  type TenantTx,
} from '@bg/platform';
import { AdapterCache } from '../common/adapter-cache.service';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { ProtectionHealthService } from './protection-health.service';
import { runFacts } from './run-facts';

/** Polls of a running on-demand backup: BACKUP_POLL_FIRST_MS (15 s) at first, backing off 1.5x to every 5 min. */
const pollDelay = (firstMs: number, attempt: number) => Math.min(300_000, firstMs * 1.5 ** Math.min(attempt, 10));

/**
 * On-demand backups (POST .../backup): starts the run the gateway stored (queued) at the vendor, then follows it by
 * delayed poll jobs until it ends; the end moves the items' facts and their health at once. The vendor's run is
 * stored on our row (vendor ref), so the scheduled read of runs finds the same row instead of adding a second.
 */
@Injectable()
export class OnDemandBackupService {
  constructor(
    private readonly db: TenantDb,
    private readonly adapters: AdapterCache,
    private readonly health: ProtectionHealthService,
    @InjectQueue(QUEUES.backups) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: WorkerMetrics,
  ) {}

  /** A run reached a terminal state (bg_backup_runs_total). */
  private ended(status: BackupRunStatus): void {
    if (isBackupRunTerminal(status)) this.metrics.backupRuns.inc({ state: status });
  }

  async start(call: CallContext, tenantId: string, runId: string): Promise<string> {
    const ctx = await this.db.run(tenantId, async (tx) => {
      const run = await backupRunRepository.get(tx, runId);
      if (!run || run.status !== 'queued' || run.operation) return undefined;
      const policy = await policyRepository.findLive(tx, run.policyId);
      const item = run.protectedItemId ? await protectedItemRepository.findById(tx, run.protectedItemId) : undefined;
      const { adapter } = await this.adapters.forConnection(tx, run.connectionId);
      return { run, policy, item, adapter };
    });
    if (!ctx) return 'not queued';
    const { run, policy, item, adapter } = ctx;
    if (!policy?.vendorRef || (run.protectedItemId && !item?.vendorRef) || !adapter.startBackup) {
      await this.fail(tenantId, runId, 'NOT_ALLOWED_IN_STATE', 'The policy or item is no longer at the vendor.');
      return 'failed';
    }
    const started = await adapter.startBackup(call, {
      clientRef: run.id,
      policyRef: policy.vendorRef,
      itemRef: item?.vendorRef ?? undefined,
    });
    await this.db.run(tenantId, (tx) => this.record(tx, runId, started.run, started.ref));
    await this.schedulePoll(call, tenantId, runId, 0, started.run);
    this.ended(started.run.status);
    return started.run.status;
  }

  async poll(call: CallContext, tenantId: string, runId: string, attempt: number): Promise<string> {
    const ctx = await this.db.run(tenantId, async (tx) => {
      const run = await backupRunRepository.get(tx, runId);
      if (!run?.operation || isBackupRunTerminal(run.status)) return undefined;
      return { run, operation: run.operation, adapter: (await this.adapters.forConnection(tx, run.connectionId)).adapter };
    });
    if (!ctx?.adapter.getBackupRun) return 'done';
    const vendorRun = await ctx.adapter.getBackupRun(call, ctx.operation);
    const stored = await this.db.run(tenantId, async (tx) => {
      const after = await this.record(tx, runId, vendorRun);
      if (isBackupRunTerminal(after.status)) {
        const policy = await policyRepository.findById(tx, after.policyId);
        if (policy) await this.health.judge(tx, policy, ctx.adapter, systemClock.now());
      }
      return after;
    });
    if (!isBackupRunTerminal(stored.status)) await this.schedulePoll(call, tenantId, runId, attempt + 1, vendorRun);
    this.ended(stored.status);
    return stored.status;
  }

  /** Gives up on a run: failed with the error (the vendor refused to start it, or it is gone). */
  async fail(tenantId: string, runId: string, code: string, message: string): Promise<void> {
    await this.db.run(tenantId, async (tx) => {
      const run = await backupRunRepository.get(tx, runId, { forUpdate: true });
      if (!run || isBackupRunTerminal(run.status)) return;
      await backupRunRepository.recordVendor(tx, runId, {
        vendorRef: null,
        status: 'failed',
        vendorStatus: run.vendorStatus ?? 'notStarted',
        startedAt: null,
        endedAt: systemClock.now(),
        itemsProcessed: null,
        bytesProcessed: null,
        error: { code, vendorCode: null, message },
      });
      await backupRunRepository.setItemStatus(tx, runId, 'failed', { code, message });
      this.ended('failed');
    });
  }

  /** The vendor's failure of a start: its normalized code and message. */
  failure(err: unknown): { code: string; message: string } {
    return isVendorError(err)
      ? { code: err.code, message: err.message }
      : { code: 'INTERNAL', message: String((err as Error)?.message ?? err) };
  }

  private async record(tx: TenantTx, runId: string, v: VendorBackupRun, operation?: { vendorRef: string; extra?: Record<string, string> }) {
    const run = await backupRunRepository.recordVendor(tx, runId, {
      vendorRef: v.vendorRef || null,
      operation,
      ...runFacts(v),
    });
    if (v.items?.length) {
      const byRef = await protectedItemRepository.idsByVendorRef(tx, run.policyId);
      await backupRunRepository.writeItems(
        tx,
        runId,
        v.items.flatMap((o) => {
          const id = byRef.get(o.itemRef);
          return id
            ? [{ protectedItemId: id, status: o.status, error: o.error ? { code: o.error.code, message: o.error.message } : null }]
            : [];
        }),
      );
    } else {
      await backupRunRepository.setItemStatus(tx, runId, v.status, v.error ? { code: v.error.code, message: v.error.message } : null);
    }
    if (isBackupRunTerminal(run.status)) await protectedItemRepository.applyRunFacts(tx, [runId]);
    return run;
  }

  private async schedulePoll(call: CallContext, tenantId: string, runId: string, attempt: number, v: VendorBackupRun): Promise<void> {
    if (isBackupRunTerminal(v.status)) return;
    await this.queue.add(
      'backup.poll',
      { tenantId, backupRunId: runId, attempt, requestId: call.requestId },
      { jobId: `backup.poll_${runId}_${attempt}`, delay: pollDelay(this.config.BACKUP_POLL_FIRST_MS, attempt) },
    );
  }
}
