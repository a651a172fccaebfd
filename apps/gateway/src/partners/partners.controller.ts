import { SecretResponse } from '../common/idempotency.interceptor';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { toPartnerResource } from '@bg/platform';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { decodeCursor, toPage } from '../common/pagination';
import { ApiZodBody, ApiZodQuery, cursorQuery, ZodPipe } from '../common/zod';
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
  @ApiOperation({ summary: 'List partners (operator) or your own partner, oldest first, with a cursor.' })
  @ApiZodQuery(cursorQuery)
  async list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(cursorQuery, 'query')) q: z.infer<typeof cursorQuery>) {
    return toPage(await this.service.list(p, decodeCursor(q.cursor), q.limit), q.limit, toPartnerResource);
  }

  @Get(':partnerId')
  async get(@CurrentPrincipal() p: Principal, @Param('partnerId') partnerId: string) {
    return toPartnerResource(await this.service.get(p, partnerId));
  }
}
