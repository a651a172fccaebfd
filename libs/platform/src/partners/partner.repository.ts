import type { Partner, PartnerStatus, RateLimits } from '@bg/domain';
import { toDate, toDateOrNull } from '../database/dates';
import { rowsOf } from '../database/rows';
import type { SqlTx } from '../tenancy/tenant-db';

/** Partners are not tenant data: read and written with the app DataSource or one of its transactions. */
type Db = SqlTx;

/** A partners row (timestamps may also be ISO strings, in event snapshots). */
export interface PartnerRow {
  id: string;
  name: string;
  status?: string;
  rate_limit_per_key?: number | null;
  rate_limit_per_tenant?: number | null;
  created_at: Date | string;
  deleted_at?: Date | string | null;
}

export function partnerFromRow(r: PartnerRow): Partner {
  return {
    id: r.id,
    name: r.name,
    rateLimits: { perKey: r.rate_limit_per_key ?? null, perTenant: r.rate_limit_per_tenant ?? null },
    status: (r.status ?? 'active') as PartnerStatus,
    createdAt: toDate(r.created_at),
    deletedAt: toDateOrNull(r.deleted_at ?? null),
  };
}

const COLUMNS = 'id, name, rate_limit_per_key, rate_limit_per_tenant, status, created_at, deleted_at';

/** The only writer of `partners`. */
export class PartnerRepository {
  async insert(db: Db, partner: { id: string; name: string }): Promise<Partner> {
    const [row]: PartnerRow[] = await db.query(`INSERT INTO partners (id, name) VALUES ($1, $2) RETURNING ${COLUMNS}`, [
      partner.id,
      partner.name,
    ]);
    return partnerFromRow(row);
  }

  async findById(db: Db, id: string): Promise<Partner | undefined> {
    const [row]: PartnerRow[] = await db.query(`SELECT ${COLUMNS} FROM partners WHERE id = $1`, [id]);
    return row ? partnerFromRow(row) : undefined;
  }

  async exists(db: Db, id: string): Promise<boolean> {
    const rows: unknown[] = await db.query('SELECT 1 FROM partners WHERE id = $1', [id]);
    return rows.length > 0;
  }

  /** Marks the partner deleted (its tenants are offboarded by the caller); false when it already was. */
  async markDeleted(db: Db, id: string): Promise<boolean> {
    const rows = rowsOf(
      await db.query(`UPDATE partners SET status = 'deleted', deleted_at = now() WHERE id = $1 AND status = 'active' RETURNING id`, [id]),
    );
    return rows.length > 0;
  }

  /** One page of partners, oldest first (by id), after `after` (undefined: from the start): the operator's view. */
  async list(db: Db, after: string | undefined, limit: number): Promise<Partner[]> {
    const rows: PartnerRow[] = await db.query(`SELECT ${COLUMNS} FROM partners WHERE id > $1 ORDER BY id LIMIT $2`, [
      after ?? '00000000-0000-0000-0000-000000000000',
      limit,
    ]);
    return rows.map(partnerFromRow);
  }

  /**
   * Sets the partner's rate-limit override: a field given as a number replaces it, null clears it (the
   * configured default applies), undefined leaves it. Undefined when there is no such partner.
   */
  async updateRateLimits(db: Db, id: string, limits: Partial<RateLimits>): Promise<Partner | undefined> {
    const [row] = rowsOf<PartnerRow>(
      await db.query(
        `UPDATE partners SET
         rate_limit_per_key = CASE WHEN $2 THEN $3::int ELSE rate_limit_per_key END,
         rate_limit_per_tenant = CASE WHEN $4 THEN $5::int ELSE rate_limit_per_tenant END
       WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, limits.perKey !== undefined, limits.perKey ?? null, limits.perTenant !== undefined, limits.perTenant ?? null],
      ),
    );
    return row ? partnerFromRow(row) : undefined;
  }
}

export const partnerRepository = new PartnerRepository();
