import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { LimitExceeded, NotFound, newId } from '@bg/domain';
import {
  APP_CONFIG, CredentialCipher, WEBHOOK_ENDPOINT_COLUMNS, failPendingWebhookDeliveries, generateWebhookSecret, isUuid,
  rowsOf, sealWebhookSecret, webhookUrlPolicy, webhookUrlProblem, type AppConfig, type WebhookEndpointRow,
} from '@bg/platform';
import { ProblemError } from '../common/problem';
import { WebhookScopes, type WebhookScope } from './webhook-scope';
import { toWebhook, type CreateWebhook, type UpdateWebhook } from './webhooks.dto';

const MAX_ENDPOINTS_PER_SCOPE = 50;
const IN_SCOPE = 'partner_id = $1 AND tenant_id IS NOT DISTINCT FROM $2::uuid AND deleted_at IS NULL';

/** Webhook endpoints: create (the secret is answered once), read, change, rotate the secret, delete. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly scopes: WebhookScopes,
    private readonly cipher: CredentialCipher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(scope: WebhookScope, body: CreateWebhook) {
    await this.assertUrl(body.url);
    const id = newId();
    const secret = generateWebhookSecret();
    const sealed = sealWebhookSecret(this.cipher, id, secret);
    const row = await this.scopes.run(scope, async (tx) => {
      const [{ n }] = await tx.query(`SELECT count(*)::int AS n FROM webhook_endpoints WHERE ${IN_SCOPE}`, [scope.partnerId, scope.tenantId]);
      if (n >= MAX_ENDPOINTS_PER_SCOPE) throw new LimitExceeded(`At most ${MAX_ENDPOINTS_PER_SCOPE} webhook endpoints per partner or tenant.`, { limit: MAX_ENDPOINTS_PER_SCOPE });
      const [r] = await tx.query(
        `INSERT INTO webhook_endpoints (id, partner_id, tenant_id, url, description, event_types, enabled, disabled_reason,
           secret_ciphertext, secret_wrapped_key, secret_key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${WEBHOOK_ENDPOINT_COLUMNS}`,
        [id, scope.partnerId, scope.tenantId, body.url, body.description ?? null, body.eventTypes, body.enabled,
          body.enabled ? null : 'created disabled', sealed.ciphertext, sealed.wrappedKey, sealed.keyId],
      );
      return r as WebhookEndpointRow;
    });
    return { ...toWebhook(row), secret };
  }

  async list(scope: WebhookScope, after: string | undefined, limit: number): Promise<WebhookEndpointRow[]> {
    return this.scopes.run(scope, (tx) => tx.query(
      `SELECT ${WEBHOOK_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE ${IN_SCOPE} AND id > $3 ORDER BY id LIMIT $4`,
      [scope.partnerId, scope.tenantId, after ?? '00000000-0000-0000-0000-000000000000', limit + 1],
    ));
  }

  async get(scope: WebhookScope, id: string): Promise<WebhookEndpointRow> {
    return this.scopes.run(scope, (tx) => this.load(tx, scope, id));
  }

  /** Loads an endpoint of the scope (optionally locking it); another scope's or a deleted one is NOT_FOUND. */
  async load(tx: EntityManager, scope: WebhookScope, id: string, lock = false): Promise<WebhookEndpointRow> {
    if (!isUuid(id)) throw new NotFound('webhook', id);
    const [row] = await tx.query(
      `SELECT ${WEBHOOK_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE ${IN_SCOPE} AND id = $3 ${lock ? 'FOR UPDATE' : ''}`,
      [scope.partnerId, scope.tenantId, id],
    );
    if (!row) throw new NotFound('webhook', id);
    return row;
  }

  /**
   * Changes url, description, event types or enabled. Re-enabling clears disabledReason and failingSince;
   * re-enabling or new event types start `active_since` again (the fanout backfills nothing older).
   * Disabling ends the endpoint's pending deliveries as failed.
   */
  async update(scope: WebhookScope, id: string, body: UpdateWebhook) {
    if (body.url !== undefined) await this.assertUrl(body.url);
    const { row, disabled } = await this.scopes.run(scope, async (tx) => {
      const current = await this.load(tx, scope, id, true);
      const enable = body.enabled === true && !current.enabled;
      const disable = body.enabled === false && current.enabled;
      const typesChanged = body.eventTypes !== undefined && body.eventTypes.join(',') !== current.event_types.join(',');
      const [r] = rowsOf<WebhookEndpointRow>(await tx.query(
        `UPDATE webhook_endpoints SET url = coalesce($2, url), description = CASE WHEN $3 THEN $4 ELSE description END,
                event_types = coalesce($5, event_types), enabled = coalesce($6, enabled),
                disabled_reason = CASE WHEN $7 THEN NULL WHEN $8 THEN 'disabled with PATCH' ELSE disabled_reason END,
                failing_since = CASE WHEN $7 THEN NULL ELSE failing_since END,
                active_since = CASE WHEN $7 OR $9 THEN now() ELSE active_since END, updated_at = now()
          WHERE id = $1 RETURNING ${WEBHOOK_ENDPOINT_COLUMNS}`,
        [id, body.url ?? null, body.description !== undefined, body.description ?? null, body.eventTypes ?? null, body.enabled ?? null, enable, disable, typesChanged],
      ));
      return { row: r, disabled: disable };
    });
    if (disabled) await this.scopes.run(scope, (tx) => failPendingWebhookDeliveries(tx, id, 'endpoint disabled with PATCH'));
    return toWebhook(row);
  }

  /** A new secret, answered once. The old one keeps signing beside it for `overlapSeconds`. */
  async rotateSecret(scope: WebhookScope, id: string, overlapSeconds: number) {
    const secret = generateWebhookSecret();
    const sealed = sealWebhookSecret(this.cipher, id, secret);
    const row = await this.scopes.run(scope, async (tx) => {
      await this.load(tx, scope, id, true);
      const [r] = rowsOf<WebhookEndpointRow>(await tx.query(
        `UPDATE webhook_endpoints SET
           previous_secret_ciphertext = CASE WHEN $5::int > 0 THEN secret_ciphertext END,
           previous_secret_wrapped_key = CASE WHEN $5 > 0 THEN secret_wrapped_key END,
           previous_secret_key_id = CASE WHEN $5 > 0 THEN secret_key_id END,
           previous_secret_expires_at = CASE WHEN $5 > 0 THEN now() + make_interval(secs => $5) END,
           secret_ciphertext = $2, secret_wrapped_key = $3, secret_key_id = $4, updated_at = now()
         WHERE id = $1 RETURNING ${WEBHOOK_ENDPOINT_COLUMNS}`,
        [id, sealed.ciphertext, sealed.wrappedKey, sealed.keyId, overlapSeconds],
      ));
      return r;
    });
    return { ...toWebhook(row), secret };
  }

  /** Soft delete: the endpoint takes no more events; its pending deliveries end failed. */
  async remove(scope: WebhookScope, id: string): Promise<void> {
    await this.scopes.run(scope, async (tx) => {
      await this.load(tx, scope, id, true);
      await tx.query('UPDATE webhook_endpoints SET deleted_at = now(), enabled = false, updated_at = now() WHERE id = $1', [id]);
    });
    await this.scopes.run(scope, (tx) => failPendingWebhookDeliveries(tx, id, 'endpoint deleted'));
  }

  /** SSRF guard: scheme and every resolved address (see webhookUrlProblem). */
  private async assertUrl(url: string): Promise<void> {
    const problem = await webhookUrlProblem(url, webhookUrlPolicy(this.config));
    if (problem) throw ProblemError.of('VALIDATION_FAILED', `The body is invalid: url: ${problem}`, { errors: [{ path: 'url', message: problem }] });
  }
}
