import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/openapi';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiZodQuery, jsonSchema, ZodPipe } from '../common/zod';
import { auditEntryPageSchema, auditLogQuery, tenantAuditLogQuery, type AuditLogQuery } from './audit-log.dto';
import { AuditLogService } from './audit-log.service';

const page = () =>
  ApiOkResponse({ description: 'A page of audit entries, newest first.', schema: jsonSchema(auditEntryPageSchema) as never });

/**
 * The audit log: one entry per write (and refused write) on /v1 and per operator request, newest first, with a
 * cursor. A tenant key sees its tenant's entries, a partner key its own and its tenants', the operator every entry.
 */
@ApiTags('audit-log')
@ApiBearerAuth()
@Controller()
export class AuditLogController {
  constructor(
    private readonly service: AuditLogService,
    private readonly access: TenantAccess,
  ) {}

  @RequireScope('read')
  @Get('v1/audit-log')
  @ApiOperation({
    operationId: 'listAuditLog',
    summary:
      "Audit entries you may see, newest first: a tenant key its tenant's, a partner key its own and its tenants', the operator all (also unauthenticated refusals). Filter by action, outcome, actorKeyId, resourceId, since, until, tenantId.",
  })
  @ApiZodQuery(auditLogQuery)
  @page()
  @ApiProblems(404)
  async list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(auditLogQuery, 'query')) q: AuditLogQuery) {
    if (q.tenantId || p.kind === 'tenant') {
      const tenantId = q.tenantId ?? (p as { tenantId: string }).tenantId;
      await this.access.assert(p, tenantId);
      return this.service.pageForTenant(p, tenantId, q);
    }
    return this.service.pageForScope(p, q);
  }

  @RequireScope('read')
  @Get('v1/tenants/:tenantId/audit-log')
  @ApiOperation({
    operationId: 'listTenantAuditLog',
    summary: "One tenant's audit entries (also the operator's and its partner's actions in it), newest first.",
  })
  @ApiZodQuery(tenantAuditLogQuery)
  @page()
  async listForTenant(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Query(new ZodPipe(tenantAuditLogQuery, 'query')) q: AuditLogQuery,
  ) {
    await this.access.assert(p, tenantId);
    return this.service.pageForTenant(p, tenantId, q);
  }
}
