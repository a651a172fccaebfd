import { Injectable } from '@nestjs/common';
import {
  LimitExceeded,
  NotAllowedInState,
  NotFound,
  WEBHOOK_TEST_TYPE,
  newId,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '@bg/domain';
import {
  eventRepository,
  isUuid,
  toWebhookAttemptResource,
  toWebhookDeliveryResource,
  webhookDeliveryRepository,
  type WebhookTx,
} from '@bg/platform';
import { WebhookScopes, type WebhookScope } from './webhook-scope';
import type { ListDeliveriesQuery, Replay } from './webhooks.dto';
import { WebhooksService } from './webhooks.service';

/** The most events one replay request may queue; narrow the time window for more. */
export const MAX_REPLAY_EVENTS = 10_000;

/** Deliveries of an endpoint: list, read with attempts, retry now, send a test message, replay events. */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    private readonly scopes: WebhookScopes,
    private readonly endpoints: WebhooksService,
  ) {}

  /** Up to `limit + 1` deliveries after `after` (the extra one tells the page there is more). */
  async list(scope: WebhookScope, webhookId: string, after: string | undefined, q: ListDeliveriesQuery): Promise<WebhookDelivery[]> {
    return this.scopes.run(scope, async (tx) => {
      await this.endpoints.load(tx, scope, webhookId);
      return webhookDeliveryRepository.list(tx, webhookId, { after, status: q.status }, q.limit + 1);
    });
  }

  async get(scope: WebhookScope, webhookId: string, deliveryId: string) {
    return this.scopes.run(scope, async (tx) => {
      await this.endpoints.load(tx, scope, webhookId);
      const delivery = await this.load(tx, scope, webhookId, deliveryId);
      const attempts = await webhookDeliveryRepository.attemptsOf(tx, deliveryId);
      return { ...toWebhookDeliveryResource(delivery), attempts: attempts.map(toWebhookAttemptResource) };
    });
  }

  /**
   * A new attempt now, for a pending delivery or a finished one (it becomes pending again and, if the
   * attempt fails, follows the retry schedule from its start). It still waits behind an earlier pending
   * delivery of the same resource to this endpoint.
   */
  async retry(scope: WebhookScope, webhookId: string, deliveryId: string) {
    return this.scopes.run(scope, async (tx) => {
      await this.enabledEndpoint(tx, scope, webhookId, 'retry a delivery of');
      await this.load(tx, scope, webhookId, deliveryId, true);
      await webhookDeliveryRepository.restart(tx, deliveryId);
      await webhookDeliveryRepository.schedule(tx, [deliveryId]);
      return toWebhookDeliveryResource(await this.load(tx, scope, webhookId, deliveryId));
    });
  }

  /** Sends a `webhook.test` message to this endpoint only, recorded as a delivery with its own message id. */
  async test(scope: WebhookScope, webhookId: string) {
    return this.scopes.run(scope, async (tx) => {
      const endpoint = await this.enabledEndpoint(tx, scope, webhookId, 'test');
      const id = newId();
      const now = new Date().toISOString();
      const payload = {
        type: WEBHOOK_TEST_TYPE,
        timestamp: now,
        data: { webhookId, tenantId: endpoint.tenantId, message: 'A test message from backup-gateway (POST .../webhooks/{id}/test).' },
      };
      await webhookDeliveryRepository.insertTest(tx, {
        id,
        owner: { partnerId: scope.partnerId, tenantId: endpoint.tenantId },
        endpointId: webhookId,
        payload,
      });
      await webhookDeliveryRepository.schedule(tx, [id]);
      return toWebhookDeliveryResource(await this.load(tx, scope, webhookId, id));
    });
  }

  /**
   * Queues the stored events of [since, until) that the endpoint subscribes to (and `eventTypes`, if
   * given) as new deliveries, oldest first; per resource they go out in order. Returns how many.
   */
  async replay(scope: WebhookScope, webhookId: string, body: Replay): Promise<{ count: number; webhookId: string }> {
    return this.scopes.run(scope, async (tx) => {
      const endpoint = await this.enabledEndpoint(tx, scope, webhookId, 'replay events to');
      const events = await eventRepository.replayable(
        tx,
        {
          partnerId: scope.partnerId,
          tenantId: endpoint.tenantId,
          since: body.since,
          until: body.until,
          subscribed: endpoint.eventTypes,
          only: body.eventTypes,
        },
        MAX_REPLAY_EVENTS + 1,
      );
      if (events.length > MAX_REPLAY_EVENTS) {
        throw new LimitExceeded(`More than ${MAX_REPLAY_EVENTS} events match; replay a shorter time window.`, { limit: MAX_REPLAY_EVENTS });
      }
      const ids = await webhookDeliveryRepository.insertReplays(
        tx,
        { id: webhookId, partnerId: scope.partnerId, tenantId: endpoint.tenantId },
        events,
      );
      await webhookDeliveryRepository.schedule(tx, ids);
      return { count: ids.length, webhookId: endpoint.id };
    });
  }

  private async enabledEndpoint(tx: WebhookTx, scope: WebhookScope, webhookId: string, action: string): Promise<WebhookEndpoint> {
    const endpoint = await this.endpoints.load(tx, scope, webhookId);
    if (!endpoint.enabled) throw new NotAllowedInState('webhook', 'disabled', `${action} (re-enable it with PATCH enabled=true first)`);
    return endpoint;
  }

  private async load(tx: WebhookTx, scope: WebhookScope, webhookId: string, deliveryId: string, lock = false): Promise<WebhookDelivery> {
    if (!isUuid(deliveryId) || !isUuid(webhookId)) throw new NotFound('webhook delivery', deliveryId);
    const delivery = await webhookDeliveryRepository.findInScope(tx, scope, webhookId, deliveryId, lock);
    if (!delivery) throw new NotFound('webhook delivery', deliveryId);
    return delivery;
  }
}
