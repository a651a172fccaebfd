import { SecretResponse } from '../common/idempotency.interceptor';
import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { toPartnerResource } from '@bg/platform';
import { ApiCreated, ApiOk, ApiPage } from '../common/openapi';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { decodeCursor, toPage } from '../common/pagination';
import { RequireScope } from '../common/scopes';
import { ApiZodBody, ApiZodQuery, cursorQuery, ZodPipe, type CursorQuery } from '../common/zod';
import { createdPartnerSchema, createPartnerSchema, partnerSchema, updatePartnerSchema, type UpdatePartner } from './partners.dto';
import { PartnersService } from './partners.service';

@ApiTags('partners')
@ApiBearerAuth()
@Controller('v1/partners')
export class PartnersController {
  constructor(private readonly service: PartnersService) {}

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
}
