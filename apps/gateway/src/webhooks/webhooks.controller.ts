import { SecretResponse } from '../common/idempotency.interceptor';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { toWebhookDeliveryResource, toWebhookResource } from '@bg/platform';
import { decodeCursor, toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { ProblemError } from '../common/problem';
import { RequireScope } from '../common/scopes';
import { ApiZodBody, cursorQuery, ZodPipe } from '../common/zod';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WEBHOOK_CONTRACT } from './webhook-contract';
import { WebhookScopes } from './webhook-scope';
import {
  createWebhookSchema,
  listDeliveriesQuery,
  replaySchema,
  rotateSecretSchema,
  updateWebhookSchema,
  type CreateWebhook,
  type ListDeliveriesQuery,
  type Replay,
  type RotateSecret,
  type UpdateWebhook,
} from './webhooks.dto';
import { WebhooksService } from './webhooks.service';

/** A body that may be left out entirely (then the schema's defaults apply); one that is sent must be an object (JSON `null` is 400). */
class OptionalZodBody<T extends z.ZodType> extends ZodPipe<T> {
  override transform(value: unknown): z.infer<T> {
    if (value === null) {
      throw ProblemError.of('VALIDATION_FAILED', 'The body is invalid: (root): must be an object (or no body at all).', {
        errors: [{ path: '', message: 'must be an object' }],
      });
    }
    return super.transform(value ?? {});
  }
}

type Params = { tenantId?: string };
type Services = [WebhookScopes, WebhooksService, WebhookDeliveriesService];

/**
 * The webhook routes, mounted twice (one class each, so each documents its own path parameters):
 * /v1/webhooks for a partner's endpoints (all its tenants) and /v1/tenants/{tenantId}/webhooks for one
 * tenant's. The scope comes from the path and the key.
 */
function webhookRoutes(name: string, path: string) {
  @ApiTags('webhooks')
  @ApiBearerAuth()
  @Controller(path)
  class WebhookRoutes {
    constructor(
      private readonly scopes: WebhookScopes,
      private readonly endpoints: WebhooksService,
      private readonly deliveries: WebhookDeliveriesService,
    ) {}

    private base(params: Params): string {
      return params.tenantId ? `/v1/tenants/${params.tenantId}/webhooks` : '/v1/webhooks';
    }

    @RequireScope('webhooks')
    @Post()
    @HttpCode(201)
    @SecretResponse()
    @ApiOperation({
      summary: 'Create a webhook endpoint. The answer holds its signing secret (whsec_...), shown this once.',
      description: WEBHOOK_CONTRACT,
    })
    @ApiZodBody(createWebhookSchema)
    async create(
      @CurrentPrincipal() p: Principal,
      @Param() params: Params,
      @Body(new ZodPipe(createWebhookSchema)) body: CreateWebhook,
      @Res({ passthrough: true }) reply: FastifyReply,
    ) {
      const created = await this.endpoints.create(await this.scopes.resolveForSetup(p, params.tenantId), body);
      reply.header('location', `${this.base(params)}/${created.id}`);
      return created;
    }

    @RequireScope('read')
    @Get()
    @ApiOperation({ summary: 'List webhook endpoints (never their secrets).' })
    async list(
      @CurrentPrincipal() p: Principal,
      @Param() params: Params,
      @Query(new ZodPipe(cursorQuery, 'query')) q: z.infer<typeof cursorQuery>,
    ) {
      const scope = await this.scopes.resolve(p, params.tenantId);
      return toPage(await this.endpoints.list(scope, decodeCursor(q.cursor), q.limit), q.limit, (e) => toWebhookResource(e));
    }

    @RequireScope('read')
    @Get(':webhookId')
    async get(@CurrentPrincipal() p: Principal, @Param() params: Params, @Param('webhookId') id: string) {
      return toWebhookResource(await this.endpoints.get(await this.scopes.resolve(p, params.tenantId), id));
    }

    @RequireScope('webhooks')
    @Patch(':webhookId')
    @ApiOperation({
      summary:
        'Change url, description, eventTypes or enabled. enabled=true re-enables a disabled endpoint (clears disabledReason and failingSince); enabled=false ends its pending deliveries as failed.',
    })
    @ApiZodBody(updateWebhookSchema)
    async update(
      @CurrentPrincipal() p: Principal,
      @Param() params: Params,
      @Param('webhookId') id: string,
      @Body(new ZodPipe(updateWebhookSchema)) body: UpdateWebhook,
    ) {
      // Switching an endpoint on or off is support work the operator may do; changing where events go is not.
      const onlyEnabled = Object.keys(body).every((k) => k === 'enabled');
      const scope = onlyEnabled ? await this.scopes.resolve(p, params.tenantId) : await this.scopes.resolveForSetup(p, params.tenantId);
      return this.endpoints.update(scope, id, body);
    }

    @RequireScope('webhooks')
    @Delete(':webhookId')
    @HttpCode(204)
    @ApiOperation({ summary: 'Delete a webhook endpoint: it takes no more events and its pending deliveries end failed.' })
    async remove(@CurrentPrincipal() p: Principal, @Param() params: Params, @Param('webhookId') id: string) {
      await this.endpoints.remove(await this.scopes.resolve(p, params.tenantId), id);
    }

    @RequireScope('webhooks')
    @Post(':webhookId/rotate-secret')
    @HttpCode(200)
    @SecretResponse()
    @ApiOperation({
      summary:
        'Replace the signing secret; the answer holds the new one, shown this once. For overlapSeconds (default 86400) the previous secret also signs: webhook-signature carries "v1,<new> v1,<old>".',
    })
    @ApiZodBody(rotateSecretSchema, 'Optional: without a body the defaults apply. When sent, a JSON object.', false)
    async rotateSecret(
      @CurrentPrincipal() p: Principal,
      @Param() params: Params,
      @Param('webhookId') id: string,
      @Body(new OptionalZodBody(rotateSecretSchema)) body: RotateSecret,
    ) {
      return this.endpoints.rotateSecret(await this.scopes.resolveForSetup(p, params.tenantId), id, body.overlapSeconds);
    }

    @RequireScope('webhooks')
    @Post(':webhookId/test')
    @HttpCode(202)
    @ApiOperation({
      summary:
        'Send a `webhook.test` message to this endpoint only. Answers 202 with the delivery (its own webhook-id); follow it under deliveries.',
    })
    async test(
      @CurrentPrincipal() p: Principal,
      @Param() params: Params,
      @Param('webhookId') id: string,
      @Res({ passthrough: true }) reply: FastifyReply,
    ) {
      const delivery = await this.deliveries.test(await this.scopes.resolve(p, params.tenantId), id);
      reply.header('location', `${this.base(params)}/${id}/deliveries/${delivery.id}`);
      return delivery;
    }

    @RequireScope('webhooks')
    @Post(':webhookId/replay')
    @HttpCode(202)
    @ApiOperation({
      summary:
        'Re-deliver stored events of [since, until) that the endpoint subscribes to (optionally only eventTypes), oldest first, as new deliveries. Answers 202 with their count (at most 10,000).',
    })
    @ApiZodBody(replaySchema)
    async replay(
      @CurrentPrincipal() p: Principal,
      @Param() params: Params,
      @Param('webhookId') id: string,
      @Body(new ZodPipe(replaySchema)) body: Replay,
    ) {
      return this.deliveries.replay(await this.scopes.resolve(p, params.tenantId), id, body);
    }

    @RequireScope('read')
    @Get(':webhookId/deliveries')
    @ApiOperation({ summary: 'Deliveries to this endpoint, oldest first, with a cursor; filter by status (pending, succeeded, failed).' })
    async listDeliveries(
      @CurrentPrincipal() p: Principal,
      @Param() params: Params,
      @Param('webhookId') id: string,
      @Query(new ZodPipe(listDeliveriesQuery, 'query')) q: ListDeliveriesQuery,
    ) {
      const scope = await this.scopes.resolve(p, params.tenantId);
      return toPage(await this.deliveries.list(scope, id, decodeCursor(q.cursor), q), q.limit, toWebhookDeliveryResource);
    }

    @RequireScope('read')
    @Get(':webhookId/deliveries/:deliveryId')
    @ApiOperation({ summary: 'One delivery with every attempt (status code, duration, error, response excerpt, time).' })
    async getDelivery(
      @CurrentPrincipal() p: Principal,
      @Param() params: Params,
      @Param('webhookId') id: string,
      @Param('deliveryId') deliveryId: string,
    ) {
      return this.deliveries.get(await this.scopes.resolve(p, params.tenantId), id, deliveryId);
    }

    @RequireScope('webhooks')
    @Post(':webhookId/deliveries/:deliveryId/retry')
    @HttpCode(202)
    @ApiOperation({
      summary:
        'Attempt a delivery again now, also a failed one (it becomes pending and restarts the retry schedule). It still waits behind an earlier pending delivery of the same resource.',
    })
    async retry(
      @CurrentPrincipal() p: Principal,
      @Param() params: Params,
      @Param('webhookId') id: string,
      @Param('deliveryId') deliveryId: string,
    ) {
      return this.deliveries.retry(await this.scopes.resolve(p, params.tenantId), id, deliveryId);
    }
  }
  // Its own name per mount: Swagger's operation ids are "<controller>_<method>".
  Object.defineProperty(WebhookRoutes, 'name', { value: name });
  if (path.includes(':tenantId'))
    ApiParam({ name: 'tenantId', type: String, description: 'The tenant (a partner key of its partner, or its own key).' })(WebhookRoutes);
  return WebhookRoutes as new (...services: Services) => object;
}

export const PartnerWebhooksController = webhookRoutes('PartnerWebhooksController', 'v1/webhooks');
export const TenantWebhooksController = webhookRoutes('TenantWebhooksController', 'v1/tenants/:tenantId/webhooks');
