import { Controller, Get, Injectable, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { NotFound } from '@bg/domain';
import { TenantDb, isUuid } from '@bg/platform';
import { decodeCursor, toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { TenantAccess } from '../common/tenant-access.service';
import { cursorQuery, ZodPipe } from '../common/zod';

const listQuery = cursorQuery.extend({
  protectedItemId: z.uuid().optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

interface PointRow {
  id: string; tenant_id: string; connection_id: string; protected_item_id: string; vendor_ref: string;
  point_in_time: Date; expires_at: Date | null; tags: string[]; created_at: Date;
}

function toPoint(r: PointRow) {
  return {
    id: r.id, tenantId: r.tenant_id, connectionId: r.connection_id, protectedItemId: r.protected_item_id,
    pointInTime: r.point_in_time, expiresAt: r.expires_at, tags: r.tags, vendorRef: r.vendor_ref, createdAt: r.created_at,
  };
}

@Injectable()
export class RestorePointsService {
  constructor(private readonly db: TenantDb) {}

  list(tenantId: string, q: z.infer<typeof listQuery>): Promise<PointRow[]> {
    return this.db.run(tenantId, (tx) => tx.query(
      `SELECT * FROM restore_points WHERE tenant_id = $1 AND id > $2 AND ($4::uuid IS NULL OR protected_item_id = $4)
         AND ($5::timestamptz IS NULL OR point_in_time >= $5) AND ($6::timestamptz IS NULL OR point_in_time <= $6)
       ORDER BY id LIMIT $3`,
      [tenantId, decodeCursor(q.cursor) ?? '00000000-0000-0000-0000-000000000000', q.limit + 1, q.protectedItemId ?? null, q.from ?? null, q.to ?? null],
    ));
  }

  async get(tenantId: string, id: string): Promise<PointRow> {
    if (!isUuid(id)) throw new NotFound('restore point', id);
    const [row] = await this.db.run(tenantId, (tx) => tx.query('SELECT * FROM restore_points WHERE id = $1', [id]));
    if (!row) throw new NotFound('restore point', id);
    return row;
  }
}

@ApiTags('restore-points')
@ApiBearerAuth()
@Controller('v1/tenants/:tenantId/restore-points')
export class RestorePointsController {
  constructor(private readonly service: RestorePointsService, private readonly access: TenantAccess) {}

  @Get()
  @ApiOperation({ summary: 'List restore points, filtered by protected item and time range (from/to, ISO 8601). The worker keeps them in sync with the vendor.' })
  async list(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Query(new ZodPipe(listQuery, 'query')) q: z.infer<typeof listQuery>) {
    await this.access.assert(p, tenantId);
    return toPage(await this.service.list(tenantId, q), q.limit, toPoint);
  }

  @Get(':restorePointId')
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('restorePointId') id: string) {
    await this.access.assert(p, tenantId);
    return toPoint(await this.service.get(tenantId, id));
  }
}
