import { Processor } from '@nestjs/bullmq';
import { DelayedError, type Job } from 'bullmq';
import { QUEUES, TenantDb, backupRunRepository, policyRepository, type JobPayloads } from '@bg/platform';
import { assertHandlers } from '../common/handlers';
import { ConnectionThrottle } from '../common/connection-throttle';
import { LoggedWorkerHost } from '../common/logged-worker-host';
import { WORKER_SETTINGS } from '../common/queue-options';
import { handleVendorFailure } from '../common/vendor-job';
import { OnDemandBackupService } from './on-demand-backup.service';
import { ProtectionHealthService } from './protection-health.service';

type BackupJob = Job<{ tenantId: string; policyId?: string; backupRunId?: string; attempt?: number; requestId?: string }>;

/** Protection health: reading backup runs and judging items (backup.sync), on-demand runs (backup.start / backup.poll). */
@Processor(QUEUES.backups, { concurrency: 20, settings: WORKER_SETTINGS })
export class BackupsProcessor extends LoggedWorkerHost {
  private readonly handlers = {
    'backup.sync': (job: BackupJob) => this.health.sync(this.callContext(job), job.data.tenantId, job.data.policyId!),
    'backup.start': (job: BackupJob) => this.onDemand.start(this.callContext(job), job.data.tenantId, job.data.backupRunId!),
    'backup.poll': (job: BackupJob) =>
      this.onDemand.poll(this.callContext(job), job.data.tenantId, job.data.backupRunId!, job.data.attempt ?? 0),
  } satisfies Record<Extract<keyof JobPayloads, `backup.${string}`>, (job: BackupJob) => Promise<unknown>>;

  constructor(
    private readonly health: ProtectionHealthService,
    private readonly onDemand: OnDemandBackupService,
    private readonly throttle: ConnectionThrottle,
    private readonly db: TenantDb,
  ) {
    super();
    assertHandlers(QUEUES.backups, this.handlers);
  }

  async process(job: BackupJob, token?: string): Promise<unknown> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for ${job.name}`);
    const connectionId = await this.connectionOf(job);
    if (!connectionId) return 'gone';
    await this.throttle.waitIfPaused(job, token, connectionId);
    try {
      return await handler(job);
    } catch (e) {
      if (e instanceof DelayedError) throw e;
      await this.throttle.noteError(connectionId, e);
      if (job.name !== 'backup.start') return handleVendorFailure(job, e, async () => undefined);
      return handleVendorFailure(job, e, async (err) => {
        const { code, message } = this.onDemand.failure(err);
        await this.onDemand.fail(job.data.tenantId, job.data.backupRunId!, code, message);
      });
    }
  }

  private connectionOf(job: BackupJob): Promise<string | undefined> {
    return this.db.run(job.data.tenantId, async (tx) => {
      if (job.data.policyId) return (await policyRepository.findById(tx, job.data.policyId))?.connectionId;
      return (await backupRunRepository.get(tx, job.data.backupRunId!))?.connectionId;
    });
  }
}
