import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { toPolicyResource } from '@bg/platform';
import { decodeCursor, toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiZodBody, cursorQuery, ZodPipe } from '../common/zod';
import { createPolicySchema, updatePolicySchema, type CreatePolicy } from './policies.dto';
import { PoliciesService } from './policies.service';

@ApiTags('policies')
@ApiBearerAuth()
@Controller('v1/tenants/:tenantId/policies')
export class PoliciesController {
  constructor(
    private readonly service: PoliciesService,
    private readonly access: TenantAccess,
  ) {}

  @RequireScope('backup')
  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Create a protection policy with its items. The worker provisions it at the vendor (status provisioning -> active|inactive|failed).',
  })
  @ApiZodBody(createPolicySchema)
  async create(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Body(new ZodPipe(createPolicySchema)) body: CreatePolicy,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    const policy = toPolicyResource(await this.service.create(tenantId, body));
    reply.header('location', `/v1/tenants/${tenantId}/policies/${policy.id}`);
    return policy;
  }

  @RequireScope('read')
  @Get()
  async list(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Query(new ZodPipe(cursorQuery, 'query')) q: z.infer<typeof cursorQuery>,
  ) {
    await this.access.assert(p, tenantId);
    return toPage(await this.service.list(tenantId, decodeCursor(q.cursor), q.limit), q.limit, toPolicyResource);
  }

  @RequireScope('read')
  @Get(':policyId')
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('policyId') id: string) {
    await this.access.assert(p, tenantId);
    return toPolicyResource(await this.service.get(tenantId, id));
  }

  @RequireScope('backup')
  @Patch(':policyId')
  @HttpCode(202)
  @ApiZodBody(updatePolicySchema)
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('policyId') id: string,
    @Body(new ZodPipe(updatePolicySchema)) body: z.infer<typeof updatePolicySchema>,
  ) {
    await this.access.assert(p, tenantId);
    return toPolicyResource(await this.service.update(tenantId, id, body));
  }

  @RequireScope('backup')
  @Post(':policyId/activate')
  @HttpCode(202)
  async activate(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('policyId') id: string) {
    await this.access.assert(p, tenantId);
    return toPolicyResource(await this.service.setActive(tenantId, id, true));
  }

  @RequireScope('backup')
  @Post(':policyId/deactivate')
  @HttpCode(202)
  async deactivate(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('policyId') id: string) {
    await this.access.assert(p, tenantId);
    return toPolicyResource(await this.service.setActive(tenantId, id, false));
  }

  @RequireScope('backup')
  @Delete(':policyId')
  @HttpCode(202)
  @ApiOperation({ summary: 'Delete a policy: the worker deactivates it if needed and deletes it at the vendor.' })
  async remove(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('policyId') id: string) {
    await this.access.assert(p, tenantId);
    return toPolicyResource(await this.service.remove(tenantId, id));
  }
}
