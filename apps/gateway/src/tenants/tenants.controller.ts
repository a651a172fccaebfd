import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { toTenantResource } from '@bg/platform';
import { decodeCursor, toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { ApiAccepted, ApiCreated, ApiOk, ApiPage, ApiProblems } from '../common/openapi';
import { RequireScope } from '../common/scopes';
import { AllowedWhileOffboarding } from '../common/status-gate.guard';
import { ApiZodBody, ApiZodQuery, cursorQuery, ZodPipe } from '../common/zod';
import { createTenantSchema, tenantSchema } from './tenants.dto';
import { OffboardingService } from './offboarding.service';
import { offboardQuery, type OffboardQuery } from './tenants.dto';
import { TenantsService } from './tenants.service';

@ApiTags('tenants')
@ApiBearerAuth()
@Controller('v1/tenants')
export class TenantsController {
  constructor(
    private readonly service: TenantsService,
    private readonly offboarding: OffboardingService,
  ) {}

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

  @RequireScope('manage')
  @Delete(':tenantId')
  @HttpCode(202)
  @AllowedWhileOffboarding()
  @ApiOperation({
    operationId: 'offboardTenant',
    summary:
      'Offboard a tenant (its partner or the operator). At once: status offboarding, its keys revoked, its writes refused (409 TENANT_OFFBOARDING), its connections deleted and their credentials destroyed, queued restore jobs cancelled, running ones asked to cancel. The worker then drains its jobs (and, with vendorObjects=remove, deletes its policies at their vendors) and marks it deleted; its data is purged after OFFBOARD_RETENTION_DAYS. A second DELETE answers the same 202.',
  })
  @ApiZodQuery(offboardQuery)
  @ApiAccepted(tenantSchema, {
    location: 'The tenant: /v1/tenants/{tenantId}',
    description: 'The tenant, offboarding (or already deleted).',
  })
  async offboard(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Query(new ZodPipe(offboardQuery, 'query')) q: OffboardQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const tenant = await this.offboarding.offboardTenant(p, tenantId, q.vendorObjects);
    reply.header('location', `/v1/tenants/${tenant.id}`);
    return toTenantResource(tenant);
  }
}
