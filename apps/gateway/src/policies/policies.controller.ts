import { applyDecorators, Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { toPolicyResource, type PolicyResource } from '@bg/platform';
import { decodeCursor, toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiAccepted, ApiOk, ApiPage, ApiProblems } from '../common/openapi';
import { ApiZodBody, ApiZodQuery, cursorQuery, ZodPipe } from '../common/zod';
import { createPolicySchema, policySchema, updatePolicySchema, type CreatePolicy } from './policies.dto';
import { PoliciesService } from './policies.service';
import { WritesInTenantTransaction } from '../common/status-gate.guard';

/** The 202 of a change the worker carries to the vendor: the policy, its Location; 409 NOT_ALLOWED_IN_STATE. */
const accepted = () =>
  applyDecorators(
    ApiAccepted(policySchema, {
      description: 'The policy; its status moves as the worker works.',
      location: 'The policy: /v1/tenants/{tenantId}/policies/{policyId}',
    }),
    ApiProblems(409),
  );

function answer(policy: PolicyResource, reply: FastifyReply): PolicyResource {
  reply.header('location', `/v1/tenants/${policy.tenantId}/policies/${policy.id}`);
  return policy;
}

@ApiTags('policies')
@ApiBearerAuth()
@WritesInTenantTransaction()
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
  @ApiAccepted(policySchema, {
    description: 'The policy (status provisioning).',
    location: 'The policy: /v1/tenants/{tenantId}/policies/{policyId}',
  })
  @ApiProblems(422)
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
  @ApiOperation({ summary: "List the tenant's policies, oldest first, with a cursor." })
  @ApiZodQuery(cursorQuery)
  @ApiPage(policySchema)
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
  @ApiOperation({ summary: 'One policy with its item count and health.' })
  @ApiOk(policySchema)
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('policyId') id: string) {
    await this.access.assert(p, tenantId);
    return toPolicyResource(await this.service.get(tenantId, id));
  }

  @RequireScope('backup')
  @Patch(':policyId')
  @HttpCode(202)
  @ApiOperation({ summary: 'Rename a policy or change its rpoMinutes; the worker updates it at the vendor.' })
  @ApiZodBody(updatePolicySchema)
  @accepted()
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('policyId') id: string,
    @Body(new ZodPipe(updatePolicySchema)) body: z.infer<typeof updatePolicySchema>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    return answer(toPolicyResource(await this.service.update(tenantId, id, body)), reply);
  }

  @RequireScope('backup')
  @Post(':policyId/activate')
  @HttpCode(202)
  @ApiOperation({ summary: 'Activate a policy at the vendor (status activating -> active).' })
  @accepted()
  @ApiProblems(422)
  async activate(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('policyId') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    return answer(toPolicyResource(await this.service.setActive(tenantId, id, true)), reply);
  }

  @RequireScope('backup')
  @Post(':policyId/deactivate')
  @HttpCode(202)
  @ApiOperation({ summary: 'Deactivate a policy at the vendor (status deactivating -> inactive).' })
  @accepted()
  async deactivate(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('policyId') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    return answer(toPolicyResource(await this.service.setActive(tenantId, id, false)), reply);
  }

  @RequireScope('backup')
  @Delete(':policyId')
  @HttpCode(202)
  @ApiOperation({ summary: 'Delete a policy: the worker deactivates it if needed and deletes it at the vendor.' })
  @accepted()
  async remove(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('policyId') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    return answer(toPolicyResource(await this.service.remove(tenantId, id)), reply);
  }
}
