import { Injectable } from '@nestjs/common';
import { eventRepository, TenantDb, toEventResource, type EventResource, type PartnerTx, type TenantTx } from '@bg/platform';
import { decodeCursor, toPage, type ListPage } from '../common/pagination';

/** A page request of GET /v1/events (validated by the controller). */
export interface EventsPageQuery {
  cursor?: string;
  limit: number;
  /** Comma-separated filters: event types, "<resource>.*" or "*". */
  types?: string;
  resourceId?: string;
  since?: string;
}

/**
 * Every published event (the ones webhooks deliver), oldest first with a cursor. Row-level security
 * confines each read: to one tenant, or to every tenant of one partner.
 */
@Injectable()
export class EventsService {
  constructor(private readonly db: TenantDb) {}

  async pageForTenant(tenantId: string, q: EventsPageQuery): Promise<ListPage<EventResource>> {
    return this.db.run(tenantId, (tx) => this.page(tx, q, tenantId));
  }

  async pageForPartner(partnerId: string, q: EventsPageQuery): Promise<ListPage<EventResource>> {
    return this.db.runAsPartner(partnerId, (tx) => this.page(tx, q, null));
  }

  private async page(tx: TenantTx | PartnerTx, q: EventsPageQuery, tenantId: string | null): Promise<ListPage<EventResource>> {
    const rows = await eventRepository.list(
      tx,
      {
        after: decodeCursor(q.cursor),
        tenantId,
        types: q.types?.split(',').map((t) => t.trim()),
        resourceId: q.resourceId,
        since: q.since,
      },
      q.limit + 1,
    );
    return toPage(rows, q.limit, toEventResource);
  }
}
