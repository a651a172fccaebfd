import type { Partner, PartnerStatus } from '@bg/domain';
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
  created_at: Date | string;
  deleted_at?: Date | string | null;
}

export function partnerFromRow(r: PartnerRow): Partner {
  return {
    id: r.id,
    name: r.name,
    status: (r.status ?? 'active') as PartnerStatus,
    createdAt: toDate(r.created_at),
    deletedAt: toDateOrNull(r.deleted_at ?? null),
  };
}

const COLUMNS = 'id, name, status, created_at, deleted_at';

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

  /** Every partner, oldest first (at most 1000): the operator's view. */
  async listAll(db: Db): Promise<Partner[]> {
    const rows: PartnerRow[] = await db.query(`SELECT ${COLUMNS} FROM partners ORDER BY id LIMIT 1000`);
    return rows.map(partnerFromRow);
  }
}

export const partnerRepository = new PartnerRepository();
