import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { WebhookDelivery } from '@bg/domain';
import {
  APP_CONFIG,
  CredentialCipher,
  TenantDb,
  eventRepository,
  toEventResource,
  webhookDeliveryRepository,
  webhookEndpointRepository,
  type AppConfig,
  type PartnerTx,
} from '@bg/platform';
import { SYSTEM_DB } from '../common/worker-platform.module';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { eventMessageBody, signedHeaders } from './webhook-message';
import { attemptError, decideOutcome, type AttemptOutcome } from './webhook-outcome';
import { WebhookSender, type SendResult } from './webhook-sender';

const deliveries = webhookDeliveryRepository;
const endpoints = webhookEndpointRepository;

/** An attempt ready to go out, prepared (and checked) in a transaction, sent outside it. */
interface Send {
  kind: 'send';
  delivery: WebhookDelivery;
  url: string;
  body: string;
  secrets: string[];
}
type Plan = Send | { kind: 'superseded' | 'waiting' | 'endpoint-off' };

/**
 * `webhook.deliver`: one attempt of one delivery, recorded, then what follows it — the next attempt as
 * a delayed job (through the outbox, in the same transaction as the record), or the delivery's end and
 * the next pending delivery of the same endpoint and resource started.
 *
 * Order per (endpoint, resource): an attempt does not go out while an earlier delivery of the resource
 * (by event) is pending; the delivery then waits with no job until that one ends and starts it. A
 * transaction-scoped advisory lock on (endpoint, resource) makes "wait" and "start the next" exclusive,
 * so no start is lost. The lock is taken before any row lock, in every transaction that takes it.
 *
 * Only the job named in `scheduled_job_id` may attempt: a job superseded by a manual retry or a
 * reschedule ends without sending. A worker that dies mid-attempt leaves the job to BullMQ's stalled
 * check, which runs it again (at least once).
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly log = new Logger('WebhookDelivery');

  constructor(
    @Inject(SYSTEM_DB) private readonly system: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: TenantDb,
    private readonly cipher: CredentialCipher,
    private readonly sender: WebhookSender,
    private readonly metrics: WorkerMetrics,
  ) {}

  async deliver(deliveryId: string, jobId: string): Promise<string> {
    // The job carries only the delivery id; its partner decides the row-level-security scope of the rest.
    const partnerId = await deliveries.partnerOf(this.system, deliveryId);
    if (!partnerId) return 'missing';
    const plan = await this.db.runAsPartner(partnerId, (tx) => this.prepare(tx, deliveryId, jobId));
    if (plan.kind !== 'send') return plan.kind;
    const at = new Date();
    const result = await this.sender.send(plan.url, plan.body, signedHeaders(plan.secrets, plan.delivery.messageId, at, plan.body));
    const outcome = decideOutcome(result, plan.delivery.scheduleStep + 1, this.config.WEBHOOK_RETRY_SCHEDULE);
    const disabled = await this.db.runAsPartner(partnerId, (tx) => this.record(tx, plan, jobId, result, outcome, at));
    this.metrics.webhookDeliveries.inc({ outcome: outcome.kind });
    // The delivery row is written with its event (fan-out), so its age is the event's lag.
    if (outcome.kind === 'succeeded') this.metrics.webhookLag.observe(Math.max(0, (Date.now() - plan.delivery.createdAt.getTime()) / 1000));
    if (disabled) {
      this.log.warn(`webhook endpoint ${plan.delivery.endpointId} disabled: ${disabled}`);
      await this.db.runAsPartner(partnerId, (tx) => deliveries.failPending(tx, plan.delivery.endpointId, `endpoint disabled: ${disabled}`));
    }
    return outcome.kind;
  }

  private async prepare(tx: PartnerTx, deliveryId: string, jobId: string): Promise<Plan> {
    const key = await deliveries.orderKey(tx, deliveryId);
    if (!key) return { kind: 'superseded' };
    await deliveries.lockOrder(tx, key.endpointId, key.resourceId);
    const delivery = await deliveries.lock(tx, deliveryId);
    if (!delivery || delivery.status !== 'pending' || delivery.scheduledJobId !== jobId) return { kind: 'superseded' };
    const target = await endpoints.loadForDelivery(tx, this.cipher, delivery.endpointId);
    if (!target) throw new Error(`webhook endpoint ${delivery.endpointId} of delivery ${delivery.id} is missing`);
    const { endpoint } = target;
    if (!endpoint.enabled || endpoint.deletedAt) {
      await this.finish(tx, delivery, 'failed', endpoint.deletedAt ? 'endpoint deleted' : 'endpoint disabled');
      return { kind: 'endpoint-off' };
    }
    if (delivery.resourceId && (await deliveries.hasEarlierPending(tx, delivery))) {
      await deliveries.park(tx, delivery.id);
      return { kind: 'waiting' };
    }
    return { kind: 'send', delivery, url: endpoint.url, body: await this.body(tx, delivery), secrets: target.secrets() };
  }

  /**
   * Records the attempt and applies its outcome. Returns the reason when the endpoint was disabled by
   * it (410, or failing for longer than WEBHOOK_DISABLE_AFTER_HOURS).
   */
  private async record(
    tx: PartnerTx,
    plan: Send,
    jobId: string,
    result: SendResult,
    outcome: AttemptOutcome,
    at: Date,
  ): Promise<string | undefined> {
    const d = plan.delivery;
    await deliveries.lockOrder(tx, d.endpointId, d.resourceId);
    const current = await deliveries.lock(tx, d.id);
    if (!current) throw new Error(`webhook delivery ${d.id} is missing`);
    const error = attemptError(result);
    await deliveries.recordAttempt(tx, d, {
      attempt: current.attemptCount + 1,
      url: plan.url,
      statusCode: result.statusCode ?? null,
      durationMs: result.durationMs,
      error,
      responseExcerpt: result.excerpt ?? null,
      attemptedAt: at,
    });
    // A manual retry during this attempt took the delivery over: record only, its job decides what follows.
    const stillOurs = current.status === 'pending' && current.scheduledJobId === jobId;
    await deliveries.countAttempt(tx, d.id, result.statusCode ?? null, error, stillOurs);
    if (outcome.kind === 'succeeded') {
      await this.finish(tx, current, 'succeeded', null);
      await endpoints.clearFailing(tx, d.endpointId);
      return undefined;
    }
    if (stillOurs && outcome.kind === 'retry') await deliveries.schedule(tx, [d.id], outcome.delayMs);
    if (stillOurs && outcome.kind === 'failed') await this.finish(tx, current, 'failed', error);
    return this.noteFailure(tx, d.endpointId, outcome.kind === 'failed' ? outcome.disableReason : undefined);
  }

  /** Sets failing_since on the first failure; disables the endpoint on 410 or when failing too long. */
  private async noteFailure(tx: PartnerTx, endpointId: string, disableReason: string | undefined): Promise<string | undefined> {
    const failingHours = await endpoints.noteFailing(tx, endpointId);
    const hours = this.config.WEBHOOK_DISABLE_AFTER_HOURS;
    const reason = disableReason ?? (failingHours > hours ? `deliveries kept failing for more than ${hours} hours` : undefined);
    if (!reason) return undefined;
    return (await endpoints.disable(tx, endpointId, reason)) ? reason : undefined;
  }

  /** Ends a delivery and starts the next pending one of the same endpoint and resource. */
  private async finish(tx: PartnerTx, d: WebhookDelivery, status: 'succeeded' | 'failed', error: string | null): Promise<void> {
    await deliveries.finish(tx, d.id, status, error);
    if (!d.resourceId) return;
    const next = await deliveries.nextPending(tx, d.endpointId, d.resourceId);
    if (next && !next.scheduledJobId) await deliveries.schedule(tx, [next.id]);
  }

  /** The message body: stored for a test message, built from the event otherwise (same bytes every attempt). */
  private async body(tx: PartnerTx, d: WebhookDelivery): Promise<string> {
    if (d.payload) return JSON.stringify(d.payload);
    const event = d.eventId ? await eventRepository.findById(tx, d.eventId) : undefined;
    if (!event) throw new Error(`event ${d.eventId} of webhook delivery ${d.id} is missing`);
    return eventMessageBody(toEventResource(event));
  }
}
