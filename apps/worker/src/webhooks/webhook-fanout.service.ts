import { Injectable } from '@nestjs/common';
import { eventMatches, type WebhookEndpoint } from '@bg/domain';
import {
  TenantDb,
  eventRepository,
  pendingWebhookFanoutRepository as pending,
  tenantRepository,
  webhookDeliveryRepository,
  webhookEndpointRepository,
  type EventRef,
  type PartnerTx,
} from '@bg/platform';

/** How many earlier events of the resource a fanout looks at for ones whose own fanout has not run yet. */
const EARLIER_EVENTS = 50;

/**
 * `webhook.fanout`: one delivery per enabled endpoint of the partner (partner-wide, or for the event's
 * tenant) that subscribes to the event, each scheduled at once. Idempotent: deliveries are unique per
 * (endpoint, event), so a re-run adds nothing. The same transaction deletes the event's pending fan-out
 * row, so until a fan-out commits the maintenance sweep knows the event is still owed it (sweepWebhookFanouts).
 *
 * Fanouts run concurrently, so the one for a resource's later event may run before the earlier one's.
 * To keep the per-resource order, a fanout also creates the missing deliveries of the resource's earlier
 * events (since the endpoint became active); the delivery of the later event then waits behind them.
 */
@Injectable()
export class WebhookFanoutService {
  constructor(private readonly db: TenantDb) {}

  /** `tenantId` null: an event of a partner-wide endpoint (then `ownerPartnerId` names its partner). */
  async fanout(tenantId: string | null, eventId: string, ownerPartnerId?: string): Promise<number> {
    const partnerId = tenantId ? await tenantRepository.partnerIdOf(this.db.dataSource, tenantId) : ownerPartnerId;
    if (!partnerId) {
      await pending.settle(this.db.dataSource, eventId);
      return 0;
    }
    return this.db.runAsPartner(partnerId, async (tx) => {
      await pending.settle(tx, eventId);
      const event = await eventRepository.findRef(tx, tenantId, eventId);
      if (!event) return 0;
      const endpoints = (await webhookEndpointRepository.enabledForTenant(tx, tenantId)).filter((ep) =>
        eventMatches(ep.eventTypes, event.type),
      );
      if (!endpoints.length) return 0;
      const earlier = await eventRepository.earlierRefs(tx, tenantId, event.resourceId, event.id, EARLIER_EVENTS);
      const pairs = endpoints.flatMap((endpoint) =>
        [...earlier, event]
          .filter((ev) => ev === event || (eventMatches(endpoint.eventTypes, ev.type) && ev.occurredAt >= endpoint.activeSince))
          .map((ev) => ({ endpoint, event: ev })),
      );
      return this.insert(tx, pairs);
    });
  }

  /** Inserts the deliveries that do not exist yet and schedules them; returns how many were new. */
  private async insert(tx: PartnerTx, pairs: Array<{ endpoint: WebhookEndpoint; event: EventRef }>): Promise<number> {
    const inserted = await webhookDeliveryRepository.insertForEvents(tx, pairs);
    await webhookDeliveryRepository.schedule(tx, inserted);
    return inserted.length;
  }
}
