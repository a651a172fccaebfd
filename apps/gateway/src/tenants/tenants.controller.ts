import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { toTenantResource } from '@bg/platform';
import { decodeCursor, toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { AllowedWhileOffboarding } from '../common/status-gate.guard';
import { ApiZodBody, ApiZodQuery, cursorQuery, jsonSchema, ZodPipe } from '../common/zod';
import { OffboardingService } from './offboarding.service';
import { offboardQuery, tenantResourceSchema, type OffboardQuery } from './tenants.dto';
import { TenantsService } from './tenants.service';

const createTenant = z.strictObject({
  name: z.string().trim().min(1).max(200),
  externalRef: z.string().trim().max(200).optional(),
  partnerId: z.uuid().optional().describe('Operator only: the partner that owns the tenant.'),
});

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
  @ApiZodBody(createTenant)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body(new ZodPipe(createTenant)) body: z.infer<typeof createTenant>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const tenant = await this.service.create(p, body);
    reply.header('location', `/v1/tenants/${tenant.id}`);
    return toTenantResource(tenant);
  }

  @RequireScope('read')
  @Get()
  @ApiOperation({ summary: 'List the tenants you can reach, oldest first, with a cursor.' })
  async list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(cursorQuery, 'query')) q: z.infer<typeof cursorQuery>) {
    return toPage(await this.service.list(p, decodeCursor(q.cursor), q.limit), q.limit, toTenantResource);
  }

  @RequireScope('read')
  @Get(':tenantId')
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
  @ApiAcceptedResponse({
    description: 'The tenant, offboarding (or already deleted).',
    schema: jsonSchema(tenantResourceSchema) as never,
    headers: { Location: { description: 'The tenant: /v1/tenants/{tenantId}', schema: { type: 'string' } } },
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
