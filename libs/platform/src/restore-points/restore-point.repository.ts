import { newId, type RestorePoint } from '@bg/domain';
import { toDate, toDateOrNull } from '../database/dates';
import type { TenantTx } from '../tenancy/tenant-db';

/**
 * A restore point as stored. The domain `RestorePoint` (libs/domain model.ts) has no `createdAt` and an
 * optional `expiresAt`; the table has both, with `expires_at` null when the vendor gives no expiry, so
 * this type carries them as the API shows them.
 */
export type RestorePointRecord = Omit<RestorePoint, 'expiresAt'> & { expiresAt: Date | null; createdAt: Date };

/** A restore_points row (timestamps may also be ISO strings, in event snapshots). */
export interface RestorePointRow {
  id: string;
  tenant_id: string;
  connection_id: string;
  protected_item_id: string;
  vendor_ref: string;
  point_in_time: Date | string;
  expires_at: Date | string | null;
  tags: string[];
  created_at: Date | string;
}

export function restorePointFromRow(r: RestorePointRow): RestorePointRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    connectionId: r.connection_id,
    protectedItemId: r.protected_item_id,
    vendorRef: r.vendor_ref,
    pointInTime: toDate(r.point_in_time),
    expiresAt: toDateOrNull(r.expires_at),
    tags: r.tags,
    createdAt: toDate(r.created_at),
  };
}

/** Filters of a restore-point listing; `from`/`to` are ISO 8601 timestamps bounding `pointInTime` (inclusive). */
export interface RestorePointFilter {
  after?: string;
  limit: number;
  protectedItemId?: string;
  from?: string;
  to?: string;
}

/** A restore point read back from the vendor, already resolved to our protected item. */
export interface NewRestorePoint {
  connectionId: string;
  protectedItemId: string;
  vendorRef: string;
  pointInTime: Date;
  expiresAt?: Date | null;
  tags: string[];
}

const COLUMNS = 'id, tenant_id, connection_id, protected_item_id, vendor_ref, point_in_time, expires_at, tags, created_at';
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** The only writer of `restore_points` (the worker's policy refresh); every method runs in the tenant's transaction. */
export class RestorePointRepository {
  /** The tenant's restore points matching `filter`, by id, at most `filter.limit`. */
  async list(tx: TenantTx, filter: RestorePointFilter): Promise<RestorePointRecord[]> {
    const rows: RestorePointRow[] = await tx.query(
      `SELECT ${COLUMNS} FROM restore_points WHERE tenant_id = $1 AND id > $2 AND ($4::uuid IS NULL OR protected_item_id = $4)
         AND ($5::timestamptz IS NULL OR point_in_time >= $5) AND ($6::timestamptz IS NULL OR point_in_time <= $6)
       ORDER BY id LIMIT $3`,
      [tx.tenantId, filter.after ?? NIL_UUID, filter.limit, filter.protectedItemId ?? null, filter.from ?? null, filter.to ?? null],
    );
    return rows.map(restorePointFromRow);
  }

  async findById(tx: TenantTx, id: string): Promise<RestorePointRecord | undefined> {
    const [row]: RestorePointRow[] = await tx.query(`SELECT ${COLUMNS} FROM restore_points WHERE id = $1`, [id]);
    return row ? restorePointFromRow(row) : undefined;
  }

  /**
   * Stores the points not stored yet, in one statement; a point already known (same protected item and
   * vendor ref) is left as it is, so a refresh can be repeated safely.
   */
  async insertIfAbsent(tx: TenantTx, points: NewRestorePoint[]): Promise<void> {
    if (!points.length) return;
    await tx.query(
      `INSERT INTO restore_points (id, tenant_id, connection_id, protected_item_id, vendor_ref, point_in_time, expires_at, tags)
       SELECT id, tenant_id, connection_id, protected_item_id, vendor_ref, point_in_time, expires_at,
              CASE WHEN tags_csv = '' THEN '{}'::text[] ELSE string_to_array(tags_csv, ',') END
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[])
           AS t(id, tenant_id, connection_id, protected_item_id, vendor_ref, point_in_time, expires_at, tags_csv)
       ON CONFLICT (protected_item_id, vendor_ref) DO NOTHING`,
      [
        points.map(() => newId()),
        points.map(() => tx.tenantId),
        points.map((p) => p.connectionId),
        points.map((p) => p.protectedItemId),
        points.map((p) => p.vendorRef),
        points.map((p) => p.pointInTime.toISOString()),
        points.map((p) => p.expiresAt?.toISOString() ?? null),
        points.map((p) => p.tags.join(',')),
      ],
    );
  }
}

export const restorePointRepository = new RestorePointRepository();
