import { Webhook } from 'standardwebhooks';
import type { EventResource } from '@bg/platform';

export const WEBHOOK_USER_AGENT = 'backup-gateway-webhooks/1';

/** The body of an event message: Standard Webhooks' {type, timestamp, data}, data being the published event (toEventResource). */
export function eventMessageBody(event: EventResource): string {
  return JSON.stringify({ type: event.type, timestamp: event.occurredAt, data: event });
}

/**
 * The request headers of one attempt. `webhook-signature` holds one `v1,<sig>` per secret (the current
 * one first; the previous one during a rotation's overlap), each made by the official library.
 */
export function signedHeaders(secrets: string[], messageId: string, at: Date, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': WEBHOOK_USER_AGENT,
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(messageId, at, body)).join(' '),
  };
}
