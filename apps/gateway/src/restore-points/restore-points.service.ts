import { Injectable } from '@nestjs/common';
import { NotFound } from '@bg/domain';
import { TenantDb, isUuid, restorePointRepository, type RestorePointRecord } from '@bg/platform';

export interface RestorePointQuery {
  after?: string;
  limit: number;
  protectedItemId?: string;
  from?: string;
  to?: string;
}

@Injectable()
export class RestorePointsService {
  constructor(private readonly db: TenantDb) {}

  /** A page of the tenant's restore points: `limit + 1` rows at most (see toPage). */
  list(tenantId: string, q: RestorePointQuery): Promise<RestorePointRecord[]> {
    return this.db.run(tenantId, (tx) => restorePointRepository.list(tx, { ...q, limit: q.limit + 1 }));
  }

  async get(tenantId: string, id: string): Promise<RestorePointRecord> {
    if (!isUuid(id)) throw new NotFound('restore point', id);
    const point = await this.db.run(tenantId, (tx) => restorePointRepository.findById(tx, id));
    if (!point) throw new NotFound('restore point', id);
    return point;
  }
}
