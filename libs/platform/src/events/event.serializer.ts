import type { DomainEvent, EventResourceType, EventType } from '@bg/domain';
import { eventData } from './event-data';
import type { EventRow } from './event.repository';

/**
 * The public JSON of an event, built here and nowhere else: GET /v1/events lists it and a webhook
 * message carries it as its `data` (webhook-message.ts). Its `data` is the resource's own public JSON
 * (the serializer of its REST answer, event-data.ts) plus the state it moved from.
 */
export function toEventResource(r: EventRow): DomainEvent {
  return {
    id: r.id,
    type: r.type as EventType,
    tenantId: r.tenant_id,
    resourceType: r.resource_type as EventResourceType,
    resourceId: r.resource_id,
    occurredAt: new Date(r.occurred_at).toISOString(),
    data: eventData(r.resource_type, r.data, r.data_format),
  };
}
export type EventResource = ReturnType<typeof toEventResource>;
