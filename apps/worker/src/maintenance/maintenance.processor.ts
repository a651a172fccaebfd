import { Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectQueue, Processor } from '@nestjs/bullmq';
import { LoggedWorkerHost } from '../common/logged-worker-host';
import type { Job, Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { restoreJobIds } from '@bg/domain';
import {
  APP_CONFIG,
  QUEUES,
  auditLogRepository,
  TenantDb,
  policyRepository,
  purgeOffboardedTenants,
  restoreJobRepository as jobs,
  retentionRepository,
  type AppConfig,
  pendingWebhookFanoutRepository,
  webhookDeliveryRepository,
  type JobPayloads,
} from '@bg/platform';
import { assertHandlers } from '../common/handlers';
import { SYSTEM_DB } from '../common/worker-platform.module';
import { RestoreJobRunner } from '../restore-jobs/restore-job.runner';
import { WebhookFanoutService } from '../webhooks/webhook-fanout.service';
import { pruneRetention, type RetentionReport } from './retention-prune';

const RECONCILE_EVERY_MS = 60_000;
const REFRESH_POINTS_EVERY_MS = 10 * 60_000;
const STALE_MS = 2 * 60_000;
/** Events whose fan-out is overdue, taken over per reconcile run (the rest wait for the next run). */
const FANOUT_SWEEP_BATCH = 200;
const SYNC_BACKUPS_EVERY_MS = 5 * 60_000;
/** Expired idempotency keys are deleted this often, at most PRUNE_BATCH rows a statement. */
const PRUNE_IDEMPOTENCY_EVERY_MS = 60 * 60_000;
const PRUNE_BATCH = 10_000;
/** Events, finished webhook deliveries and rolled-up usage facts past retention: hourly, bounded per run. */
const PRUNE_RETENTION_EVERY_MS = 60 * 60_000;
/** Audit entries past AUDIT_RETENTION_DAYS are deleted this often, PRUNE_BATCH rows a statement (audit_log_prune). */
const PRUNE_AUDIT_EVERY_MS = 60 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
/** Offboarded tenants past their retention are purged this often (bounded batches, see purgeOffboardedTenants). */
const PURGE_OFFBOARDED_EVERY_MS = 60 * 60_000;

/**
 * Periodic jobs (BullMQ job schedulers, one per cluster, not per process): the reconciler that repairs
 * jobs whose progress stalled (a worker died between a vendor call and its checkpoint, a poll was
 * lost) and ends jobs past their deadline; and the periodic restore-point refresh of every policy.
 */
@Processor(QUEUES.maintenance, { concurrency: 1 })
export class MaintenanceProcessor extends LoggedWorkerHost implements OnApplicationBootstrap {
  private readonly handlers = {
    'maintenance.reconcile': async () => ({
      ...(await this.reconcile()),
      webhookFanouts: await this.sweepWebhookFanouts(),
      webhookDeliveries: await this.sweepWebhookDeliveries(),
    }),
    'maintenance.refresh-restore-points': () => this.refreshRestorePoints(),
    'maintenance.sync-backups': () => this.syncBackups(),
    'maintenance.prune-idempotency': () => this.pruneIdempotencyKeys(),
    'maintenance.prune-retention': () => this.pruneRetention(),
    'maintenance.prune-audit-log': () => this.pruneAuditLog(),
    'maintenance.purge-offboarded': () => this.purgeOffboarded(),
  } satisfies Record<Extract<keyof JobPayloads, `maintenance.${string}`>, () => Promise<unknown>>;

  constructor(
    @Inject(SYSTEM_DB) private readonly system: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: TenantDb,
    private readonly runner: RestoreJobRunner,
    private readonly fanouts: WebhookFanoutService,
    @InjectQueue(QUEUES.maintenance) private readonly queue: Queue,
    @InjectQueue(QUEUES.restoreJobs) private readonly restoreJobs: Queue,
    @InjectQueue(QUEUES.policies) private readonly policies: Queue,
    @InjectQueue(QUEUES.backups) private readonly backups: Queue,
  ) {
    super();
    assertHandlers(QUEUES.maintenance, this.handlers);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.MAINTENANCE_ENABLED) {
      await this.queue.removeJobScheduler('reconcile');
      await this.queue.removeJobScheduler('refresh-restore-points');
      await this.queue.removeJobScheduler('sync-backups');
      await this.queue.removeJobScheduler('prune-idempotency');
      await this.queue.removeJobScheduler('prune-retention');
      await this.queue.removeJobScheduler('prune-audit-log');
      await this.queue.removeJobScheduler('purge-offboarded');
      return;
    }
    await this.queue.upsertJobScheduler('reconcile', { every: RECONCILE_EVERY_MS }, { name: 'maintenance.reconcile', data: {} });
    await this.queue.upsertJobScheduler(
      'refresh-restore-points',
      { every: REFRESH_POINTS_EVERY_MS },
      { name: 'maintenance.refresh-restore-points', data: {} },
    );
    await this.queue.upsertJobScheduler('sync-backups', { every: SYNC_BACKUPS_EVERY_MS }, { name: 'maintenance.sync-backups', data: {} });
    await this.queue.upsertJobScheduler(
      'prune-idempotency',
      { every: PRUNE_IDEMPOTENCY_EVERY_MS },
      { name: 'maintenance.prune-idempotency', data: {} },
    );
    await this.queue.upsertJobScheduler(
      'prune-retention',
      { every: PRUNE_RETENTION_EVERY_MS },
      { name: 'maintenance.prune-retention', data: {} },
    );
    await this.queue.upsertJobScheduler(
      'prune-audit-log',
      { every: PRUNE_AUDIT_EVERY_MS },
      { name: 'maintenance.prune-audit-log', data: {} },
    );
    await this.queue.upsertJobScheduler(
      'purge-offboarded',
      { every: PURGE_OFFBOARDED_EVERY_MS },
      { name: 'maintenance.purge-offboarded', data: {} },
    );
  }

  async process(job: Job): Promise<unknown> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for ${job.name}`);
    return handler();
  }

  /** Finds active jobs that stopped moving and puts them back in motion, or ends them past their deadline. */
  async reconcile(staleMs = STALE_MS): Promise<{ resumed: number; expired: number }> {
    const rows = await jobs.stalled(this.system.manager, staleMs);
    let resumed = 0;
    let expired = 0;
    for (const r of rows) {
      if (r.expired) {
        await this.db.run(r.tenantId, async (tx) => {
          const job = await jobs.get(tx, r.id, { forUpdate: true });
          await jobs.update(
            tx,
            job,
            'failed',
            { error: { code: 'TIMED_OUT', message: 'The restore did not finish before its deadline.', detail: null } },
            { reason: 'deadline passed (reconciler)' },
          );
        });
        expired++;
        continue;
      }
      const submitting = r.status === 'queued' || r.status === 'submitting';
      if (submitting) {
        if (!(await this.resubmit(r.tenantId, r.id))) continue;
      } else {
        await this.runner.schedulePoll(r.tenantId, r.id, 0);
      }
      await this.db.run(r.tenantId, (tx) =>
        jobs.recordEvent(tx, r.id, 'reconciler_resumed', r.status, r.status, {
          reason: submitting
            ? 'submission made no progress: resubmitted (the vendor is asked before acting again)'
            : "no poll happened on time: the vendor is asked for the job's state now",
        }),
      );
      resumed++;
    }
    if (rows.length) this.log.log(`reconciler resumed ${resumed} and expired ${expired} restore jobs`);
    return { resumed, expired };
  }

  /**
   * Fans out the events still owed their webhook fan-out past its `sweep_after` at `now` (2 minutes after the
   * event at first): the `webhook.fanout` job was lost (failed after stalling more often than BullMQ allows, ran
   * out of attempts, lost by Redis) or is merely late, which is harmless (a fan-out is idempotent). The jobs'
   * deterministic ids would make a re-queued one a duplicate of a failed job BullMQ still keeps, so the sweep
   * runs the fan-out itself. A fan-out that fails stays owed and is tried again later. Returns how many ran.
   */
  async sweepWebhookFanouts(now: Date = new Date()): Promise<number> {
    const owed = await this.system.transaction((tx) => pendingWebhookFanoutRepository.takeOverdue(tx, now, FANOUT_SWEEP_BATCH));
    let done = 0;
    for (const f of owed) {
      try {
        await this.fanouts.fanout(f.tenantId, f.eventId, f.partnerId);
        done++;
      } catch (e) {
        this.log.warn(`fan-out of event ${f.eventId} failed in the sweep (try ${f.sweeps}): ${(e as Error).message}`);
      }
    }
    if (owed.length) this.log.log(`fanned out ${done} of ${owed.length} events whose webhook fan-out was overdue`);
    return done;
  }

  /**
   * Re-issues the attempt job of webhook deliveries overdue by more than `staleMs` (their queue job was
   * lost, or failed for good): a pending delivery never blocks its resource's later deliveries forever.
   */
  async sweepWebhookDeliveries(staleMs = STALE_MS): Promise<number> {
    return this.system.transaction(async (tx) => {
      const overdue = await webhookDeliveryRepository.lockOverdue(tx, staleMs, 1000);
      const n = await webhookDeliveryRepository.schedule(tx, overdue);
      if (n) this.log.log(`re-issued ${n} overdue webhook deliveries`);
      return n;
    });
  }

  /**
   * Puts a job's submission back in the queue under its own job id unless it is still there (a job
   * waiting for a vendor slot sits delayed and must not be doubled). Returns whether it was re-added.
   */
  private async resubmit(tenantId: string, restoreJobId: string): Promise<boolean> {
    const jobId = restoreJobIds.submit(restoreJobId);
    const existing = await this.restoreJobs.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      if (!['completed', 'failed', 'unknown'].includes(state)) return false;
      await existing.remove().catch(() => undefined);
    }
    await this.restoreJobs.add('restore-job.submit', { tenantId, restoreJobId }, { jobId });
    return true;
  }

  private async refreshRestorePoints(): Promise<number> {
    const rows = await policyRepository.settledAtVendor(this.system.manager);
    await this.policies.addBulk(
      rows.map((r) => ({
        name: 'policy.refresh',
        data: { tenantId: r.tenantId, policyId: r.id, attempt: 25 },
        opts: { jobId: `policy.refresh_${r.id}_periodic_${Date.now()}` },
      })),
    );
    return rows.length;
  }

  /**
   * Deletes idempotency keys past their expiry (a replay after it is a new request anyway), in batches of
   * PRUNE_BATCH, at most RETENTION_PRUNE_MAX_BATCHES a run (a larger backlog goes on next hour), so a large
   * backlog never holds one long statement. Returns how many went.
   */
  async pruneIdempotencyKeys(now: Date = new Date()): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < this.config.RETENTION_PRUNE_MAX_BATCHES; batch++) {
      const deleted = await retentionRepository.pruneIdempotencyKeys(this.system.manager, now, PRUNE_BATCH);
      total += deleted;
      if (deleted < PRUNE_BATCH) break;
    }
    return total;
  }

  /** Deletes rows past their retention (see pruneRetention); the report is the job's return value. */
  async pruneRetention(now: Date = new Date()): Promise<RetentionReport> {
    const report = await pruneRetention(this.system.manager, this.config, now);
    if (report.budgetExhausted) this.log.log(`retention prune hit its batch budget (${report.batches} batches); the next run goes on`);
    return report;
  }

  /**
   * Deletes audit entries older than AUDIT_RETENTION_DAYS through audit_log_prune (the one path the append-only
   * trigger lets delete, executable by the owner only), in bounded batches, oldest first. Returns how many went.
   */
  async pruneAuditLog(now: Date = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.config.AUDIT_RETENTION_DAYS * DAY_MS);
    let total = 0;
    for (;;) {
      const deleted = await auditLogRepository.prune(this.system.manager, before, PRUNE_BATCH);
      total += deleted;
      if (deleted < PRUNE_BATCH) return total;
    }
  }

  /**
   * Purges the data of tenants offboarded more than OFFBOARD_RETENTION_DAYS ago (the retention is fixed at DELETE
   * as the tenant's purge_after). Returns how many tenants were purged.
   */
  async purgeOffboarded(now: Date = new Date()): Promise<number> {
    const purged = await purgeOffboardedTenants(this.system, now);
    for (const p of purged) this.log.log(`purged offboarded tenant ${p.tenantId}: ${JSON.stringify(p.deleted)}`);
    return purged.length;
  }

  /** Queues a read of backup runs and a health judgement of every policy settled at its vendor (time alone moves RPO). */
  private async syncBackups(): Promise<number> {
    const rows = await policyRepository.settledAtVendor(this.system.manager);
    const at = Date.now();
    await this.backups.addBulk(
      rows.map((r) => ({
        name: 'backup.sync',
        data: { tenantId: r.tenantId, policyId: r.id },
        opts: { jobId: `backup.sync_${r.id}_${at}` },
      })),
    );
    return rows.length;
  }
}
