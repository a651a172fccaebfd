import type { EventType } from '@bg/domain';
import { toDate } from '../database/dates';
import type { PartnerTx, TenantTx, SqlTx } from '../tenancy/tenant-db';

/**
 * A row of `events`. The database writes them (triggers of the events migration, in the transaction of
 * the change they describe); this repository only reads them. Timestamps may be ISO strings (snapshots).
 */
export interface EventRow {
  id: string;
  partner_id: string;
  tenant_id: string | null;
  type: string;
  resource_type: string;
  resource_id: string;
  data: Record<string, unknown>;
  occurred_at: Date | string;
  /** 'row': data is the changed row's snapshot (see event-data.ts); 'resource': data is the payload itself (older events). */
  data_format?: 'row' | 'resource';
}

/** What the webhook fanout and replay need of an event: which one, of what type and resource, and when. */
export interface EventRef {
  id: string;
  type: EventType;
  resourceId: string;
  occurredAt: Date;
}

interface EventRefRow {
  id: string;
  type: string;
  resource_id: string;
  occurred_at: Date | string;
}

function eventRefFromRow(r: EventRefRow): EventRef {
  return { id: r.id, type: r.type as EventType, resourceId: r.resource_id, occurredAt: toDate(r.occurred_at) };
}

/** Filters of GET /v1/events (absent = any). */
export interface EventListFilter {
  /** Only events after this id (the cursor). */
  after?: string;
  /** One tenant; null: every tenant the transaction sees (a partner transaction: all of the partner's). */
  tenantId: string | null;
  /** Subscription-style filters: exact types, "<resource>.*" or "*". */
  types?: string[];
  resourceId?: string;
  /** ISO instant: only events that occurred at or after it. */
  since?: string;
}

/** Events of one owner that an endpoint's subscription (and optionally a narrower filter list) takes. */
export interface EventReplayFilter {
  partnerId: string;
  /** The endpoint's tenant; null for a partner-wide endpoint (every tenant of the partner). */
  tenantId: string | null;
  /** ISO instants: occurred in [since, until). */
  since: string;
  until?: string;
  /** The endpoint's event types. */
  subscribed: string[];
  /** Only these too (within the subscription). */
  only?: string[];
}

type ReadTx = TenantTx | PartnerTx | SqlTx;

const NO_ID = '00000000-0000-0000-0000-000000000000';
const COLUMNS = 'id, partner_id, tenant_id, type, resource_type, resource_id, data, data_format, occurred_at';

/** SQL twin of eventMatches(filters, type) for a text[] parameter. */
const matches = (type: string, param: string) =>
  `(${type} = ANY(${param}) OR split_part(${type}, '.', 1) || '.*' = ANY(${param}) OR '*' = ANY(${param}))`;

/** Reads of `events`; row-level security of the transaction (tenant or partner) confines every one. */
export class EventRepository {
  /** Up to `limit` events by id after `after`: one indexed range scan ((tenant_id, id) or (partner_id, id)). */
  async list(tx: ReadTx, filter: EventListFilter, limit: number): Promise<EventRow[]> {
    const rows: EventRow[] = await tx.query(
      `SELECT ${COLUMNS} FROM events WHERE id > $1 AND ($2::uuid IS NULL OR tenant_id = $2)
         AND ($3::text[] IS NULL OR ${matches('type', '$3')})
         AND ($4::uuid IS NULL OR resource_id = $4) AND ($5::timestamptz IS NULL OR occurred_at >= $5)
       ORDER BY id LIMIT $6`,
      [filter.after ?? NO_ID, filter.tenantId, filter.types ?? null, filter.resourceId ?? null, filter.since ?? null, limit],
    );
    return rows;
  }

  async findById(tx: ReadTx, id: string): Promise<EventRow | undefined> {
    const [row]: EventRow[] = await tx.query(`SELECT ${COLUMNS} FROM events WHERE id = $1`, [id]);
    return row;
  }

  /** One event of a tenant (null: of the partner's own set-up, see the webhook operational events migration). */
  async findRef(tx: ReadTx, tenantId: string | null, id: string): Promise<EventRef | undefined> {
    const [row]: EventRefRow[] = await tx.query(
      'SELECT id, type, resource_id, occurred_at FROM events WHERE id = $1 AND tenant_id IS NOT DISTINCT FROM $2',
      [id, tenantId],
    );
    return row && eventRefFromRow(row);
  }

  /** The last `limit` events of a resource before `beforeId`, oldest first. */
  async earlierRefs(tx: ReadTx, tenantId: string | null, resourceId: string, beforeId: string, limit: number): Promise<EventRef[]> {
    const rows: EventRefRow[] = await tx.query(
      `SELECT id, type, resource_id, occurred_at FROM events WHERE resource_id = $1 AND tenant_id IS NOT DISTINCT FROM $2 AND id < $3 ORDER BY id DESC LIMIT $4`,
      [resourceId, tenantId, beforeId, limit],
    );
    return rows.reverse().map(eventRefFromRow);
  }

  /** Up to `limit` events an endpoint would be sent again (see EventReplayFilter), oldest first. */
  async replayable(tx: ReadTx, filter: EventReplayFilter, limit: number): Promise<EventRef[]> {
    const rows: EventRefRow[] = await tx.query(
      `SELECT e.id, e.type, e.resource_id, e.occurred_at FROM events e
        WHERE e.partner_id = $1 AND ($2::uuid IS NULL OR e.tenant_id = $2) AND e.occurred_at >= $3 AND ($4::timestamptz IS NULL OR e.occurred_at < $4)
          AND ${matches('e.type', '$5::text[]')} AND ($6::text[] IS NULL OR ${matches('e.type', '$6::text[]')})
        ORDER BY e.id LIMIT $7`,
      [filter.partnerId, filter.tenantId, filter.since, filter.until ?? null, filter.subscribed, filter.only ?? null, limit],
    );
    return rows.map(eventRefFromRow);
  }
}

export const eventRepository = new EventRepository();
