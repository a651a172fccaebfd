import { Processor } from '@nestjs/bullmq';
import { DelayedError, type Job } from 'bullmq';
import { QUEUES, TenantDb, policyRuleRepository, type JobPayloads } from '@bg/platform';
import { assertHandlers } from '../common/handlers';
import { ConnectionThrottle } from '../common/connection-throttle';
import { LoggedWorkerHost } from '../common/logged-worker-host';
import { WORKER_SETTINGS } from '../common/queue-options';
import { handleVendorFailure } from '../common/vendor-job';
import { PolicyRuleSyncService } from './policy-rule-sync.service';

@Processor(QUEUES.policyRules, { concurrency: 10, settings: WORKER_SETTINGS })
export class PolicyRulesProcessor extends LoggedWorkerHost {
  private readonly handlers = {
    'policy-rule.sync': (job: Job<JobPayloads['policy-rule.sync']>) =>
      this.syncer.sync(this.callContext(job), job.data.tenantId, job.data.ruleId, job.data.attempt ?? 0),
  } satisfies Record<Extract<keyof JobPayloads, `policy-rule.${string}`>, (job: Job<JobPayloads['policy-rule.sync']>) => Promise<unknown>>;

  constructor(
    private readonly syncer: PolicyRuleSyncService,
    private readonly throttle: ConnectionThrottle,
    private readonly db: TenantDb,
  ) {
    super();
    assertHandlers(QUEUES.policyRules, this.handlers);
  }

  async process(job: Job<JobPayloads['policy-rule.sync']>, token?: string): Promise<unknown> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for ${job.name}`);
    const rule = await this.db.run(job.data.tenantId, (tx) => policyRuleRepository.findById(tx, job.data.ruleId));
    if (!rule) return 'gone';
    await this.throttle.waitIfPaused(job, token, rule.connectionId);
    try {
      return await handler(job);
    } catch (e) {
      if (e instanceof DelayedError) throw e;
      await this.throttle.noteError(rule.connectionId, e);
      return handleVendorFailure(job, e, (err) => this.syncer.fail(job.data.tenantId, job.data.ruleId, err));
    }
  }
}
