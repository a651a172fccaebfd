import {
  newId,
  WEBHOOK_TEST_TYPE,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookDeliveryKind,
  type WebhookDeliveryStatus,
  type WebhookMessageType,
  type WebhookOwner,
} from '@bg/domain';
import { toDate, toDateOrNull } from '../database/dates';
import { rowsOf } from '../database/rows';
import type { EventRef } from '../events/event.repository';
import { OUTBOX_CHANNEL } from '../outbox/outbox';
import { JOB_QUEUE } from '../queues/queues';
import type { PartnerTx, SqlTx } from '../tenancy/tenant-db';
import type { WebhookTx } from './webhook-endpoint.repository';

/** A row of `webhook_deliveries` (see the webhook-deliveries migration). Timestamps may be ISO strings. */
export interface WebhookDeliveryRow {
  id: string;
  partner_id: string;
  tenant_id: string | null;
  endpoint_id: string;
  kind: WebhookDeliveryKind;
  event_id: string | null;
  event_type: string;
  resource_id: string | null;
  message_id: string;
  payload: Record<string, unknown> | null;
  status: WebhookDeliveryStatus;
  attempt_count: number;
  schedule_step: number;
  schedule_seq: number;
  scheduled_job_id: string | null;
  next_attempt_at: Date | string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  completed_at: Date | string | null;
}

/** A row of `webhook_delivery_attempts`. */
export interface WebhookAttemptRow {
  id: string;
  delivery_id: string;
  partner_id: string;
  tenant_id: string | null;
  attempt: number;
  url: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_excerpt: string | null;
  attempted_at: Date | string;
}

export function webhookDeliveryFromRow(r: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: r.id,
    partnerId: r.partner_id,
    tenantId: r.tenant_id,
    endpointId: r.endpoint_id,
    kind: r.kind,
    eventId: r.event_id,
    eventType: r.event_type as WebhookMessageType,
    resourceId: r.resource_id,
    messageId: r.message_id,
    payload: r.payload,
    status: r.status,
    attemptCount: r.attempt_count,
    scheduleStep: r.schedule_step,
    scheduleSeq: r.schedule_seq,
    scheduledJobId: r.scheduled_job_id,
    nextAttemptAt: toDateOrNull(r.next_attempt_at),
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    completedAt: toDateOrNull(r.completed_at),
  };
}

export function webhookAttemptFromRow(r: WebhookAttemptRow): WebhookAttempt {
  return {
    id: String(r.id),
    deliveryId: r.delivery_id,
    attempt: r.attempt,
    url: r.url,
    statusCode: r.status_code,
    durationMs: r.duration_ms,
    error: r.error,
    responseExcerpt: r.response_excerpt,
    attemptedAt: toDate(r.attempted_at),
  };
}

/** One attempt as made, to be recorded. */
export type NewWebhookAttempt = Omit<WebhookAttempt, 'id' | 'deliveryId'>;

const NO_ID = '00000000-0000-0000-0000-000000000000';

/**
 * `webhook_deliveries` and their `webhook_delivery_attempts`: the only code that writes them. Scheduling
 * an attempt also writes its job to the outbox, in the same statement (see schedule).
 */
export class WebhookDeliveryRepository {
  /** The partner a delivery belongs to, read by the owner (the job carries only the delivery id). */
  async partnerOf(db: SqlTx, id: string): Promise<string | undefined> {
    const [row]: Array<{ partner_id: string }> = await db.query('SELECT partner_id FROM webhook_deliveries WHERE id = $1', [id]);
    return row?.partner_id;
  }

  /** Up to `limit` deliveries of an endpoint by id after `after`, optionally of one status. */
  async list(
    tx: WebhookTx,
    endpointId: string,
    filter: { after?: string; status?: WebhookDeliveryStatus },
    limit: number,
  ): Promise<WebhookDelivery[]> {
    const rows: WebhookDeliveryRow[] = await tx.query(
      `SELECT * FROM webhook_deliveries WHERE endpoint_id = $1 AND id > $2 AND ($3::text IS NULL OR status = $3) ORDER BY id LIMIT $4`,
      [endpointId, filter.after ?? NO_ID, filter.status ?? null, limit],
    );
    return rows.map(webhookDeliveryFromRow);
  }

  /** A delivery of the endpoint and exactly this owner (optionally locked). */
  async findInScope(
    tx: WebhookTx,
    owner: WebhookOwner,
    endpointId: string,
    id: string,
    lock = false,
  ): Promise<WebhookDelivery | undefined> {
    const [row] = rowsOf<WebhookDeliveryRow>(
      await tx.query(
        `SELECT * FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2 AND partner_id = $3 AND tenant_id IS NOT DISTINCT FROM $4::uuid
       ${lock ? 'FOR UPDATE' : ''}`,
        [id, endpointId, owner.partnerId, owner.tenantId],
      ),
    );
    return row && webhookDeliveryFromRow(row);
  }

  async attemptsOf(tx: WebhookTx, deliveryId: string): Promise<WebhookAttempt[]> {
    const rows: WebhookAttemptRow[] = await tx.query('SELECT * FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY id', [
      deliveryId,
    ]);
    return rows.map(webhookAttemptFromRow);
  }

  /** Makes a delivery pending again with a fresh retry cycle (a manual retry); schedule it after. */
  async restart(tx: WebhookTx, id: string): Promise<void> {
    await tx.query(
      `UPDATE webhook_deliveries SET status = 'pending', schedule_step = 0, completed_at = NULL, updated_at = now() WHERE id = $1`,
      [id],
    );
  }

  /** A `webhook.test` delivery with its stored body; its message id is its own id. */
  async insertTest(
    tx: WebhookTx,
    d: { id: string; owner: WebhookOwner; endpointId: string; payload: Record<string, unknown> },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO webhook_deliveries (id, partner_id, tenant_id, endpoint_id, kind, event_type, message_id, payload)
       VALUES ($1::uuid, $2, $3, $4, 'test', '${WEBHOOK_TEST_TYPE}', $1::text, $5)`,
      [d.id, d.owner.partnerId, d.owner.tenantId, d.endpointId, JSON.stringify(d.payload)],
    );
  }

  /** New `replay` deliveries of the events to one endpoint; returns their ids (in the events' order). */
  async insertReplays(tx: WebhookTx, endpoint: WebhookOwner & { id: string }, events: EventRef[]): Promise<string[]> {
    const ids = events.map(() => newId());
    await tx.query(
      `INSERT INTO webhook_deliveries (id, partner_id, tenant_id, endpoint_id, kind, event_id, event_type, resource_id, message_id)
       SELECT d.id, $1, $2, $3, 'replay', d.event_id, d.type, d.resource_id, d.event_id::text
         FROM unnest($4::uuid[], $5::uuid[], $6::text[], $7::uuid[]) AS d(id, event_id, type, resource_id)`,
      [
        endpoint.partnerId,
        endpoint.tenantId,
        endpoint.id,
        ids,
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => e.resourceId),
      ],
    );
    return ids;
  }

  /**
   * The `event` deliveries of (endpoint, event) pairs that do not exist yet (unique per endpoint and
   * event, so a re-run adds nothing); returns the ids of the new ones.
   */
  async insertForEvents(
    tx: PartnerTx,
    pairs: Array<{ endpoint: { id: string; tenantId: string | null }; event: EventRef }>,
  ): Promise<string[]> {
    const inserted: Array<{ id: string }> = await tx.query(
      `INSERT INTO webhook_deliveries (id, partner_id, tenant_id, endpoint_id, kind, event_id, event_type, resource_id, message_id)
       SELECT d.id, $1, d.tenant_id, d.endpoint_id, 'event', d.event_id, d.type, d.resource_id, d.event_id::text
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::uuid[]) AS d(id, tenant_id, endpoint_id, event_id, type, resource_id)
       ON CONFLICT (endpoint_id, event_id) WHERE kind = 'event' DO NOTHING
       RETURNING id`,
      [
        tx.partnerId,
        pairs.map(() => newId()),
        pairs.map((p) => p.endpoint.tenantId),
        pairs.map((p) => p.endpoint.id),
        pairs.map((p) => p.event.id),
        pairs.map((p) => p.event.type),
        pairs.map((p) => p.event.resourceId),
      ],
    );
    return inserted.map((r) => r.id);
  }

  /**
   * Schedules the next attempt of each delivery in the caller's transaction: bumps its schedule sequence,
   * names the one job allowed to make the attempt (`webhook.deliver_<id>_<seq>`, so an older job that
   * still fires finds itself superseded) and writes that job to the outbox with `delayMs`, in one
   * statement. Only pending deliveries are scheduled. Returns how many were.
   */
  async schedule(tx: SqlTx, deliveryIds: string[], delayMs = 0): Promise<number> {
    if (!deliveryIds.length) return 0;
    const [row]: Array<{ n: number }> = await tx.query(
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
  async failPending(tx: WebhookTx, endpointId: string, reason: string): Promise<void> {
    await tx.query(
      `UPDATE webhook_deliveries SET status = 'failed', last_error = $2, scheduled_job_id = NULL, next_attempt_at = NULL,
              completed_at = now(), updated_at = now()
        WHERE endpoint_id = $1 AND status = 'pending'`,
      [endpointId, reason.slice(0, 1000)],
    );
  }

  /** What a delivery's order lock is taken on, read without a row lock. */
  async orderKey(tx: WebhookTx, id: string): Promise<{ endpointId: string; resourceId: string | null } | undefined> {
    const [row]: Array<{ endpoint_id: string; resource_id: string | null }> = await tx.query(
      'SELECT endpoint_id, resource_id FROM webhook_deliveries WHERE id = $1',
      [id],
    );
    return row && { endpointId: row.endpoint_id, resourceId: row.resource_id };
  }

  /**
   * The per-(endpoint, resource) order lock, transaction-scoped: makes "wait behind an earlier delivery"
   * and "start the next one" exclusive. Take it before any row lock. No resource, no lock.
   */
  async lockOrder(tx: WebhookTx, endpointId: string, resourceId: string | null): Promise<void> {
    if (resourceId) await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))`, [endpointId, resourceId]);
  }

  async lock(tx: WebhookTx, id: string): Promise<WebhookDelivery | undefined> {
    const [row]: WebhookDeliveryRow[] = await tx.query('SELECT * FROM webhook_deliveries WHERE id = $1 FOR UPDATE', [id]);
    return row && webhookDeliveryFromRow(row);
  }

  /** Whether an earlier (by event) delivery of the same endpoint and resource is still pending. */
  async hasEarlierPending(tx: WebhookTx, d: WebhookDelivery): Promise<boolean> {
    const [row]: unknown[] = await tx.query(
      `SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1 AND resource_id = $2 AND status = 'pending' AND (event_id, id) < ($3::uuid, $4::uuid) LIMIT 1`,
      [d.endpointId, d.resourceId, d.eventId, d.id],
    );
    return Boolean(row);
  }

  /** The first pending delivery of the endpoint and resource (by event), the one to start next. */
  async nextPending(
    tx: WebhookTx,
    endpointId: string,
    resourceId: string,
  ): Promise<{ id: string; scheduledJobId: string | null } | undefined> {
    const [row]: Array<{ id: string; scheduled_job_id: string | null }> = await tx.query(
      `SELECT id, scheduled_job_id FROM webhook_deliveries WHERE endpoint_id = $1 AND resource_id = $2 AND status = 'pending'
        ORDER BY event_id, id LIMIT 1`,
      [endpointId, resourceId],
    );
    return row && { id: row.id, scheduledJobId: row.scheduled_job_id };
  }

  /** Leaves a pending delivery without a job: it waits until the delivery ahead of it ends and starts it. */
  async park(tx: WebhookTx, id: string): Promise<void> {
    await tx.query('UPDATE webhook_deliveries SET scheduled_job_id = NULL, next_attempt_at = NULL, updated_at = now() WHERE id = $1', [id]);
  }

  /** Records one attempt of a delivery. */
  async recordAttempt(tx: WebhookTx, d: WebhookDelivery, a: NewWebhookAttempt): Promise<void> {
    await tx.query(
      `INSERT INTO webhook_delivery_attempts (delivery_id, partner_id, tenant_id, attempt, url, status_code, duration_ms, error, response_excerpt, attempted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [d.id, d.partnerId, d.tenantId, a.attempt, a.url, a.statusCode, a.durationMs, a.error, a.responseExcerpt, a.attemptedAt],
    );
  }

  /** Counts an attempt on the delivery (its last status and error); `advanceStep` moves it along the retry schedule. */
  async countAttempt(tx: WebhookTx, id: string, statusCode: number | null, error: string | null, advanceStep: boolean): Promise<void> {
    await tx.query(
      `UPDATE webhook_deliveries SET attempt_count = attempt_count + 1, schedule_step = schedule_step + CASE WHEN $4 THEN 1 ELSE 0 END,
              last_status_code = $2, last_error = $3, updated_at = now()
        WHERE id = $1`,
      [id, statusCode, error, advanceStep],
    );
  }

  /** Ends a delivery. */
  async finish(tx: WebhookTx, id: string, status: 'succeeded' | 'failed', error: string | null): Promise<void> {
    await tx.query(
      `UPDATE webhook_deliveries SET status = $2, last_error = $3, scheduled_job_id = NULL, next_attempt_at = NULL,
              completed_at = now(), updated_at = now() WHERE id = $1`,
      [id, status, error],
    );
  }

  /**
   * Pending deliveries whose attempt is overdue by more than `staleMs` (their queue job was lost),
   * locked, skipping ones another transaction holds. Run by the owner (every partner's rows).
   */
  async lockOverdue(tx: SqlTx, staleMs: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await tx.query(
      `SELECT id FROM webhook_deliveries WHERE status = 'pending' AND scheduled_job_id IS NOT NULL
          AND next_attempt_at < now() - make_interval(secs => $1) ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [staleMs / 1000, limit],
    );
    return rows.map((r) => r.id);
  }
}

export const webhookDeliveryRepository = new WebhookDeliveryRepository();
