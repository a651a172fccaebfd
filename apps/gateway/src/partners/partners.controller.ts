import { SecretResponse } from '../common/idempotency.interceptor';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { toPartnerResource } from '@bg/platform';
import { ApiAccepted, ApiCreated, ApiOk, ApiPage } from '../common/openapi';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { decodeCursor, toPage } from '../common/pagination';
import { RequireScope } from '../common/scopes';
import { ApiZodBody, ApiZodQuery, cursorQuery, ZodPipe, type CursorQuery } from '../common/zod';
import { createdPartnerSchema, createPartnerSchema, partnerSchema, updatePartnerSchema, type UpdatePartner } from './partners.dto';
import { OffboardingService } from '../tenants/offboarding.service';
import { offboardQuery, type OffboardQuery } from '../tenants/tenants.dto';
import { PartnersService } from './partners.service';

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
  @ApiZodBody(createPartnerSchema)
  @ApiCreated(createdPartnerSchema, { location: 'The partner: /v1/partners/{partnerId}' })
  async create(
    @CurrentPrincipal() p: Principal,
    @Body(new ZodPipe(createPartnerSchema)) body: { name: string },
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
  @ApiPage(partnerSchema)
  async list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(cursorQuery, 'query')) q: CursorQuery) {
    return toPage(await this.service.list(p, decodeCursor(q.cursor), q.limit), q.limit, toPartnerResource);
  }

  @RequireScope('read')
  @Get(':partnerId')
  @ApiOperation({ summary: 'One partner (the operator, or the partner itself).' })
  @ApiOk(partnerSchema)
  async get(@CurrentPrincipal() p: Principal, @Param('partnerId') partnerId: string) {
    return toPartnerResource(await this.service.get(p, partnerId));
  }

  @RequireScope('manage')
  @Patch(':partnerId')
  @ApiOperation({
    operationId: 'updatePartner',
    summary: "Set a partner's settings (operator only): its rate-limit override, applied within 30 s on every gateway.",
  })
  @ApiZodBody(updatePartnerSchema)
  @ApiOk(partnerSchema)
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('partnerId') partnerId: string,
    @Body(new ZodPipe(updatePartnerSchema)) body: UpdatePartner,
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
  @ApiAccepted(partnerSchema, { location: 'The partner: /v1/partners/{partnerId}', description: 'The partner, deleted.' })
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
