import type { Tenant, TenantStatus, VendorObjectsOption } from '@bg/domain';
import { toDate, toDateOrNull } from '../database/dates';
import { rowsOf } from '../database/rows';
import type { SqlTx } from '../tenancy/tenant-db';

/**
 * `tenants` has no row-level security of its own (it is the tenancy): read and written with the app
 * DataSource or one of its transactions; callers decide who may see which tenant.
 */
type Db = SqlTx;

/** A tenants row (timestamps may also be ISO strings, in event snapshots). */
export interface TenantRow {
  id: string;
  partner_id: string;
  name: string;
  external_ref: string | null;
  /** Offboarding columns (absent from rows written before them, read as an active tenant). */
  status?: string;
  vendor_objects?: string | null;
  offboarding_at?: Date | string | null;
  deleted_at?: Date | string | null;
  purge_after?: Date | string | null;
  purged_at?: Date | string | null;
  created_at: Date | string;
}

export function tenantFromRow(r: TenantRow): Tenant {
  return {
    id: r.id,
    partnerId: r.partner_id,
    name: r.name,
    externalRef: r.external_ref,
    status: (r.status ?? 'active') as TenantStatus,
    vendorObjects: (r.vendor_objects ?? null) as VendorObjectsOption | null,
    offboardingAt: toDateOrNull(r.offboarding_at ?? null),
    deletedAt: toDateOrNull(r.deleted_at ?? null),
    purgeAfter: toDateOrNull(r.purge_after ?? null),
    purgedAt: toDateOrNull(r.purged_at ?? null),
    createdAt: toDate(r.created_at),
  };
}

/** An offboarding tenant as the worker's offboarding job reads it. */
export interface OffboardingTenant {
  id: string;
  partnerId: string;
  status: TenantStatus;
  vendorObjects: VendorObjectsOption;
  deadlineAt: Date;
}

/** Which tenants a listing covers: all (operator), one partner's, or one tenant. */
export type TenantListScope = { kind: 'all' } | { kind: 'partner'; partnerId: string } | { kind: 'tenant'; tenantId: string };

const COLUMNS =
  'id, partner_id, name, external_ref, status, vendor_objects, offboarding_at, deleted_at, purge_after, purged_at, created_at';
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** The only writer of `tenants`. */
export class TenantRepository {
  async insert(db: Db, tenant: { id: string; partnerId: string; name: string; externalRef: string | null }): Promise<Tenant> {
    const [row]: TenantRow[] = await db.query(
      `INSERT INTO tenants (id, partner_id, name, external_ref) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [tenant.id, tenant.partnerId, tenant.name, tenant.externalRef],
    );
    return tenantFromRow(row);
  }

  async findById(db: Db, id: string): Promise<Tenant | undefined> {
    const [row]: TenantRow[] = await db.query(`SELECT ${COLUMNS} FROM tenants WHERE id = $1`, [id]);
    return row ? tenantFromRow(row) : undefined;
  }

  /** The partner that owns the tenant, or undefined if there is no such tenant. */
  async partnerIdOf(db: Db, tenantId: string): Promise<string | undefined> {
    const [row]: Array<Pick<TenantRow, 'partner_id'>> = await db.query('SELECT partner_id FROM tenants WHERE id = $1', [tenantId]);
    return row?.partner_id;
  }

  /** The tenant's status, or undefined if there is no such tenant (one primary-key read, for the write gate). */
  async statusOf(db: Db, id: string): Promise<TenantStatus | undefined> {
    const [row]: Array<{ status: TenantStatus }> = await db.query('SELECT status FROM tenants WHERE id = $1', [id]);
    return row?.status;
  }

  /**
   * Starts offboarding an active tenant: `offboarding` at once (emits tenant.offboarding), with what to do with
   * vendor objects, the deadline of the drain and when its data may be purged. False when it was not active.
   */
  async markOffboarding(
    db: Db,
    id: string,
    opts: { vendorObjects: VendorObjectsOption; drainMinutes: number; retentionDays: number },
  ): Promise<boolean> {
    const rows = rowsOf(
      await db.query(
        `UPDATE tenants SET status = 'offboarding', vendor_objects = $2, offboarding_at = now(),
            offboard_deadline_at = now() + make_interval(mins => $3), purge_after = now() + make_interval(days => $4)
          WHERE id = $1 AND status = 'active' RETURNING id`,
        [id, opts.vendorObjects, opts.drainMinutes, opts.retentionDays],
      ),
    );
    return rows.length > 0;
  }

  /** The tenant if it is offboarding (the worker's offboarding job), locked against a concurrent run. */
  async offboarding(db: Db, id: string): Promise<OffboardingTenant | undefined> {
    const [row]: Array<{ id: string; partner_id: string; status: TenantStatus; vendor_objects: VendorObjectsOption; d: Date }> =
      await db.query(
        `SELECT id, partner_id, status, vendor_objects, offboard_deadline_at AS d FROM tenants WHERE id = $1 AND status = 'offboarding' FOR UPDATE`,
        [id],
      );
    return row
      ? { id: row.id, partnerId: row.partner_id, status: row.status, vendorObjects: row.vendor_objects, deadlineAt: row.d }
      : undefined;
  }

  /** Ends offboarding (emits tenant.deleted); the purge clock started with markOffboarding. */
  async markDeleted(db: Db, id: string): Promise<void> {
    await db.query(`UPDATE tenants SET status = 'deleted', deleted_at = now() WHERE id = $1 AND status = 'offboarding'`, [id]);
  }

  /** Deleted tenants whose data is due for purging at `now`, oldest first. */
  async duePurge(db: Db, now: Date, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await db.query(
      `SELECT id FROM tenants WHERE status = 'deleted' AND purged_at IS NULL AND purge_after <= $1 ORDER BY purge_after LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  }

  async markPurged(db: Db, id: string): Promise<void> {
    await db.query('UPDATE tenants SET purged_at = now() WHERE id = $1', [id]);
  }

  /** The ids of the partner's tenants that are still active. */
  async activeOfPartner(db: Db, partnerId: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await db.query(`SELECT id FROM tenants WHERE partner_id = $1 AND status = 'active' ORDER BY id`, [
      partnerId,
    ]);
    return rows.map((r) => r.id);
  }

  /** Tenants in `scope` with an id after `after`, by id, at most `limit`. */
  async list(db: Db, scope: TenantListScope, after: string | undefined, limit: number): Promise<Tenant[]> {
    const where = scope.kind === 'all' ? 'TRUE' : scope.kind === 'partner' ? 'partner_id = $3' : 'id = $3';
    const params: unknown[] = [after ?? NIL_UUID, limit];
    if (scope.kind === 'partner') params.push(scope.partnerId);
    if (scope.kind === 'tenant') params.push(scope.tenantId);
    const rows: TenantRow[] = await db.query(`SELECT ${COLUMNS} FROM tenants WHERE id > $1 AND ${where} ORDER BY id LIMIT $2`, params);
    return rows.map(tenantFromRow);
  }
}

export const tenantRepository = new TenantRepository();
