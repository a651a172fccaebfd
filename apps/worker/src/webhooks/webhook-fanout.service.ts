import { Injectable } from '@nestjs/common';
import { eventMatches, newId } from '@bg/domain';
import { TenantDb, scheduleWebhookDeliveries, type PartnerTx } from '@bg/platform';

/** How many earlier events of the resource a fanout looks at for ones whose own fanout has not run yet. */
const EARLIER_EVENTS = 50;

interface FanoutEvent { id: string; type: string; resource_id: string; occurred_at: Date }
interface FanoutEndpoint { id: string; tenant_id: string | null; event_types: string[]; active_since: Date }

/**
 * `webhook.fanout`: one delivery per enabled endpoint of the partner (partner-wide, or for the event's
 * tenant) that subscribes to the event, each scheduled at once. Idempotent: deliveries are unique per
 * (endpoint, event), so a re-run adds nothing.
 *
 * Fanouts run concurrently, so the one for a resource's later event may run before the earlier one's.
 * To keep the per-resource order, a fanout also creates the missing deliveries of the resource's earlier
 * events (since the endpoint became active); the delivery of the later event then waits behind them.
 */
@Injectable()
export class WebhookFanoutService {
  constructor(private readonly db: TenantDb) {}

  async fanout(tenantId: string, eventId: string): Promise<number> {
    const [tenant] = await this.db.dataSource.query('SELECT partner_id FROM tenants WHERE id = $1', [tenantId]);
    if (!tenant) return 0;
    return this.db.runAsPartner(tenant.partner_id, async (tx) => {
      const [event]: FanoutEvent[] = await tx.query(
        'SELECT id, type, resource_id, occurred_at FROM events WHERE id = $1 AND tenant_id = $2', [eventId, tenantId],
      );
      if (!event) return 0;
      const endpoints = (await tx.query(
        `SELECT id, tenant_id, event_types, active_since FROM webhook_endpoints
          WHERE partner_id = $1 AND (tenant_id IS NULL OR tenant_id = $2) AND enabled AND deleted_at IS NULL`,
        [tx.partnerId, tenantId],
      ) as FanoutEndpoint[]).filter((ep) => eventMatches(ep.event_types, event.type));
      if (!endpoints.length) return 0;
      const earlier: FanoutEvent[] = (await tx.query(
        `SELECT id, type, resource_id, occurred_at FROM events WHERE resource_id = $1 AND tenant_id = $2 AND id < $3 ORDER BY id DESC LIMIT ${EARLIER_EVENTS}`,
        [event.resource_id, tenantId, event.id],
      )).reverse();
      const pairs = endpoints.flatMap((ep) => [...earlier, event]
        .filter((ev) => ev === event || (eventMatches(ep.event_types, ev.type) && new Date(ev.occurred_at) >= new Date(ep.active_since)))
        .map((ev) => ({ ep, ev })));
      return this.insert(tx, pairs);
    });
  }

  /** Inserts the deliveries that do not exist yet and schedules them; returns how many were new. */
  private async insert(tx: PartnerTx, pairs: Array<{ ep: FanoutEndpoint; ev: FanoutEvent }>): Promise<number> {
    const inserted: Array<{ id: string }> = await tx.query(
      `INSERT INTO webhook_deliveries (id, partner_id, tenant_id, endpoint_id, kind, event_id, event_type, resource_id, message_id)
       SELECT d.id, $1, d.tenant_id, d.endpoint_id, 'event', d.event_id, d.type, d.resource_id, d.event_id::text
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::uuid[]) AS d(id, tenant_id, endpoint_id, event_id, type, resource_id)
       ON CONFLICT (endpoint_id, event_id) WHERE kind = 'event' DO NOTHING
       RETURNING id`,
      [tx.partnerId, pairs.map(() => newId()), pairs.map((p) => p.ep.tenant_id), pairs.map((p) => p.ep.id),
        pairs.map((p) => p.ev.id), pairs.map((p) => p.ev.type), pairs.map((p) => p.ev.resource_id)],
    );
    await scheduleWebhookDeliveries(tx, inserted.map((r) => r.id));
    return inserted.length;
  }
}
