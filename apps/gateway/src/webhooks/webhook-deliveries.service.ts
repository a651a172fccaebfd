import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { LimitExceeded, NotAllowedInState, NotFound, newId } from '@bg/domain';
import { isUuid, rowsOf, scheduleWebhookDeliveries, type WebhookAttemptRow, type WebhookDeliveryRow, type WebhookEndpointRow } from '@bg/platform';
import { WebhookScopes, type WebhookScope } from './webhook-scope';
import { toWebhookAttempt, toWebhookDelivery, type ListDeliveriesQuery, type Replay } from './webhooks.dto';
import { WebhooksService } from './webhooks.service';

/** The most events one replay request may queue; narrow the time window for more. */
export const MAX_REPLAY_EVENTS = 10_000;

/** SQL twin of eventMatches(filters, type) for a text[] parameter. */
const matches = (param: string) => `(e.type = ANY(${param}) OR split_part(e.type, '.', 1) || '.*' = ANY(${param}) OR '*' = ANY(${param}))`;

/** Deliveries of an endpoint: list, read with attempts, retry now, send a test message, replay events. */
@Injectable()
export class WebhookDeliveriesService {
  constructor(private readonly scopes: WebhookScopes, private readonly endpoints: WebhooksService) {}

  async list(scope: WebhookScope, webhookId: string, after: string | undefined, q: ListDeliveriesQuery): Promise<WebhookDeliveryRow[]> {
    return this.scopes.run(scope, async (tx) => {
      await this.endpoints.load(tx, scope, webhookId);
      return tx.query(
        `SELECT * FROM webhook_deliveries WHERE endpoint_id = $1 AND id > $2 AND ($3::text IS NULL OR status = $3) ORDER BY id LIMIT $4`,
        [webhookId, after ?? '00000000-0000-0000-0000-000000000000', q.status ?? null, q.limit + 1],
      );
    });
  }

  async get(scope: WebhookScope, webhookId: string, deliveryId: string) {
    return this.scopes.run(scope, async (tx) => {
      await this.endpoints.load(tx, scope, webhookId);
      const delivery = await this.load(tx, scope, webhookId, deliveryId);
      const attempts: WebhookAttemptRow[] = await tx.query('SELECT * FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY id', [deliveryId]);
      return { ...toWebhookDelivery(delivery), attempts: attempts.map(toWebhookAttempt) };
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
      await tx.query(
        `UPDATE webhook_deliveries SET status = 'pending', schedule_step = 0, completed_at = NULL, updated_at = now() WHERE id = $1`, [deliveryId],
      );
      await scheduleWebhookDeliveries(tx, [deliveryId]);
      return toWebhookDelivery(await this.load(tx, scope, webhookId, deliveryId));
    });
  }

  /** Sends a `webhook.test` message to this endpoint only, recorded as a delivery with its own message id. */
  async test(scope: WebhookScope, webhookId: string) {
    return this.scopes.run(scope, async (tx) => {
      const endpoint = await this.enabledEndpoint(tx, scope, webhookId, 'test');
      const id = newId();
      const now = new Date().toISOString();
      const payload = {
        type: 'webhook.test', timestamp: now,
        data: { webhookId, tenantId: endpoint.tenant_id, message: 'A test message from backup-gateway (POST .../webhooks/{id}/test).' },
      };
      await tx.query(
        `INSERT INTO webhook_deliveries (id, partner_id, tenant_id, endpoint_id, kind, event_type, message_id, payload)
         VALUES ($1::uuid, $2, $3, $4, 'test', 'webhook.test', $1::text, $5)`,
        [id, scope.partnerId, endpoint.tenant_id, webhookId, JSON.stringify(payload)],
      );
      await scheduleWebhookDeliveries(tx, [id]);
      return toWebhookDelivery(await this.load(tx, scope, webhookId, id));
    });
  }

  /**
   * Queues the stored events of [since, until) that the endpoint subscribes to (and `eventTypes`, if
   * given) as new deliveries, oldest first; per resource they go out in order. Returns how many.
   */
  async replay(scope: WebhookScope, webhookId: string, body: Replay): Promise<{ count: number }> {
    return this.scopes.run(scope, async (tx) => {
      const endpoint = await this.enabledEndpoint(tx, scope, webhookId, 'replay events to');
      const events: Array<{ id: string; type: string; resource_id: string }> = await tx.query(
        `SELECT e.id, e.type, e.resource_id FROM events e
          WHERE e.partner_id = $1 AND ($2::uuid IS NULL OR e.tenant_id = $2) AND e.occurred_at >= $3 AND ($4::timestamptz IS NULL OR e.occurred_at < $4)
            AND ${matches('$5::text[]')} AND ($6::text[] IS NULL OR ${matches('$6::text[]')})
          ORDER BY e.id LIMIT ${MAX_REPLAY_EVENTS + 1}`,
        [scope.partnerId, endpoint.tenant_id, body.since, body.until ?? null, endpoint.event_types, body.eventTypes ?? null],
      );
      if (events.length > MAX_REPLAY_EVENTS) {
        throw new LimitExceeded(`More than ${MAX_REPLAY_EVENTS} events match; replay a shorter time window.`, { limit: MAX_REPLAY_EVENTS });
      }
      const ids = events.map(() => newId());
      await tx.query(
        `INSERT INTO webhook_deliveries (id, partner_id, tenant_id, endpoint_id, kind, event_id, event_type, resource_id, message_id)
         SELECT d.id, $1, $2, $3, 'replay', d.event_id, d.type, d.resource_id, d.event_id::text
           FROM unnest($4::uuid[], $5::uuid[], $6::text[], $7::uuid[]) AS d(id, event_id, type, resource_id)`,
        [scope.partnerId, endpoint.tenant_id, webhookId, ids, events.map((e) => e.id), events.map((e) => e.type), events.map((e) => e.resource_id)],
      );
      await scheduleWebhookDeliveries(tx, ids);
      return { count: ids.length };
    });
  }

  private async enabledEndpoint(tx: EntityManager, scope: WebhookScope, webhookId: string, action: string): Promise<WebhookEndpointRow> {
    const endpoint = await this.endpoints.load(tx, scope, webhookId);
    if (!endpoint.enabled) throw new NotAllowedInState('webhook', 'disabled', `${action} (re-enable it with PATCH enabled=true first)`);
    return endpoint;
  }

  private async load(tx: EntityManager, scope: WebhookScope, webhookId: string, deliveryId: string, lock = false): Promise<WebhookDeliveryRow> {
    if (!isUuid(deliveryId) || !isUuid(webhookId)) throw new NotFound('webhook delivery', deliveryId);
    const [row] = rowsOf<WebhookDeliveryRow>(await tx.query(
      `SELECT * FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2 AND partner_id = $3 AND tenant_id IS NOT DISTINCT FROM $4::uuid
       ${lock ? 'FOR UPDATE' : ''}`,
      [deliveryId, webhookId, scope.partnerId, scope.tenantId],
    ));
    if (!row) throw new NotFound('webhook delivery', deliveryId);
    return row;
  }
}
