import type { Partner } from '@bg/domain';
import { toDate } from '../database/dates';
import type { SqlTx } from '../tenancy/tenant-db';

/** Partners are not tenant data: read and written with the app DataSource or one of its transactions. */
type Db = SqlTx;

/** A partners row (timestamps may also be ISO strings, in event snapshots). */
export interface PartnerRow {
  id: string;
  name: string;
  created_at: Date | string;
}

export function partnerFromRow(r: PartnerRow): Partner {
  return { id: r.id, name: r.name, createdAt: toDate(r.created_at) };
}

const COLUMNS = 'id, name, created_at';

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

  /** One page of partners, oldest first (by id), after `after` (undefined: from the start): the operator's view. */
  async list(db: Db, after: string | undefined, limit: number): Promise<Partner[]> {
    const rows: PartnerRow[] = await db.query(`SELECT ${COLUMNS} FROM partners WHERE id > $1 ORDER BY id LIMIT $2`, [
      after ?? '00000000-0000-0000-0000-000000000000',
      limit,
    ]);
    return rows.map(partnerFromRow);
  }
}

export const partnerRepository = new PartnerRepository();
