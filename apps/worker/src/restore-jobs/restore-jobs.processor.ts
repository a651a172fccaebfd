import { Processor } from '@nestjs/bullmq';
import { LoggedWorkerHost } from '../common/logged-worker-host';
import { DelayedError, type Job } from 'bullmq';
import { QUEUES, type JobPayloads } from '@bg/platform';
import { ConnectionThrottle } from '../common/connection-throttle';
import { handleVendorFailure } from '../common/vendor-job';
import { WORKER_SETTINGS } from '../common/queue-options';
import { assertHandlers } from '../common/handlers';
import { RestoreJobRunner } from './restore-job.runner';

const SLOT_WAIT_MS = 2000;

@Processor(QUEUES.restoreJobs, { concurrency: 50, settings: WORKER_SETTINGS })
export class RestoreJobsProcessor extends LoggedWorkerHost {
  private readonly handlers = {
    'restore-job.submit': (job: Job, token?: string) => this.submit(job, token),
    'restore-job.poll': (job: Job) => this.runner.poll(job.data.tenantId, job.data.restoreJobId, job.data.attempt ?? 0),
    'restore-job.cancel': (job: Job) => this.runner.cancel(job.data.tenantId, job.data.restoreJobId),
  } satisfies Record<Extract<keyof JobPayloads, `restore-job.${string}`>, (job: Job, token?: string) => Promise<unknown>>;

  constructor(private readonly runner: RestoreJobRunner, private readonly throttle: ConnectionThrottle) {
    super();
    assertHandlers(QUEUES.restoreJobs, this.handlers);
  }

  async process(job: Job<{ tenantId: string; restoreJobId: string }>, token?: string): Promise<unknown> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for ${job.name}`);
    const connectionId = await this.runner.connectionOf(job.data.tenantId, job.data.restoreJobId);
    await this.throttle.waitIfPaused(job, token, connectionId);
    try {
      return await handler(job, token);
    } catch (e) {
      if (e instanceof DelayedError) throw e;
      await this.throttle.noteError(connectionId, e);
      return handleVendorFailure(job, e, (err) => this.runner.fail(job.data.tenantId, job.data.restoreJobId, err));
    }
  }

  private async submit(job: Job, token?: string): Promise<unknown> {
    const outcome = await this.runner.submit(job.data.tenantId, job.data.restoreJobId);
    if (outcome === 'wait') {
      await job.moveToDelayed(Date.now() + SLOT_WAIT_MS, token);
      throw new DelayedError();
    }
    return outcome;
  }
}
