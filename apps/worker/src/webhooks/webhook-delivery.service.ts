import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  APP_CONFIG, CredentialCipher, TenantDb, failPendingWebhookDeliveries, openWebhookSecret, rowsOf, scheduleWebhookDeliveries,
  toDomainEvent, type AppConfig, type EventRow, type PartnerTx, type WebhookDeliveryRow,
} from '@bg/platform';
import { SYSTEM_DB } from '../common/worker-platform.module';
import { eventMessageBody, signedHeaders } from './webhook-message';
import { attemptError, decideOutcome, type AttemptOutcome } from './webhook-outcome';
import { WebhookSender, type SendResult } from './webhook-sender';

interface EndpointSecrets {
  id: string; url: string; enabled: boolean; deleted_at: Date | null;
  secret_ciphertext: Buffer; secret_wrapped_key: Buffer; secret_key_id: string;
  previous_secret_ciphertext: Buffer | null; previous_secret_wrapped_key: Buffer | null; previous_secret_key_id: string | null;
  previous_secret_expires_at: Date | null;
}

/** An attempt ready to go out, prepared (and checked) in a transaction, sent outside it. */
interface Send { kind: 'send'; delivery: WebhookDeliveryRow; url: string; body: string; secrets: string[] }
type Plan = Send | { kind: 'superseded' | 'waiting' | 'endpoint-off' };

/**
 * `webhook.deliver`: one attempt of one delivery, recorded, then what follows it — the next attempt as
 * a delayed job (through the outbox, in the same transaction as the record), or the delivery's end and
 * the next pending delivery of the same endpoint and resource started.
 *
 * Order per (endpoint, resource): an attempt does not go out while an earlier delivery of the resource
 * (by event) is pending; the delivery then waits with no job until that one ends and starts it. A
 * transaction-scoped advisory lock on (endpoint, resource) makes "wait" and "start the next" exclusive,
 * so no start is lost. The lock is taken before any row lock, in every transaction that takes it.
 *
 * Only the job named in `scheduled_job_id` may attempt: a job superseded by a manual retry or a
 * reschedule ends without sending. A worker that dies mid-attempt leaves the job to BullMQ's stalled
 * check, which runs it again (at least once).
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly log = new Logger('WebhookDelivery');

  constructor(
    @Inject(SYSTEM_DB) private readonly system: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: TenantDb,
    private readonly cipher: CredentialCipher,
    private readonly sender: WebhookSender,
  ) {}

  async deliver(deliveryId: string, jobId: string): Promise<string> {
    // The job carries only the delivery id; its partner decides the row-level-security scope of the rest.
    const [owner] = await this.system.query('SELECT partner_id FROM webhook_deliveries WHERE id = $1', [deliveryId]);
    if (!owner) return 'missing';
    const plan = await this.db.runAsPartner(owner.partner_id, (tx) => this.prepare(tx, deliveryId, jobId));
    if (plan.kind !== 'send') return plan.kind;
    const at = new Date();
    const result = await this.sender.send(plan.url, plan.body, signedHeaders(plan.secrets, plan.delivery.message_id, at, plan.body));
    const outcome = decideOutcome(result, plan.delivery.schedule_step + 1, this.config.WEBHOOK_RETRY_SCHEDULE);
    const disabled = await this.db.runAsPartner(owner.partner_id, (tx) => this.record(tx, plan, jobId, result, outcome, at));
    if (disabled) {
      this.log.warn(`webhook endpoint ${plan.delivery.endpoint_id} disabled: ${disabled}`);
      await this.db.runAsPartner(owner.partner_id, (tx) => failPendingWebhookDeliveries(tx, plan.delivery.endpoint_id, `endpoint disabled: ${disabled}`));
    }
    return outcome.kind;
  }

  private async prepare(tx: PartnerTx, deliveryId: string, jobId: string): Promise<Plan> {
    const [key] = await tx.query('SELECT endpoint_id, resource_id FROM webhook_deliveries WHERE id = $1', [deliveryId]);
    if (!key) return { kind: 'superseded' };
    await this.lockOrder(tx, key.endpoint_id, key.resource_id);
    const delivery = await this.lockDelivery(tx, deliveryId);
    if (delivery.status !== 'pending' || delivery.scheduled_job_id !== jobId) return { kind: 'superseded' };
    const [endpoint]: EndpointSecrets[] = await tx.query('SELECT * FROM webhook_endpoints WHERE id = $1', [delivery.endpoint_id]);
    if (!endpoint.enabled || endpoint.deleted_at) {
      await this.finish(tx, delivery, 'failed', endpoint.deleted_at ? 'endpoint deleted' : 'endpoint disabled');
      return { kind: 'endpoint-off' };
    }
    if (delivery.resource_id && await this.hasEarlierPending(tx, delivery)) {
      await tx.query('UPDATE webhook_deliveries SET scheduled_job_id = NULL, next_attempt_at = NULL, updated_at = now() WHERE id = $1', [delivery.id]);
      return { kind: 'waiting' };
    }
    return { kind: 'send', delivery, url: endpoint.url, body: await this.body(tx, delivery), secrets: this.secrets(endpoint) };
  }

  /**
   * Records the attempt and applies its outcome. Returns the reason when the endpoint was disabled by
   * it (410, or failing for longer than WEBHOOK_DISABLE_AFTER_HOURS).
   */
  private async record(tx: PartnerTx, plan: Send, jobId: string, result: SendResult, outcome: AttemptOutcome, at: Date): Promise<string | undefined> {
    const d = plan.delivery;
    await this.lockOrder(tx, d.endpoint_id, d.resource_id);
    const current = await this.lockDelivery(tx, d.id);
    const error = attemptError(result);
    await tx.query(
      `INSERT INTO webhook_delivery_attempts (delivery_id, partner_id, tenant_id, attempt, url, status_code, duration_ms, error, response_excerpt, attempted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [d.id, d.partner_id, d.tenant_id, current.attempt_count + 1, plan.url, result.statusCode ?? null, result.durationMs, error, result.excerpt ?? null, at],
    );
    // A manual retry during this attempt took the delivery over: record only, its job decides what follows.
    const stillOurs = current.status === 'pending' && current.scheduled_job_id === jobId;
    await tx.query(
      `UPDATE webhook_deliveries SET attempt_count = attempt_count + 1, schedule_step = schedule_step + CASE WHEN $4 THEN 1 ELSE 0 END,
              last_status_code = $2, last_error = $3, updated_at = now()
        WHERE id = $1`,
      [d.id, result.statusCode ?? null, error, stillOurs],
    );
    if (outcome.kind === 'succeeded') {
      await this.finish(tx, current, 'succeeded', null);
      await tx.query('UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL', [d.endpoint_id]);
      return undefined;
    }
    if (stillOurs && outcome.kind === 'retry') await scheduleWebhookDeliveries(tx, [d.id], outcome.delayMs);
    if (stillOurs && outcome.kind === 'failed') await this.finish(tx, current, 'failed', error);
    return this.noteFailure(tx, d.endpoint_id, outcome.kind === 'failed' ? outcome.disableReason : undefined);
  }

  /** Sets failing_since on the first failure; disables the endpoint on 410 or when failing too long. */
  private async noteFailure(tx: PartnerTx, endpointId: string, disableReason: string | undefined): Promise<string | undefined> {
    const [ep] = rowsOf<{ failing_hours: number }>(await tx.query(
      `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()) WHERE id = $1
       RETURNING extract(epoch FROM now() - failing_since) / 3600 AS failing_hours`, [endpointId],
    ));
    const hours = this.config.WEBHOOK_DISABLE_AFTER_HOURS;
    const reason = disableReason ?? (Number(ep.failing_hours) > hours ? `deliveries kept failing for more than ${hours} hours` : undefined);
    if (!reason) return undefined;
    const disabled = rowsOf(await tx.query(
      'UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now() WHERE id = $1 AND enabled RETURNING id', [endpointId, reason],
    ));
    return disabled.length ? reason : undefined;
  }

  /** Ends a delivery and starts the next pending one of the same endpoint and resource. */
  private async finish(tx: PartnerTx, d: WebhookDeliveryRow, status: 'succeeded' | 'failed', error: string | null): Promise<void> {
    await tx.query(
      `UPDATE webhook_deliveries SET status = $2, last_error = $3, scheduled_job_id = NULL, next_attempt_at = NULL,
              completed_at = now(), updated_at = now() WHERE id = $1`,
      [d.id, status, error],
    );
    if (!d.resource_id) return;
    const [next] = await tx.query(
      `SELECT id, scheduled_job_id FROM webhook_deliveries WHERE endpoint_id = $1 AND resource_id = $2 AND status = 'pending'
        ORDER BY event_id, id LIMIT 1`, [d.endpoint_id, d.resource_id],
    );
    if (next && !next.scheduled_job_id) await scheduleWebhookDeliveries(tx, [next.id]);
  }

  private async hasEarlierPending(tx: PartnerTx, d: WebhookDeliveryRow): Promise<boolean> {
    const [row] = await tx.query(
      `SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1 AND resource_id = $2 AND status = 'pending' AND (event_id, id) < ($3::uuid, $4::uuid) LIMIT 1`,
      [d.endpoint_id, d.resource_id, d.event_id, d.id],
    );
    return Boolean(row);
  }

  private async lockOrder(tx: PartnerTx, endpointId: string, resourceId: string | null): Promise<void> {
    if (resourceId) await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))`, [endpointId, resourceId]);
  }

  private async lockDelivery(tx: PartnerTx, id: string): Promise<WebhookDeliveryRow> {
    const [row] = await tx.query('SELECT * FROM webhook_deliveries WHERE id = $1 FOR UPDATE', [id]);
    return row;
  }

  /** The message body: stored for a test message, built from the event otherwise (same bytes every attempt). */
  private async body(tx: PartnerTx, d: WebhookDeliveryRow): Promise<string> {
    if (d.payload) return JSON.stringify(d.payload);
    const [event]: EventRow[] = await tx.query('SELECT * FROM events WHERE id = $1', [d.event_id]);
    return eventMessageBody(toDomainEvent(event));
  }

  /** The current secret, and the previous one while its rotation overlap lasts. */
  private secrets(ep: EndpointSecrets): string[] {
    const current = openWebhookSecret(this.cipher, ep.id, { ciphertext: ep.secret_ciphertext, wrappedKey: ep.secret_wrapped_key, keyId: ep.secret_key_id });
    const overlap = ep.previous_secret_ciphertext && ep.previous_secret_wrapped_key && ep.previous_secret_key_id
      && ep.previous_secret_expires_at && new Date(ep.previous_secret_expires_at) > new Date();
    if (!overlap) return [current];
    return [current, openWebhookSecret(this.cipher, ep.id, {
      ciphertext: ep.previous_secret_ciphertext!, wrappedKey: ep.previous_secret_wrapped_key!, keyId: ep.previous_secret_key_id!,
    })];
  }
}
