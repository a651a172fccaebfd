import { z } from 'zod';
import { EVENT_RESOURCE_TYPES, EVENT_TYPES, isEventFilter } from '@bg/domain';
import type { EventResource } from '@bg/platform';
import { documents, named } from '../common/openapi';
import { cursorQuery } from '../common/zod';

export const eventsQuery = cursorQuery.extend({
  types: z
    .string()
    .max(2000)
    .optional()
    .refine((v) => !v || v.split(',').every((t) => isEventFilter(t.trim())), 'each entry must be an event type, "<resource>.*" or "*"')
    .describe('Comma-separated event types, "<resource>.*" or "*" (see /v1/webhooks for the list).'),
  resourceId: z.uuid().optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('Only events that occurred at or after this time.'),
  tenantId: z.uuid().optional().describe('GET /v1/events only: one tenant of the partner.'),
});
export type EventsQuery = z.infer<typeof eventsQuery>;
export const tenantEventsQuery = eventsQuery.omit({ tenantId: true });

/** The public JSON of an event (toEventResource); a webhook message carries it as its `data`. */
export const eventSchema = named(
  'Event',
  z.object({
    id: z.uuid(),
    type: z.enum(EVENT_TYPES),
    tenantId: z.uuid().nullable().describe('Null for an event of a partner-wide webhook endpoint (webhook_endpoint.*, message.*).'),
    resourceType: z.enum(EVENT_RESOURCE_TYPES),
    resourceId: z.uuid(),
    occurredAt: z.iso.datetime(),
    data: z
      .record(z.string(), z.unknown())
      .describe(
        'The resource as its REST answer shows it (RestoreJob, Policy, ProtectedItem, Connection, BackupRun ...) and previousStatus.',
      ),
  }),
);
documents<typeof eventSchema, EventResource>(true);
