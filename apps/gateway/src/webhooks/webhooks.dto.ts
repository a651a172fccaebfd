import { z } from 'zod';
import { EVENT_RESOURCE_TYPES, EVENT_TYPES, isEventFilter, WEBHOOK_DELIVERY_STATUSES, WEBHOOK_TEST_TYPE } from '@bg/domain';
import type { toWebhookAttemptResource, WebhookDeliveryResource, WebhookResource } from '@bg/platform';
import { documents, named } from '../common/openapi';
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

/** The public JSON of a webhook endpoint (toWebhookResource): never its secret. */
export const webhookSchema = named(
  'Webhook',
  z.object({
    id: z.uuid(),
    tenantId: z.uuid().nullable().describe('Null for a partner-wide endpoint (all tenants of the partner).'),
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.string()),
    enabled: z.boolean(),
    disabledReason: z.string().nullable().describe('Why the gateway disabled it (failing too long), until re-enabled.'),
    failingSince: z.iso.datetime().nullable(),
    previousSecretExpiresAt: z.iso
      .datetime()
      .nullable()
      .describe('While a rotation overlap lasts: when the previous secret stops signing.'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
);
documents<typeof webhookSchema, WebhookResource>(true);

/** Create and rotate-secret: the endpoint with its signing secret, shown this once. */
export const webhookWithSecretSchema = named(
  'WebhookWithSecret',
  webhookSchema.extend({ secret: z.string().describe('The signing secret (whsec_...), shown this once.') }),
);

/** The public JSON of a delivery (toWebhookDeliveryResource). */
export const webhookDeliverySchema = named(
  'WebhookDelivery',
  z.object({
    id: z.uuid(),
    webhookId: z.uuid(),
    kind: z.enum(['event', 'replay', 'test']),
    messageId: z.string().describe('The webhook-id header: the event id, or a test message’s own id.'),
    eventId: z.uuid().nullable(),
    eventType: z.enum([...EVENT_TYPES, WEBHOOK_TEST_TYPE]),
    resourceId: z.string().nullable(),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attemptCount: z.number().int(),
    nextAttemptAt: z.iso.datetime().nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    completedAt: z.iso.datetime().nullable(),
  }),
);
documents<typeof webhookDeliverySchema, WebhookDeliveryResource>(true);

const attemptSchema = z.object({
  attempt: z.number().int(),
  url: z.string(),
  statusCode: z.number().int().nullable(),
  durationMs: z.number().int(),
  error: z.string().nullable(),
  responseExcerpt: z.string().nullable(),
  attemptedAt: z.iso.datetime(),
});
documents<typeof attemptSchema, ReturnType<typeof toWebhookAttemptResource>>(true);

/** One delivery with every attempt. */
export const webhookDeliveryWithAttemptsSchema = named(
  'WebhookDeliveryWithAttempts',
  webhookDeliverySchema.extend({ attempts: z.array(attemptSchema) }),
);

export const replayedSchema = named('WebhookReplay', z.object({ count: z.number().int().describe('Deliveries queued.') }));
