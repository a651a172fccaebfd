import { SecretResponse } from '../common/idempotency.interceptor';
import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { toPartnerResource } from '@bg/platform';
import { ApiCreated, ApiOk, ApiPage } from '../common/openapi';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { ApiZodBody, ZodPipe } from '../common/zod';
import { createdPartnerSchema, createPartnerSchema, partnerSchema } from './partners.dto';
import { PartnersService } from './partners.service';

@ApiTags('partners')
@ApiBearerAuth()
@Controller('v1/partners')
export class PartnersController {
  constructor(private readonly service: PartnersService) {}

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

  @Get()
  @ApiOperation({ summary: 'List partners (operator) or your own partner.' })
  @ApiPage(partnerSchema)
  async list(@CurrentPrincipal() p: Principal) {
    return { items: (await this.service.list(p)).map(toPartnerResource), nextCursor: null };
  }

  @Get(':partnerId')
  @ApiOperation({ summary: 'One partner (the operator, or the partner itself).' })
  @ApiOk(partnerSchema)
  async get(@CurrentPrincipal() p: Principal, @Param('partnerId') partnerId: string) {
    return toPartnerResource(await this.service.get(p, partnerId));
  }
}
