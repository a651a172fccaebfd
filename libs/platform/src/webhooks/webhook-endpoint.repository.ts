import type { WebhookEndpoint, WebhookOwner } from '@bg/domain';
import type { CredentialCipher, SealedSecret } from '../crypto/credential-cipher';
import { toDate, toDateOrNull } from '../database/dates';
import { rowsOf } from '../database/rows';
import type { PartnerTx, TenantTx } from '../tenancy/tenant-db';
import { openWebhookSecret } from './webhook-secret';

/** A row of `webhook_endpoints` without its secret columns (timestamps may be ISO strings, in snapshots). */
export interface WebhookEndpointRow {
  id: string;
  partner_id: string;
  tenant_id: string | null;
  url: string;
  description: string | null;
  event_types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: Date | string | null;
  previous_secret_expires_at: Date | string | null;
  active_since: Date | string;
  created_at: Date | string;
  updated_at: Date | string;
  deleted_at: Date | string | null;
}

/** The secret columns, read only by loadForDelivery. */
interface WebhookSecretColumns {
  secret_ciphertext: Buffer;
  secret_wrapped_key: Buffer;
  secret_key_id: string;
  previous_secret_ciphertext: Buffer | null;
  previous_secret_wrapped_key: Buffer | null;
  previous_secret_key_id: string | null;
}

const COLUMNS = `id, partner_id, tenant_id, url, description, event_types, enabled, disabled_reason, failing_since,
  previous_secret_expires_at, active_since, created_at, updated_at, deleted_at`;

const IN_SCOPE = 'partner_id = $1 AND tenant_id IS NOT DISTINCT FROM $2::uuid AND deleted_at IS NULL';
const NO_ID = '00000000-0000-0000-0000-000000000000';

export function webhookEndpointFromRow(r: WebhookEndpointRow): WebhookEndpoint {
  return {
    id: r.id,
    partnerId: r.partner_id,
    tenantId: r.tenant_id,
    url: r.url,
    description: r.description,
    eventTypes: r.event_types,
    enabled: r.enabled,
    disabledReason: r.disabled_reason,
    failingSince: toDateOrNull(r.failing_since),
    previousSecretExpiresAt: toDateOrNull(r.previous_secret_expires_at),
    activeSince: toDate(r.active_since),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    deletedAt: toDateOrNull(r.deleted_at),
  };
}

/** The transactions webhook endpoints are managed in: a tenant's, or a partner's (partner-wide endpoints). */
export type WebhookTx = TenantTx | PartnerTx;

export interface NewWebhookEndpoint {
  id: string;
  owner: WebhookOwner;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  /** Why it starts disabled (null when enabled). */
  disabledReason: string | null;
  secret: SealedSecret;
}

/** A change of an endpoint (absent = unchanged) and what it means for its state, as decided by the caller. */
export interface WebhookEndpointChange {
  url?: string;
  /** null clears the description. */
  description?: string | null;
  eventTypes?: string[];
  enabled?: boolean;
  /** Re-enabled: clears disabled_reason and failing_since, starts active_since again. */
  reEnabled: boolean;
  /** Disabled with PATCH: records that as the reason. */
  disabled: boolean;
  /** The subscription changed: starts active_since again. */
  typesChanged: boolean;
}

/** An endpoint as the delivery worker sees it: where to send, and (opened on demand) its signing secrets. */
export interface WebhookDeliveryTarget {
  endpoint: WebhookEndpoint;
  /** The current secret, and the previous one while its rotation overlap lasts (decrypted here, not stored). */
  secrets(now?: Date): string[];
}

/** `webhook_endpoints`: the only code that writes it. */
export class WebhookEndpointRepository {
  async countInScope(tx: WebhookTx, owner: WebhookOwner): Promise<number> {
    const [row]: Array<{ n: number }> = await tx.query(`SELECT count(*)::int AS n FROM webhook_endpoints WHERE ${IN_SCOPE}`, [
      owner.partnerId,
      owner.tenantId,
    ]);
    return row.n;
  }

  async insert(tx: WebhookTx, e: NewWebhookEndpoint): Promise<WebhookEndpoint> {
    const [row]: WebhookEndpointRow[] = await tx.query(
      `INSERT INTO webhook_endpoints (id, partner_id, tenant_id, url, description, event_types, enabled, disabled_reason,
         secret_ciphertext, secret_wrapped_key, secret_key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLUMNS}`,
      [
        e.id,
        e.owner.partnerId,
        e.owner.tenantId,
        e.url,
        e.description,
        e.eventTypes,
        e.enabled,
        e.disabledReason,
        e.secret.ciphertext,
        e.secret.wrappedKey,
        e.secret.keyId,
      ],
    );
    return webhookEndpointFromRow(row);
  }

  /** Up to `limit` live endpoints of the owner by id after `after`. */
  async list(tx: WebhookTx, owner: WebhookOwner, after: string | undefined, limit: number): Promise<WebhookEndpoint[]> {
    const rows: WebhookEndpointRow[] = await tx.query(
      `SELECT ${COLUMNS} FROM webhook_endpoints WHERE ${IN_SCOPE} AND id > $3 ORDER BY id LIMIT $4`,
      [owner.partnerId, owner.tenantId, after ?? NO_ID, limit],
    );
    return rows.map(webhookEndpointFromRow);
  }

  /** A live endpoint of exactly this owner (optionally locked); another owner's or a deleted one is undefined. */
  async findInScope(tx: WebhookTx, owner: WebhookOwner, id: string, lock = false): Promise<WebhookEndpoint | undefined> {
    const [row]: WebhookEndpointRow[] = await tx.query(
      `SELECT ${COLUMNS} FROM webhook_endpoints WHERE ${IN_SCOPE} AND id = $3 ${lock ? 'FOR UPDATE' : ''}`,
      [owner.partnerId, owner.tenantId, id],
    );
    return row && webhookEndpointFromRow(row);
  }

  async update(tx: WebhookTx, id: string, c: WebhookEndpointChange): Promise<WebhookEndpoint> {
    const [row] = rowsOf<WebhookEndpointRow>(
      await tx.query(
        `UPDATE webhook_endpoints SET url = coalesce($2, url), description = CASE WHEN $3 THEN $4 ELSE description END,
              event_types = coalesce($5, event_types), enabled = coalesce($6, enabled),
              disabled_reason = CASE WHEN $7 THEN NULL WHEN $8 THEN 'disabled with PATCH' ELSE disabled_reason END,
              failing_since = CASE WHEN $7 THEN NULL ELSE failing_since END,
              active_since = CASE WHEN $7 OR $9 THEN now() ELSE active_since END, updated_at = now()
        WHERE id = $1 RETURNING ${COLUMNS}`,
        [
          id,
          c.url ?? null,
          c.description !== undefined,
          c.description ?? null,
          c.eventTypes ?? null,
          c.enabled ?? null,
          c.reEnabled,
          c.disabled,
          c.typesChanged,
        ],
      ),
    );
    return webhookEndpointFromRow(row);
  }

  /** Installs a new secret; the current one becomes the previous one for `overlapSeconds` (0: dropped now). */
  async rotateSecret(tx: WebhookTx, id: string, secret: SealedSecret, overlapSeconds: number): Promise<WebhookEndpoint> {
    const [row] = rowsOf<WebhookEndpointRow>(
      await tx.query(
        `UPDATE webhook_endpoints SET
         previous_secret_ciphertext = CASE WHEN $5::int > 0 THEN secret_ciphertext END,
         previous_secret_wrapped_key = CASE WHEN $5 > 0 THEN secret_wrapped_key END,
         previous_secret_key_id = CASE WHEN $5 > 0 THEN secret_key_id END,
         previous_secret_expires_at = CASE WHEN $5 > 0 THEN now() + make_interval(secs => $5) END,
         secret_ciphertext = $2, secret_wrapped_key = $3, secret_key_id = $4, updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, secret.ciphertext, secret.wrappedKey, secret.keyId, overlapSeconds],
      ),
    );
    return webhookEndpointFromRow(row);
  }

  /** Soft delete: the endpoint is disabled and out of every scope. */
  async softDelete(tx: WebhookTx, id: string): Promise<void> {
    await tx.query('UPDATE webhook_endpoints SET deleted_at = now(), enabled = false, updated_at = now() WHERE id = $1', [id]);
  }

  /** Enabled live endpoints of the partner that take a tenant's events: partner-wide ones and the tenant's own. */
  async enabledForTenant(tx: PartnerTx, tenantId: string | null): Promise<WebhookEndpoint[]> {
    const rows: WebhookEndpointRow[] = await tx.query(
      `SELECT ${COLUMNS} FROM webhook_endpoints
        WHERE partner_id = $1 AND (tenant_id IS NULL OR tenant_id = $2) AND enabled AND deleted_at IS NULL`,
      [tx.partnerId, tenantId],
    );
    return rows.map(webhookEndpointFromRow);
  }

  /** Any endpoint by id, deleted too, with its signing secrets opened on demand (the delivery worker's view). */
  async loadForDelivery(tx: WebhookTx, cipher: CredentialCipher, id: string): Promise<WebhookDeliveryTarget | undefined> {
    const [row]: Array<WebhookEndpointRow & WebhookSecretColumns> = await tx.query(
      `SELECT ${COLUMNS}, secret_ciphertext, secret_wrapped_key, secret_key_id,
              previous_secret_ciphertext, previous_secret_wrapped_key, previous_secret_key_id
         FROM webhook_endpoints WHERE id = $1`,
      [id],
    );
    if (!row) return undefined;
    const endpoint = webhookEndpointFromRow(row);
    return {
      endpoint,
      secrets: (now = new Date()) => {
        const current = openWebhookSecret(cipher, row.id, {
          ciphertext: row.secret_ciphertext,
          wrappedKey: row.secret_wrapped_key,
          keyId: row.secret_key_id,
        });
        const expires = endpoint.previousSecretExpiresAt;
        const { previous_secret_ciphertext: ciphertext, previous_secret_wrapped_key: wrappedKey, previous_secret_key_id: keyId } = row;
        if (!ciphertext || !wrappedKey || !keyId || !expires || expires <= now) return [current];
        return [current, openWebhookSecret(cipher, row.id, { ciphertext, wrappedKey, keyId })];
      },
    };
  }

  /** After a successful delivery: the endpoint is no longer failing. */
  async clearFailing(tx: WebhookTx, id: string): Promise<void> {
    await tx.query('UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL', [id]);
  }

  /** After a failed attempt: sets failing_since if unset; returns for how many hours the endpoint has been failing. */
  async noteFailing(tx: WebhookTx, id: string): Promise<number> {
    const [row] = rowsOf<{ failing_hours: string | number }>(
      await tx.query(
        `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()) WHERE id = $1
       RETURNING extract(epoch FROM now() - failing_since) / 3600 AS failing_hours`,
        [id],
      ),
    );
    return Number(row.failing_hours);
  }

  /** Disables an enabled endpoint with a reason; false when it was already disabled. */
  async disable(tx: WebhookTx, id: string, reason: string): Promise<boolean> {
    const rows = rowsOf<{ id: string }>(
      await tx.query(
        'UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now() WHERE id = $1 AND enabled RETURNING id',
        [id, reason],
      ),
    );
    return rows.length > 0;
  }

  /** Partner deletion: the ids of every endpoint of the partner not deleted (partner-wide and its tenants'). */
  async liveIdsOfPartner(tx: PartnerTx): Promise<string[]> {
    const rows: Array<{ id: string }> = await tx.query(`SELECT id FROM webhook_endpoints WHERE partner_id = $1 AND deleted_at IS NULL`, [
      tx.partnerId,
    ]);
    return rows.map((r) => r.id);
  }
}

export const webhookEndpointRepository = new WebhookEndpointRepository();
