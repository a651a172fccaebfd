import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { toTenantResource } from '@bg/platform';
import { decodeCursor, toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { ApiCreated, ApiOk, ApiPage, ApiProblems } from '../common/openapi';
import { RequireScope } from '../common/scopes';
import { ApiZodBody, ApiZodQuery, cursorQuery, ZodPipe } from '../common/zod';
import { createTenantSchema, tenantSchema } from './tenants.dto';
import { TenantsService } from './tenants.service';

@ApiTags('tenants')
@ApiBearerAuth()
@Controller('v1/tenants')
export class TenantsController {
  constructor(private readonly service: TenantsService) {}

  @RequireScope('manage')
  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a customer tenant under your partner.' })
  @ApiZodBody(createTenantSchema)
  @ApiCreated(tenantSchema, { location: 'The tenant: /v1/tenants/{tenantId}' })
  @ApiProblems(404)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body(new ZodPipe(createTenantSchema)) body: z.infer<typeof createTenantSchema>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const tenant = await this.service.create(p, body);
    reply.header('location', `/v1/tenants/${tenant.id}`);
    return toTenantResource(tenant);
  }

  @RequireScope('read')
  @Get()
  @ApiOperation({ summary: 'List the tenants you can reach, oldest first, with a cursor.' })
  @ApiZodQuery(cursorQuery)
  @ApiPage(tenantSchema)
  async list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(cursorQuery, 'query')) q: z.infer<typeof cursorQuery>) {
    return toPage(await this.service.list(p, decodeCursor(q.cursor), q.limit), q.limit, toTenantResource);
  }

  @RequireScope('read')
  @Get(':tenantId')
  @ApiOperation({ summary: 'One tenant.' })
  @ApiOk(tenantSchema)
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string) {
    return toTenantResource(await this.service.get(p, tenantId));
  }
}
