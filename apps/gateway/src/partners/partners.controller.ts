import { SecretResponse } from '../common/idempotency.interceptor';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { toPartnerResource } from '@bg/platform';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { ApiZodBody, ApiZodQuery, jsonSchema, ZodPipe } from '../common/zod';
import { OffboardingService } from '../tenants/offboarding.service';
import { offboardQuery, partnerResourceSchema, type OffboardQuery } from '../tenants/tenants.dto';
import { PartnersService } from './partners.service';

const createPartner = z.strictObject({ name: z.string().trim().min(1).max(200) });

@ApiTags('partners')
@ApiBearerAuth()
@Controller('v1/partners')
export class PartnersController {
  constructor(
    private readonly service: PartnersService,
    private readonly offboarding: OffboardingService,
  ) {}

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

  @Get()
  @ApiOperation({ summary: 'List partners (operator) or your own partner.' })
  async list(@CurrentPrincipal() p: Principal) {
    return { items: (await this.service.list(p)).map(toPartnerResource), nextCursor: null };
  }

  @Get(':partnerId')
  async get(@CurrentPrincipal() p: Principal, @Param('partnerId') partnerId: string) {
    return toPartnerResource(await this.service.get(p, partnerId));
  }

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
