import type { EventType } from './events';

/**
 * Who owns a webhook endpoint (and its deliveries): a partner's partner-wide endpoint (tenantId null,
 * it receives the events of every tenant of the partner) or one tenant's.
 */
export interface WebhookOwner {
  partnerId: string;
  tenantId: string | null;
}

/**
 * A webhook endpoint. Its signing secrets are not part of it: they are stored encrypted and only the
 * delivery worker opens them (see the endpoint repository).
 */
export interface WebhookEndpoint extends WebhookOwner {
  id: string;
  url: string;
  description: string | null;
  /** Subscription filters: exact event types, "<resource>.*" or "*" (see isEventFilter). */
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
  /** Since the first failed delivery with no success after it. */
  failingSince: Date | null;
  /** When the previous secret stops signing (a rotation's overlap); may lie in the past. */
  previousSecretExpiresAt: Date | null;
  /** Since when the endpoint takes events (creation, re-enabling, new event types); the fanout backfills nothing older. */
  activeSince: Date;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** event: fanned out from an event; replay: re-sent on request; test: a `webhook.test` message. */
export type WebhookDeliveryKind = 'event' | 'replay' | 'test';

/** The `type` of a test message. */
export const WEBHOOK_TEST_TYPE = 'webhook.test';
export type WebhookMessageType = EventType | typeof WEBHOOK_TEST_TYPE;

/** One message to one endpoint, and where its attempts stand. */
export interface WebhookDelivery extends WebhookOwner {
  id: string;
  endpointId: string;
  kind: WebhookDeliveryKind;
  /** The event delivered (null for a test message). */
  eventId: string | null;
  eventType: WebhookMessageType;
  /** The event's resource: deliveries of one resource to one endpoint go out in order. */
  resourceId: string | null;
  /** `webhook-id`: the event id, or a test message's own id; the same on every attempt. */
  messageId: string;
  /** The stored body of a test message; null for an event (built from the event at each attempt). */
  payload: Record<string, unknown> | null;
  status: WebhookDeliveryStatus;
  attemptCount: number;
  /** Attempts made in the current retry cycle (a manual retry starts a new one). */
  scheduleStep: number;
  scheduleSeq: number;
  /** The one queue job allowed to make the next attempt; null while waiting behind an earlier delivery or once done. */
  scheduledJobId: string | null;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
}

/** One attempt of a delivery. */
export interface WebhookAttempt {
  id: string;
  deliveryId: string;
  attempt: number;
  url: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
  attemptedAt: Date;
}
