import { SecretResponse } from '../common/idempotency.interceptor';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { toApiKeyResource } from '@bg/platform';
import { ApiCreated, ApiNoContent, ApiPage, ApiProblems } from '../common/openapi';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { decodeCursor, toPage } from '../common/pagination';
import { RequireScope } from '../common/scopes';
import { ApiZodBody, ApiZodQuery, cursorQuery, ZodPipe, type CursorQuery } from '../common/zod';
import { apiKeySchema, createdApiKeySchema, createKeySchema, type CreateKey } from './api-keys.dto';
import { ApiKeysService } from './api-keys.service';

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
  @ApiZodBody(createKeySchema)
  @ApiCreated(createdApiKeySchema, { location: 'The key: /v1/api-keys/{keyId}' })
  @ApiProblems(404)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body(new ZodPipe(createKeySchema)) body: CreateKey,
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
  @ApiPage(apiKeySchema)
  async list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(cursorQuery, 'query')) q: CursorQuery) {
    return toPage(await this.service.list(p, decodeCursor(q.cursor), q.limit), q.limit, toApiKeyResource);
  }

  @RequireScope('manage')
  @Delete(':keyId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a key (takes effect within 30 s on every gateway).' })
  @ApiNoContent('Revoked.')
  async revoke(@CurrentPrincipal() p: Principal, @Param('keyId') keyId: string) {
    await this.service.revoke(p, keyId);
  }
}
