import { Processor } from '@nestjs/bullmq';
import { LoggedWorkerHost } from '../common/logged-worker-host';
import { DelayedError, type Job } from 'bullmq';
import { isVendorError, type VendorError } from '@bg/adapters';
import { Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, QUEUES, type AppConfig, type JobPayloads } from '@bg/platform';
import { ConnectionThrottle } from '../common/connection-throttle';
import { handleVendorFailure } from '../common/vendor-job';
import { IDEMPOTENT_MAX_STALLED_COUNT, WORKER_SETTINGS, vendorBackoff } from '../common/queue-options';
import { assertHandlers } from '../common/handlers';
import { RestoreJobRunner } from './restore-job.runner';

/**
 * A job waiting for a vendor slot is woken when a slot frees (RestoreJobRunner.wakeWaiting); this
 * periodic re-check is only the safety net.
 */
const SLOT_RECHECK_MS = 30_000;

// A submission, poll or cancel whose worker died is taken up again however often that happened: every handler asks
// the vendor before acting again (past BullMQ's default of one stall the job failed for good and waited for the
// reconciler, 2-3 min; found by the worker-kill drill).
@Processor(QUEUES.restoreJobs, { concurrency: 50, settings: WORKER_SETTINGS, maxStalledCount: IDEMPOTENT_MAX_STALLED_COUNT })
export class RestoreJobsProcessor extends LoggedWorkerHost implements OnApplicationBootstrap {
  private readonly handlers = {
    'restore-job.submit': (job: Job, token?: string) => this.submit(job, token),
    'restore-job.poll': (job: Job) => this.runner.pollConnection(job.data.tenantId, job.data.connectionId),
    'restore-job.cancel': (job: Job) => this.runner.cancel(job.data),
  } satisfies Record<Extract<keyof JobPayloads, `restore-job.${string}`>, (job: Job, token?: string) => Promise<unknown>>;

  constructor(
    private readonly runner: RestoreJobRunner,
    private readonly throttle: ConnectionThrottle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
    assertHandlers(QUEUES.restoreJobs, this.handlers);
  }

  /** Restore jobs run WORKER_CONCURRENCY at a time per worker process. */
  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.WORKER_CONCURRENCY;
  }

  async process(
    job: Job<{ tenantId: string; restoreJobId?: string; connectionId?: string; requestId?: string }>,
    token?: string,
  ): Promise<unknown> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for ${job.name}`);
    const { tenantId, restoreJobId } = job.data;
    const connectionId = job.data.connectionId ?? (await this.runner.connectionOf(tenantId, restoreJobId!));
    await this.throttle.waitIfPaused(job, token, connectionId);
    try {
      return await handler(job, token);
    } catch (e) {
      if (e instanceof DelayedError) throw e;
      await this.throttle.noteError(connectionId, e);
      // A poll tick's failures are per job (handled inside); anything else retries the tick.
      if (!restoreJobId) throw e;
      if (job.name === 'restore-job.submit' && isVendorError(e) && e.retryable) return this.waitToRetry(job, token, e);
      return handleVendorFailure(job, e, (err) => this.runner.fail(tenantId, restoreJobId, err));
    }
  }

  /**
   * A retryable vendor refusal of a submission waits and is tried again without using up an attempt (never a failed
   * job): after the vendor's Retry-After when it gave one, else the vendor-work backoff (1 s doubling to 5 min).
   */
  private async waitToRetry(job: Job, token: string | undefined, e: VendorError): Promise<unknown> {
    const retries = Number(job.data.vendorRetries ?? 0);
    const delayMs = vendorBackoff(retries + 1, undefined, e);
    if (!(await this.runner.noteRetryWait(job.data.tenantId, job.data.restoreJobId, e, delayMs, retries + 1))) return 'done';
    await job.updateData({ ...job.data, vendorRetries: retries + 1 });
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  }

  private async submit(job: Job, token?: string): Promise<unknown> {
    const outcome = await this.runner.submit(job.data);
    if (outcome === 'wait') {
      await job.moveToDelayed(Date.now() + SLOT_RECHECK_MS, token);
      throw new DelayedError();
    }
    return outcome;
  }
}
