import { Processor } from '@nestjs/bullmq';
import { LoggedWorkerHost } from '../common/logged-worker-host';
import { DelayedError, type Job } from 'bullmq';
import { QUEUES, TenantDb, policyRepository, type JobPayloads } from '@bg/platform';
import { assertHandlers } from '../common/handlers';
import { ConnectionThrottle } from '../common/connection-throttle';
import { WORKER_SETTINGS } from '../common/queue-options';
import { handleVendorFailure } from '../common/vendor-job';
import { PolicyRefreshService } from './policy-refresh.service';
import { PolicySyncService } from './policy-sync.service';

@Processor(QUEUES.policies, { concurrency: 20, settings: WORKER_SETTINGS })
export class PoliciesProcessor extends LoggedWorkerHost {
  private readonly handlers = {
    'policy.sync': (job: Job) => this.syncer.sync(this.callContext(job), job.data.tenantId, job.data.policyId),
    'policy.refresh': (job: Job) =>
      this.refresher.refresh(this.callContext(job), job.data.tenantId, job.data.policyId, job.data.attempt ?? 0),
  } satisfies Record<Extract<keyof JobPayloads, `policy.${string}`>, (job: Job) => Promise<unknown>>;

  constructor(
    private readonly syncer: PolicySyncService,
    private readonly refresher: PolicyRefreshService,
    private readonly throttle: ConnectionThrottle,
    private readonly db: TenantDb,
  ) {
    super();
    assertHandlers(QUEUES.policies, this.handlers);
  }

  async process(job: Job<{ tenantId: string; policyId: string; attempt?: number }>, token?: string): Promise<unknown> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for ${job.name}`);
    const policy = await this.db.run(job.data.tenantId, (tx) => policyRepository.findById(tx, job.data.policyId));
    if (!policy) return 'gone';
    await this.throttle.waitIfPaused(job, token, policy.connectionId);
    try {
      return await handler(job);
    } catch (e) {
      if (e instanceof DelayedError) throw e;
      await this.throttle.noteError(policy.connectionId, e);
      if (job.name === 'policy.refresh') return handleVendorFailure(job, e, async () => undefined);
      return handleVendorFailure(job, e, (err) => this.syncer.fail(job.data.tenantId, job.data.policyId, err));
    }
  }
}
