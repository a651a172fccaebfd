import { SecretResponse } from '../common/idempotency.interceptor';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { toPartnerResource } from '@bg/platform';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { decodeCursor, toPage } from '../common/pagination';
import { RequireScope } from '../common/scopes';
import { ApiZodBody, ApiZodQuery, cursorQuery, jsonSchema, ZodPipe } from '../common/zod';
import { OffboardingService } from '../tenants/offboarding.service';
import { offboardQuery, partnerResourceSchema, type OffboardQuery } from '../tenants/tenants.dto';
import { PartnersService } from './partners.service';

const createPartner = z.strictObject({ name: z.string().trim().min(1).max(200) });

const limit = z.number().int().min(1).max(1_000_000_000).nullable().optional();
const updatePartner = z.strictObject({
  rateLimits: z
    .strictObject({
      perKey: limit.describe('Requests per window for each key of this partner (and its tenants); null = RATE_LIMIT_PER_KEY.'),
      perTenant: limit.describe("Requests per window for each of this partner's tenants; null = RATE_LIMIT_PER_TENANT."),
    })
    .describe('The rate-limit override (the window is RATE_LIMIT_WINDOW_SECONDS). A field left out is unchanged.'),
});

@ApiTags('partners')
@ApiBearerAuth()
@Controller('v1/partners')
export class PartnersController {
  constructor(
    private readonly service: PartnersService,
    private readonly offboarding: OffboardingService,
  ) {}

  @RequireScope('manage')
  @Post()
  @HttpCode(201)
  @SecretResponse()
  @ApiOperation({ summary: 'Create a partner (MSP) and its first partner API key (operator only). The key is shown once.' })
  @ApiZodBody(createPartner)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body(new ZodPipe(createPartner)) body: z.infer<typeof createPartner>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { partner, apiKey } = await this.service.create(p, body.name);
    reply.header('location', `/v1/partners/${partner.id}`);
    return { ...toPartnerResource(partner), apiKey };
  }

  @RequireScope('read')
  @Get()
  @ApiOperation({ summary: 'List partners (operator) or your own partner, oldest first, with a cursor.' })
  @ApiZodQuery(cursorQuery)
  async list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(cursorQuery, 'query')) q: z.infer<typeof cursorQuery>) {
    return toPage(await this.service.list(p, decodeCursor(q.cursor), q.limit), q.limit, toPartnerResource);
  }

  @RequireScope('read')
  @Get(':partnerId')
  async get(@CurrentPrincipal() p: Principal, @Param('partnerId') partnerId: string) {
    return toPartnerResource(await this.service.get(p, partnerId));
  }

  @RequireScope('manage')
  @Patch(':partnerId')
  @ApiOperation({
    operationId: 'updatePartner',
    summary: "Set a partner's settings (operator only): its rate-limit override, applied within 30 s on every gateway.",
  })
  @ApiZodBody(updatePartner)
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('partnerId') partnerId: string,
    @Body(new ZodPipe(updatePartner)) body: z.infer<typeof updatePartner>,
  ) {
    return toPartnerResource(await this.service.updateRateLimits(p, partnerId, body.rateLimits));
  }

  @RequireScope('manage')
  @Delete(':partnerId')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'deletePartner',
    summary:
      'Delete a partner (the operator, or the partner itself): every tenant of it is offboarded as DELETE /v1/tenants/{id} does (same vendorObjects), every key of it revoked at once and its webhook endpoints deleted. A second DELETE answers the same 202.',
  })
  @ApiZodQuery(offboardQuery)
  @ApiAcceptedResponse({
    description: 'The partner, deleted.',
    schema: jsonSchema(partnerResourceSchema) as never,
    headers: { Location: { description: 'The partner: /v1/partners/{partnerId}', schema: { type: 'string' } } },
  })
  async remove(
    @CurrentPrincipal() p: Principal,
    @Param('partnerId') partnerId: string,
    @Query(new ZodPipe(offboardQuery, 'query')) q: OffboardQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const partner = await this.offboarding.offboardPartner(p, partnerId, q.vendorObjects);
    reply.header('location', `/v1/partners/${partner.id}`);
    return toPartnerResource(partner);
  }
}
