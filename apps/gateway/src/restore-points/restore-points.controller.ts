import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { toRestorePointResource } from '@bg/platform';
import { decodeCursor, toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiOk, ApiPage } from '../common/openapi';
import { ApiZodQuery, ZodPipe } from '../common/zod';
import { listRestorePointsQuery, restorePointSchema, type ListRestorePointsQuery } from './restore-points.dto';
import { RestorePointsService } from './restore-points.service';

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
  @ApiZodQuery(listRestorePointsQuery)
  @ApiPage(restorePointSchema)
  async list(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Query(new ZodPipe(listRestorePointsQuery, 'query')) q: ListRestorePointsQuery,
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
  @ApiOperation({ summary: 'One restore point.' })
  @ApiOk(restorePointSchema)
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('restorePointId') id: string) {
    await this.access.assert(p, tenantId);
    return toRestorePointResource(await this.service.get(tenantId, id));
  }
}
