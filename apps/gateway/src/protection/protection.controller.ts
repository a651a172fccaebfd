import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { TenantDb, protectionSummaryPage } from '@bg/platform';
import { problem, ProblemError } from '../common/problem';
import { decodeCursor, encodeCursor } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { ApiZodQuery, jsonSchema, ZodPipe } from '../common/zod';
import { summaryPageSchema, summaryQuery } from './protection.dto';

/**
 * The front page of an MSP portal: per tenant (and per vendor) how many protected items are healthy, at risk,
 * failed, unprotected or unknown, and the oldest unresolved problem with a link to its item. One query per page.
 */
@ApiTags('protection')
@ApiBearerAuth()
@Controller('v1/protection-summary')
export class ProtectionController {
  constructor(private readonly db: TenantDb) {}

  @RequireScope('read')
  @Get()
  @ApiOperation({
    summary:
      'Protection health of every tenant of the partner, one line per tenant (counts by state, per vendor, oldest problem), cursor-paged by tenant.',
  })
  @ApiZodQuery(summaryQuery)
  @ApiOkResponse({ description: 'A page of tenant lines.', schema: jsonSchema(summaryPageSchema) as never })
  async summary(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(summaryQuery, 'query')) q: z.infer<typeof summaryQuery>) {
    const partnerId = p.kind === 'admin' ? q.partnerId : p.partnerId;
    if (!partnerId)
      throw new ProblemError(
        problem('VALIDATION_FAILED', 'The operator must give partnerId.', { errors: [{ path: 'partnerId', message: 'required' }] }),
      );
    const after = decodeCursor(q.cursor);
    // A tenant key sees its own tenant's line only.
    const only = p.kind === 'tenant' ? p.tenantId : undefined;
    const rows = await this.db.runAsPartner(partnerId, (tx) => protectionSummaryPage(tx, after, q.limit + 1, only));
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    return {
      items: page.map((r) => ({
        ...r,
        links: {
          tenant: `/v1/tenants/${r.tenantId}`,
          problems: `/v1/tenants/${r.tenantId}/protected-items?state=failed`,
          atRisk: `/v1/tenants/${r.tenantId}/protected-items?state=atRisk`,
          oldestProblem: r.oldestProblem ? `/v1/tenants/${r.tenantId}/protected-items/${r.oldestProblem.protectedItemId}` : null,
        },
      })),
      nextCursor: more ? encodeCursor(page[page.length - 1].tenantId) : null,
    };
  }
}
