import type { DomainEvent, EventResourceType, EventType } from '@bg/domain';

/** A row of `events` (written by the triggers of the events migration). */
export interface EventRow {
  id: string; partner_id: string; tenant_id: string; type: string; resource_type: string; resource_id: string;
  data: Record<string, unknown>; occurred_at: Date;
}

/** The published shape of an event: the same in GET /v1/events and in a webhook body's `data`. */
export function toDomainEvent(r: EventRow): DomainEvent {
  return {
    id: r.id, type: r.type as EventType, tenantId: r.tenant_id, resourceType: r.resource_type as EventResourceType,
    resourceId: r.resource_id, occurredAt: new Date(r.occurred_at).toISOString(), data: r.data,
  };
}
