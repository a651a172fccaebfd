import { SecretResponse } from '../common/idempotency.interceptor';
import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { toPartnerResource } from '@bg/platform';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { ApiZodBody, ZodPipe } from '../common/zod';
import { PartnersService } from './partners.service';

const createPartner = z.strictObject({ name: z.string().trim().min(1).max(200) });

@ApiTags('partners')
@ApiBearerAuth()
@Controller('v1/partners')
export class PartnersController {
  constructor(private readonly service: PartnersService) {}

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
}
