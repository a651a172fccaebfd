import type { Tenant } from '@bg/domain';
import { toDate } from '../database/dates';
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
  created_at: Date | string;
}

export function tenantFromRow(r: TenantRow): Tenant {
  return { id: r.id, partnerId: r.partner_id, name: r.name, externalRef: r.external_ref, createdAt: toDate(r.created_at) };
}

/** Which tenants a listing covers: all (operator), one partner's, or one tenant. */
export type TenantListScope = { kind: 'all' } | { kind: 'partner'; partnerId: string } | { kind: 'tenant'; tenantId: string };

const COLUMNS = 'id, partner_id, name, external_ref, created_at';
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
