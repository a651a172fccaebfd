import { z } from 'zod';
import { EVENT_RESOURCE_TYPES, EVENT_TYPES, isEventFilter } from '@bg/domain';
import { cursorQuery } from '../common/zod';

const FILTERS = ['*', ...EVENT_RESOURCE_TYPES.map((r) => `${r}.*`), ...EVENT_TYPES];

const eventFilter = z
  .string()
  .refine(isEventFilter, { message: 'must be an event type, "<resource>.*" or "*"' })
  .describe(`An event type, a resource wildcard or "*": ${FILTERS.join(', ')}`);
const eventFilters = z.array(eventFilter).min(1).max(50);

const url = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .describe(
    'Where deliveries are POSTed. https (http only outside production or with WEBHOOK_ALLOW_LOCAL_URLS); must not resolve to a loopback, private, link-local or metadata address.',
  );

export const createWebhookSchema = z.strictObject({
  url,
  description: z.string().trim().max(500).optional(),
  eventTypes: eventFilters.describe('Subscribed events: exact types, "<resource>.*" or "*".'),
  enabled: z.boolean().default(true),
});
export type CreateWebhook = z.infer<typeof createWebhookSchema>;

export const updateWebhookSchema = z
  .strictObject({
    url: url.optional(),
    description: z.string().trim().max(500).nullable().optional(),
    eventTypes: eventFilters.optional(),
    enabled: z.boolean().optional().describe('true re-enables a disabled endpoint and clears disabledReason and failingSince.'),
  })
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one of url, description, eventTypes, enabled' });
export type UpdateWebhook = z.infer<typeof updateWebhookSchema>;

export const rotateSecretSchema = z.strictObject({
  overlapSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(86_400)
    .describe('How long the previous secret keeps signing next to the new one (webhook-signature then holds both). 0 ends it now.'),
});
export type RotateSecret = z.infer<typeof rotateSecretSchema>;

const instant = z.iso.datetime({ offset: true });
export const replaySchema = z.strictObject({
  since: instant.describe('Replay events that occurred at or after this time.'),
  until: instant.optional().describe('... and before this time (default: now).'),
  eventTypes: eventFilters.optional().describe("Only these (within the endpoint's own subscription)."),
});
export type Replay = z.infer<typeof replaySchema>;

export const listDeliveriesQuery = cursorQuery.extend({ status: z.enum(['pending', 'succeeded', 'failed']).optional() });
export type ListDeliveriesQuery = z.infer<typeof listDeliveriesQuery>;
