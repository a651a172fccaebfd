import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { toPolicyRuleResource } from '@bg/platform';
import { decodeCursor, toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiAccepted, ApiOk, ApiPage, ApiProblems } from '../common/openapi';
import { ApiZodBody, ApiZodQuery, cursorQuery, ZodPipe } from '../common/zod';
import { createPolicyRuleSchema, policyRuleSchema, type CreatePolicyRule } from './policy-rules.dto';
import { PolicyRulesService } from './policy-rules.service';
import { WritesInTenantTransaction } from '../common/status-gate.guard';

@ApiTags('policy-rules')
@ApiBearerAuth()
@WritesInTenantTransaction()
@Controller('v1/tenants/:tenantId/policies/:policyId/rules')
export class PolicyRulesController {
  constructor(
    private readonly service: PolicyRulesService,
    private readonly access: TenantAccess,
  ) {}

  @RequireScope('backup')
  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      "Add a rule (dynamic protection) to a policy: the vendor protects the items of the members of groupIds. The worker creates and runs it at the vendor (status pending -> running -> completed|completedWithErrors|failed); the items it adds appear as the policy's protected items. 422 UNSUPPORTED_BY_VENDOR for vendors without rules.",
  })
  @ApiAccepted(policyRuleSchema, {
    description: 'The rule (status pending).',
    location: 'The rule: /v1/tenants/{tenantId}/policies/{policyId}/rules/{ruleId}',
  })
  @ApiProblems(409, 422)
  @ApiZodBody(createPolicyRuleSchema)
  async create(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('policyId') policyId: string,
    @Body(new ZodPipe(createPolicyRuleSchema)) body: CreatePolicyRule,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    const rule = toPolicyRuleResource(await this.service.create(tenantId, policyId, body));
    reply.header('location', `/v1/tenants/${tenantId}/policies/${policyId}/rules/${rule.id}`);
    return rule;
  }

  @RequireScope('read')
  @Get()
  @ApiOperation({ summary: "List a policy's rules." })
  @ApiZodQuery(cursorQuery)
  @ApiPage(policyRuleSchema)
  async list(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('policyId') policyId: string,
    @Query(new ZodPipe(cursorQuery, 'query')) q: z.infer<typeof cursorQuery>,
  ) {
    await this.access.assert(p, tenantId);
    return toPage(await this.service.list(tenantId, policyId, decodeCursor(q.cursor), q.limit), q.limit, toPolicyRuleResource);
  }

  @RequireScope('read')
  @Get(':ruleId')
  @ApiOperation({ summary: 'One rule with its status at the vendor.' })
  @ApiOk(policyRuleSchema)
  async get(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('policyId') policyId: string,
    @Param('ruleId') id: string,
  ) {
    await this.access.assert(p, tenantId);
    return toPolicyRuleResource(await this.service.get(tenantId, policyId, id));
  }

  @RequireScope('backup')
  @Delete(':ruleId')
  @HttpCode(202)
  @ApiOperation({ summary: 'Delete a rule: the worker deletes it at the vendor; the items it added stay in the policy.' })
  @ApiAccepted(policyRuleSchema, {
    description: 'The rule (status deleting).',
    location: 'The rule: /v1/tenants/{tenantId}/policies/{policyId}/rules/{ruleId}',
  })
  @ApiProblems(409)
  async remove(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('policyId') policyId: string,
    @Param('ruleId') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    const rule = toPolicyRuleResource(await this.service.remove(tenantId, policyId, id));
    reply.header('location', `/v1/tenants/${rule.tenantId}/policies/${rule.policyId}/rules/${rule.id}`);
    return rule;
  }
}
