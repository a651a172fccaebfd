import { Readable } from 'node:stream';
import { applyDecorators, Controller, Get, Headers, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { VENDOR_IDS } from '@bg/domain';
import { problem, ProblemError } from '../common/problem';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { jsonSchema, ZodPipe } from '../common/zod';
import { prefersCsv, usageCsvHeader, usageCsvLine } from './usage.csv';
import { MAX_USAGE_RANGE_DAYS, tenantUsageQuery, usagePageSchema, usageQuery, type UsageQuery } from './usage.dto';
import { decodeUsageCursor, encodeUsageCursor, UsageService, type UsageScope } from './usage.service';

const DESCRIPTION = `Metered usage per period (UTC day or month), tenant and vendor, for billing. Rows come from the
worker's daily roll-up: a day closes USAGE_DAY_CLOSE_GRACE_MINUTES after the midnight ending it, its numbers
are final from then on, and a later change is added as a correction (included in these totals).
JSON: { from, to, granularity, items, nextCursor } with cursor paging (limit, cursor).
CSV (an Accept header preferring text/csv): RFC 4180, a header row then every row of the range (no paging), same columns with
metrics flattened (restoreJobsSucceeded ...). from/to are ISO dates, both included, at most ${MAX_USAGE_RANGE_DAYS} days;
without them, the current month so far.`;

const queryDocs = (withTenant: boolean) =>
  applyDecorators(
    ApiQuery({ name: 'from', required: false, description: 'First UTC day, YYYY-MM-DD (default: first day of the month of `to`).' }),
    ApiQuery({ name: 'to', required: false, description: 'Last UTC day, YYYY-MM-DD, included (default: today).' }),
    ...(withTenant
      ? [ApiQuery({ name: 'tenantId', required: false, description: 'One tenant of the partner (an operator must give it).' })]
      : []),
    ApiQuery({ name: 'vendor', required: false, enum: [...VENDOR_IDS] }),
    ApiQuery({ name: 'granularity', required: false, enum: ['day', 'month'] }),
    ApiQuery({ name: 'limit', required: false, description: 'JSON only: 1-200 rows per page (default 50).' }),
    ApiQuery({ name: 'cursor', required: false, description: 'JSON only: nextCursor of the previous page.' }),
    ApiProduces('application/json', 'text/csv'),
    ApiOkResponse({
      description: 'A page of usage rows (JSON) or every row of the range (CSV).',
      content: { 'application/json': { schema: jsonSchema(usagePageSchema) as never }, 'text/csv': { schema: { type: 'string' } } },
    }),
  );

@ApiTags('usage')
@ApiBearerAuth()
@Controller()
export class UsageController {
  constructor(
    private readonly usage: UsageService,
    private readonly access: TenantAccess,
  ) {}

  @RequireScope('billing')
  @Get('v1/usage')
  @ApiOperation({
    summary: 'Usage of every tenant you can reach (a partner key: all its tenants), per day or month and vendor.',
    description: DESCRIPTION,
  })
  @queryDocs(true)
  async list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(usageQuery, 'query')) q: UsageQuery, @Headers('accept') accept?: string) {
    return this.answer(await this.scopeOf(p, q.tenantId), q, accept);
  }

  @RequireScope('billing')
  @Get('v1/tenants/:tenantId/usage')
  @ApiOperation({ summary: 'Usage of one tenant, per day or month and vendor.', description: DESCRIPTION })
  @queryDocs(false)
  async listForTenant(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Query(new ZodPipe(tenantUsageQuery, 'query')) q: UsageQuery,
    @Headers('accept') accept?: string,
  ) {
    await this.access.assert(p, tenantId);
    return this.answer({ tenantId }, q, accept);
  }

  private async scopeOf(p: Principal, tenantId: string | undefined): Promise<UsageScope> {
    if (tenantId) await this.access.assert(p, tenantId);
    if (p.kind === 'tenant') return { tenantId: p.tenantId };
    if (p.kind === 'partner') return { partnerId: p.partnerId, tenantId };
    if (!tenantId)
      throw new ProblemError(
        problem('VALIDATION_FAILED', 'The operator must give tenantId.', { errors: [{ path: 'tenantId', message: 'required' }] }),
      );
    return { tenantId };
  }

  private async answer(scope: UsageScope, q: UsageQuery, accept: string | undefined) {
    if (prefersCsv(accept)) return this.csv(scope, q);
    const { rows, next } = await this.usage.page(scope, q, decodeUsageCursor(q.cursor), q.limit);
    return { from: q.from, to: q.to, granularity: q.granularity, items: rows, nextCursor: next ? encodeUsageCursor(next) : null };
  }

  /** Streams the whole range; the first page is read before answering, so a failure is still a problem+json. */
  private async csv(scope: UsageScope, q: UsageQuery): Promise<StreamableFile> {
    if (q.cursor)
      throw new ProblemError(
        problem('VALIDATION_FAILED', 'CSV answers are not paged: leave out cursor.', {
          errors: [{ path: 'cursor', message: 'not allowed with text/csv' }],
        }),
      );
    const rows = this.usage.all(scope, q);
    const first = await rows.next();
    async function* lines(): AsyncGenerator<string> {
      yield usageCsvHeader();
      if (first.done) return;
      yield usageCsvLine(first.value);
      for await (const row of rows) yield usageCsvLine(row);
    }
    return new StreamableFile(Readable.from(lines()), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="usage-${q.from}-${q.to}-${q.granularity}.csv"`,
    });
  }
}
