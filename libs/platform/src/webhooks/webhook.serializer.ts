import type { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '@bg/domain';

/**
 * The public JSON of a webhook endpoint. The secret is never part of it (only create and rotate-secret
 * answer it, once). previousSecretExpiresAt shows only while the rotation overlap lasts.
 */
export function toWebhookResource(e: WebhookEndpoint, now: Date = new Date()) {
  const overlapEnds = e.previousSecretExpiresAt && e.previousSecretExpiresAt > now ? e.previousSecretExpiresAt : null;
  return {
    id: e.id,
    tenantId: e.tenantId,
    url: e.url,
    description: e.description,
    eventTypes: e.eventTypes,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    failingSince: e.failingSince,
    previousSecretExpiresAt: overlapEnds,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}
export type WebhookResource = ReturnType<typeof toWebhookResource>;

/** The public JSON of a delivery (nextAttemptAt only while it is pending). */
export function toWebhookDeliveryResource(d: WebhookDelivery) {
  return {
    id: d.id,
    webhookId: d.endpointId,
    kind: d.kind,
    messageId: d.messageId,
    eventId: d.eventId,
    eventType: d.eventType,
    resourceId: d.resourceId,
    status: d.status,
    attemptCount: d.attemptCount,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    completedAt: d.completedAt,
  };
}
export type WebhookDeliveryResource = ReturnType<typeof toWebhookDeliveryResource>;

/** One attempt, as GET .../deliveries/{id} lists it. */
export function toWebhookAttemptResource(a: WebhookAttempt) {
  return {
    attempt: a.attempt,
    url: a.url,
    statusCode: a.statusCode,
    durationMs: a.durationMs,
    error: a.error,
    responseExcerpt: a.responseExcerpt,
    attemptedAt: a.attemptedAt,
  };
}
