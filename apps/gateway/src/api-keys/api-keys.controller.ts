import { SecretResponse } from '../common/idempotency.interceptor';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { API_SCOPES } from '@bg/domain';
import { toApiKeyResource } from '@bg/platform';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { decodeCursor, toPage } from '../common/pagination';
import { RequireScope } from '../common/scopes';
import { ApiZodBody, ApiZodQuery, cursorQuery, ZodPipe } from '../common/zod';
import { ApiKeysService } from './api-keys.service';

const createKey = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    partnerId: z.uuid().optional(),
    tenantId: z.uuid().optional(),
    scopes: z
      .array(z.enum(API_SCOPES))
      .min(1)
      .max(API_SCOPES.length)
      .optional()
      .describe(
        `What the key may do (${API_SCOPES.join(', ')}); default: every scope of the key creating it. Wider: 403 SCOPE_ESCALATION.`,
      ),
    expiresAt: z.iso
      .datetime({ offset: true })
      .nullable()
      .optional()
      .describe("When the key stops working (ISO 8601); default: the creating key's expiry. Later: 403 SCOPE_ESCALATION."),
  })
  .refine((b) => !(b.partnerId && b.tenantId), { message: 'give partnerId (partner key) or tenantId (tenant key), not both' })
  .refine((b) => !b.expiresAt || Date.parse(b.expiresAt) > Date.now(), { message: 'must be in the future', path: ['expiresAt'] });

/**
 * API keys. The operator creates partner keys; a partner creates keys for itself or for its tenants; a
 * tenant key with `manage` creates keys for its tenant. A key is shown once; only its SHA-256 is stored.
 */
@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly service: ApiKeysService) {}

  @RequireScope('manage')
  @Post()
  @HttpCode(201)
  @SecretResponse()
  @ApiOperation({ summary: 'Create a partner key (partnerId) or a tenant key (tenantId). The key is in the answer once.' })
  @ApiZodBody(createKey)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body(new ZodPipe(createKey)) body: z.infer<typeof createKey>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { expiresAt, ...rest } = body;
    const input = { ...rest, expiresAt: expiresAt === undefined ? undefined : expiresAt === null ? null : new Date(expiresAt) };
    const { apiKey, key } = await this.service.create(p, input);
    reply.header('location', `/v1/api-keys/${apiKey.id}`);
    return { ...toApiKeyResource(apiKey), key };
  }

  @RequireScope('read')
  @Get()
  @ApiOperation({ summary: 'List the keys you manage (never the key itself), oldest first, with a cursor.' })
  @ApiZodQuery(cursorQuery)
  async list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(cursorQuery, 'query')) q: z.infer<typeof cursorQuery>) {
    return toPage(await this.service.list(p, decodeCursor(q.cursor), q.limit), q.limit, toApiKeyResource);
  }

  @RequireScope('manage')
  @Delete(':keyId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a key (takes effect within 30 s on every gateway).' })
  async revoke(@CurrentPrincipal() p: Principal, @Param('keyId') keyId: string) {
    await this.service.revoke(p, keyId);
  }
}
