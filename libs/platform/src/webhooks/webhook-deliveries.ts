import type { EntityManager } from 'typeorm';
import { OUTBOX_CHANNEL } from '../outbox/outbox';
import { JOB_QUEUE } from '../queues/queues';

/** A row of `webhook_endpoints` without its secret columns. */
export interface WebhookEndpointRow {
  id: string; partner_id: string; tenant_id: string | null; url: string; description: string | null; event_types: string[];
  enabled: boolean; disabled_reason: string | null; failing_since: Date | null; previous_secret_expires_at: Date | null;
  active_since: Date; created_at: Date; updated_at: Date;
}

export const WEBHOOK_ENDPOINT_COLUMNS = `id, partner_id, tenant_id, url, description, event_types, enabled, disabled_reason, failing_since,
  previous_secret_expires_at, active_since, created_at, updated_at`;

export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';
export type WebhookDeliveryKind = 'event' | 'replay' | 'test';

/** A row of `webhook_deliveries` (see the webhook-deliveries migration). */
export interface WebhookDeliveryRow {
  id: string; partner_id: string; tenant_id: string | null; endpoint_id: string; kind: WebhookDeliveryKind;
  event_id: string | null; event_type: string; resource_id: string | null; message_id: string; payload: Record<string, unknown> | null;
  status: WebhookDeliveryStatus; attempt_count: number; schedule_step: number; schedule_seq: number; scheduled_job_id: string | null;
  next_attempt_at: Date | null; last_status_code: number | null; last_error: string | null;
  created_at: Date; updated_at: Date; completed_at: Date | null;
}

/** A row of `webhook_delivery_attempts`. */
export interface WebhookAttemptRow {
  id: string; delivery_id: string; attempt: number; url: string; status_code: number | null; duration_ms: number;
  error: string | null; response_excerpt: string | null; attempted_at: Date;
}

/**
 * Schedules the next attempt of each delivery in the caller's transaction: bumps its schedule sequence,
 * names the one job allowed to make the attempt (`webhook.deliver_<id>_<seq>`, so an older job that
 * still fires finds itself superseded) and writes that job to the outbox with `delayMs`. Only pending
 * deliveries are scheduled. Returns how many were.
 */
export async function scheduleWebhookDeliveries(tx: EntityManager, deliveryIds: string[], delayMs = 0): Promise<number> {
  if (!deliveryIds.length) return 0;
  const [row] = await tx.query(
    `WITH d AS (
       UPDATE webhook_deliveries SET schedule_seq = schedule_seq + 1, scheduled_job_id = 'webhook.deliver_' || id || '_' || (schedule_seq + 1),
              next_attempt_at = now() + make_interval(secs => $2::int / 1000.0), updated_at = now()
        WHERE id = ANY($1::uuid[]) AND status = 'pending'
        RETURNING id, tenant_id, scheduled_job_id),
     o AS (
       INSERT INTO outbox (tenant_id, queue, name, job_id, payload, delay_ms)
       SELECT tenant_id, $3, 'webhook.deliver', scheduled_job_id, jsonb_build_object('deliveryId', id), $2 FROM d
       RETURNING 1)
     SELECT count(*)::int AS n, CASE WHEN count(*) > 0 THEN pg_notify('${OUTBOX_CHANNEL}', '') END AS notified FROM o`,
    [deliveryIds, Math.max(0, Math.round(delayMs)), JOB_QUEUE['webhook.deliver']],
  );
  return row.n;
}

/**
 * Ends every pending delivery of an endpoint as failed (the endpoint was disabled or deleted). Run it in
 * a transaction of its own after the endpoint change commits: it locks many delivery rows, which must
 * not be combined with the endpoint row lock a delivery's attempt record takes.
 */
export async function failPendingWebhookDeliveries(tx: EntityManager, endpointId: string, reason: string): Promise<void> {
  await tx.query(
    `UPDATE webhook_deliveries SET status = 'failed', last_error = $2, scheduled_job_id = NULL, next_attempt_at = NULL,
            completed_at = now(), updated_at = now()
      WHERE endpoint_id = $1 AND status = 'pending'`,
    [endpointId, reason.slice(0, 1000)],
  );
}
