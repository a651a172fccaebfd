/** The delivery contract, shown in the OpenAPI document (POST .../webhooks) and repeated in README "Webhooks". */
export const WEBHOOK_CONTRACT = `
Deliveries follow the [Standard Webhooks](https://www.standardwebhooks.com/) specification.

**Request**: \`POST <url>\`, \`Content-Type: application/json\`, \`User-Agent: backup-gateway-webhooks/1\`, and

| header | value |
| --- | --- |
| \`webhook-id\` | the message id: the event id (a test message has its own); the same on every attempt and replay — deduplicate on it |
| \`webhook-timestamp\` | Unix seconds of this attempt |
| \`webhook-signature\` | \`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">\` keyed with the base64-decoded part of the \`whsec_\` secret; during a secret rotation's overlap two, space-separated: \`v1,<new> v1,<old>\` |

**Body**: \`{"type": "<event type>", "timestamp": "<when the event occurred, ISO 8601>", "data": <the event as GET /v1/events lists it: id, type, tenantId, resourceType, resourceId, occurredAt, data>}\`.
A test message has \`"type": "webhook.test"\`.

**Answer** within the timeout (WEBHOOK_TIMEOUT_MS, default 15 s) with any 2xx. Delivery is at least once:
- 5xx, 408, 429, timeouts and connection errors are retried on a growing schedule (WEBHOOK_RETRY_SCHEDULE, default at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — 8 attempts); a 429's or 503's Retry-After is waited out when longer;
- any other 3xx/4xx ends the delivery failed at once (redirects are not followed); **410 Gone also disables the endpoint**;
- an endpoint whose deliveries keep failing, with no success, for more than WEBHOOK_DISABLE_AFTER_HOURS (default 120) is disabled (\`disabledReason\`); PATCH \`enabled: true\` re-enables it, POST .../replay re-sends what it missed.

**Order**: per endpoint and resource (one restore job, policy ...), a message is not sent while an earlier one of the same resource is still pending, so a receiver sees \`restore_job.queued -> submitting -> running -> succeeded\` in order. Different resources are independent.

**Addresses**: https only in production; the URL must not resolve to loopback, private, link-local, CGNAT or metadata addresses, checked when it is set and again on every connection (DNS rebinding). WEBHOOK_ALLOW_LOCAL_URLS=true lifts this for development and tests.

**Verify** with the official library (\`npm i standardwebhooks\`), on the raw body:

\`\`\`ts
import { Webhook } from 'standardwebhooks';
const wh = new Webhook(process.env.WEBHOOK_SECRET!); // "whsec_..."
const message = wh.verify(rawBody, headers) as { type: string; timestamp: string; data: unknown }; // throws if forged or older than 5 min
\`\`\`
`.trim();
