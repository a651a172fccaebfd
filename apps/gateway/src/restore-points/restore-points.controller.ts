import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { toRestorePointResource } from '@bg/platform';
import { decodeCursor, toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiZodQuery, checkTimeRange, cursorQuery, ZodPipe } from '../common/zod';
import { RestorePointsService } from './restore-points.service';

const listQuery = cursorQuery
  .extend({
    protectedItemId: z.uuid().optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional().describe('Not before `from`.'),
  })
  .superRefine(checkTimeRange);

@ApiTags('restore-points')
@ApiBearerAuth()
@Controller('v1/tenants/:tenantId/restore-points')
export class RestorePointsController {
  constructor(
    private readonly service: RestorePointsService,
    private readonly access: TenantAccess,
  ) {}

  @RequireScope('read')
  @Get()
  @ApiOperation({
    summary:
      'List restore points, filtered by protected item and time range (from/to, ISO 8601). The worker keeps them in sync with the vendor.',
  })
  @ApiZodQuery(listQuery)
  async list(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Query(new ZodPipe(listQuery, 'query')) q: z.infer<typeof listQuery>,
  ) {
    await this.access.assert(p, tenantId);
    const points = await this.service.list(tenantId, {
      after: decodeCursor(q.cursor),
      limit: q.limit,
      protectedItemId: q.protectedItemId,
      from: q.from,
      to: q.to,
    });
    return toPage(points, q.limit, toRestorePointResource);
  }

  @RequireScope('read')
  @Get(':restorePointId')
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('restorePointId') id: string) {
    await this.access.assert(p, tenantId);
    return toRestorePointResource(await this.service.get(tenantId, id));
  }
}
