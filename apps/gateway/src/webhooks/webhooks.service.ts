import { Inject, Injectable } from '@nestjs/common';
import { LimitExceeded, NotFound, newId, type WebhookEndpoint } from '@bg/domain';
import {
  APP_CONFIG,
  CredentialCipher,
  generateWebhookSecret,
  isUuid,
  sealWebhookSecret,
  toWebhookResource,
  webhookDeliveryRepository,
  webhookEndpointRepository,
  webhookUrlPolicy,
  webhookUrlProblem,
  type AppConfig,
  type WebhookTx,
} from '@bg/platform';
import { ProblemError } from '../common/problem';
import { WebhookScopes, type WebhookScope } from './webhook-scope';
import type { CreateWebhook, UpdateWebhook } from './webhooks.dto';

const MAX_ENDPOINTS_PER_SCOPE = 50;

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
    const endpoint = await this.scopes.run(scope, async (tx) => {
      const n = await webhookEndpointRepository.countInScope(tx, scope);
      if (n >= MAX_ENDPOINTS_PER_SCOPE)
        throw new LimitExceeded(`At most ${MAX_ENDPOINTS_PER_SCOPE} webhook endpoints per partner or tenant.`, {
          limit: MAX_ENDPOINTS_PER_SCOPE,
        });
      return webhookEndpointRepository.insert(tx, {
        id,
        owner: scope,
        url: body.url,
        description: body.description ?? null,
        eventTypes: body.eventTypes,
        enabled: body.enabled,
        disabledReason: body.enabled ? null : 'created disabled',
        secret: sealed,
      });
    });
    return { ...toWebhookResource(endpoint), secret };
  }

  /** Up to `limit + 1` endpoints after `after` (the extra one tells the page there is more). */
  async list(scope: WebhookScope, after: string | undefined, limit: number): Promise<WebhookEndpoint[]> {
    return this.scopes.run(scope, (tx) => webhookEndpointRepository.list(tx, scope, after, limit + 1));
  }

  async get(scope: WebhookScope, id: string): Promise<WebhookEndpoint> {
    return this.scopes.run(scope, (tx) => this.load(tx, scope, id));
  }

  /** Loads an endpoint of the scope (optionally locking it); another scope's or a deleted one is NOT_FOUND. */
  async load(tx: WebhookTx, scope: WebhookScope, id: string, lock = false): Promise<WebhookEndpoint> {
    if (!isUuid(id)) throw new NotFound('webhook', id);
    const endpoint = await webhookEndpointRepository.findInScope(tx, scope, id, lock);
    if (!endpoint) throw new NotFound('webhook', id);
    return endpoint;
  }

  /**
   * Changes url, description, event types or enabled. Re-enabling clears disabledReason and failingSince;
   * re-enabling or new event types start `active_since` again (the fanout backfills nothing older).
   * Disabling ends the endpoint's pending deliveries as failed.
   */
  async update(scope: WebhookScope, id: string, body: UpdateWebhook) {
    if (body.url !== undefined) await this.assertUrl(body.url);
    const { endpoint, disabled } = await this.scopes.run(scope, async (tx) => {
      const current = await this.load(tx, scope, id, true);
      const reEnabled = body.enabled === true && !current.enabled;
      const disable = body.enabled === false && current.enabled;
      const typesChanged = body.eventTypes !== undefined && body.eventTypes.join(',') !== current.eventTypes.join(',');
      const changed = await webhookEndpointRepository.update(tx, id, {
        url: body.url,
        description: body.description,
        eventTypes: body.eventTypes,
        enabled: body.enabled,
        reEnabled,
        disabled: disable,
        typesChanged,
      });
      return { endpoint: changed, disabled: disable };
    });
    if (disabled) await this.scopes.run(scope, (tx) => webhookDeliveryRepository.failPending(tx, id, 'endpoint disabled with PATCH'));
    return toWebhookResource(endpoint);
  }

  /** A new secret, answered once. The old one keeps signing beside it for `overlapSeconds`. */
  async rotateSecret(scope: WebhookScope, id: string, overlapSeconds: number) {
    const secret = generateWebhookSecret();
    const sealed = sealWebhookSecret(this.cipher, id, secret);
    const endpoint = await this.scopes.run(scope, async (tx) => {
      await this.load(tx, scope, id, true);
      return webhookEndpointRepository.rotateSecret(tx, id, sealed, overlapSeconds);
    });
    return { ...toWebhookResource(endpoint), secret };
  }

  /** Soft delete: the endpoint takes no more events; its pending deliveries end failed. */
  async remove(scope: WebhookScope, id: string): Promise<void> {
    await this.scopes.run(scope, async (tx) => {
      await this.load(tx, scope, id, true);
      await webhookEndpointRepository.softDelete(tx, id);
    });
    await this.scopes.run(scope, (tx) => webhookDeliveryRepository.failPending(tx, id, 'endpoint deleted'));
  }

  /** SSRF guard: scheme and every resolved address (see webhookUrlProblem). */
  private async assertUrl(url: string): Promise<void> {
    const problem = await webhookUrlProblem(url, webhookUrlPolicy(this.config));
    if (problem)
      throw ProblemError.of('VALIDATION_FAILED', `The body is invalid: url: ${problem}`, { errors: [{ path: 'url', message: problem }] });
  }
}
