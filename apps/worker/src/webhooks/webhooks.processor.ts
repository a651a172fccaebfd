import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { QUEUES, type JobPayloads } from '@bg/platform';
import { assertHandlers } from '../common/handlers';
import { LoggedWorkerHost } from '../common/logged-worker-host';
import { IDEMPOTENT_MAX_STALLED_COUNT, WORKER_SETTINGS } from '../common/queue-options';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookFanoutService } from './webhook-fanout.service';

/**
 * The `webhooks` queue: fanout of an event to its endpoints, and delivery attempts. An HTTP failure is
 * not a job failure (it is recorded and rescheduled as a new delayed job); a job fails, and BullMQ
 * retries it, only when the database or the cipher does. A job whose worker died (stalled) runs again, up to
 * IDEMPOTENT_MAX_STALLED_COUNT times.
 */
@Processor(QUEUES.webhooks, { concurrency: 50, settings: WORKER_SETTINGS, maxStalledCount: IDEMPOTENT_MAX_STALLED_COUNT })
export class WebhooksProcessor extends LoggedWorkerHost {
  private readonly handlers = {
    'webhook.fanout': (job: Job<JobPayloads['webhook.fanout']>) =>
      this.fanout.fanout(job.data.tenantId, job.data.eventId, job.data.partnerId),
    'webhook.deliver': (job: Job<JobPayloads['webhook.deliver']>) => this.delivery.deliver(job.data.deliveryId, job.id!),
  } satisfies Record<Extract<keyof JobPayloads, `webhook.${string}`>, (job: Job) => Promise<unknown>>;

  constructor(
    private readonly fanout: WebhookFanoutService,
    private readonly delivery: WebhookDeliveryService,
  ) {
    super();
    assertHandlers(QUEUES.webhooks, this.handlers);
  }

  async process(job: Job): Promise<unknown> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for ${job.name}`);
    return handler(job);
  }
}
