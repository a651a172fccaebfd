import type { ApiKey, ApiKeyIdentity, ApiKeyRole, ApiKeyScope } from '@bg/domain';
import { toDate, toDateOrNull } from '../database/dates';
import { rowsOf } from '../database/rows';
import type { SqlTx } from '../tenancy/tenant-db';

/** API keys are looked up before any tenant is known: the app DataSource or one of its transactions. */
type Db = SqlTx;

/** An api_keys row without its `key_hash` (timestamps may also be ISO strings, in event snapshots). */
export interface ApiKeyRow {
  id: string;
  role: ApiKeyRole;
  partner_id: string;
  tenant_id: string | null;
  name: string;
  prefix: string;
  created_at: Date | string;
  revoked_at: Date | string | null;
}

type IdentityRow = Pick<ApiKeyRow, 'id' | 'role' | 'partner_id' | 'tenant_id'>;

function identityFromRow(r: IdentityRow): ApiKeyIdentity {
  const scope: ApiKeyScope =
    r.role === 'partner'
      ? { role: 'partner', partnerId: r.partner_id, tenantId: null }
      : { role: 'tenant', partnerId: r.partner_id, tenantId: tenantIdOf(r) };
  return { id: r.id, ...scope };
}

function tenantIdOf(r: IdentityRow): string {
  // The table's CHECK makes this impossible; never let a tenant key pass as a partner key.
  if (r.tenant_id === null) throw new Error(`api key ${r.id} has role tenant but no tenant_id`);
  return r.tenant_id;
}

export function apiKeyFromRow(r: ApiKeyRow): ApiKey {
  return {
    ...identityFromRow(r),
    name: r.name,
    prefix: r.prefix,
    createdAt: toDate(r.created_at),
    revokedAt: toDateOrNull(r.revoked_at),
  };
}

/** A key to store: its scope, display data and the SHA-256 of the key (the key itself is never stored). */
export type NewApiKey = ApiKeyScope & { id: string; name: string; prefix: string; keyHash: string };

const COLUMNS = 'id, role, partner_id, tenant_id, name, prefix, created_at, revoked_at';

/** The only writer of `api_keys`. */
export class ApiKeyRepository {
  async insert(db: Db, key: NewApiKey): Promise<ApiKey> {
    const [row]: ApiKeyRow[] = await db.query(
      `INSERT INTO api_keys (id, role, partner_id, tenant_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [key.id, key.role, key.partnerId, key.tenantId, key.name, key.prefix, key.keyHash],
    );
    return apiKeyFromRow(row);
  }

  /** The authentication lookup: the unrevoked key with this SHA-256, in one indexed query. */
  async findActiveByHash(db: Db, keyHash: string): Promise<ApiKeyIdentity | undefined> {
    const [row]: IdentityRow[] = await db.query(
      'SELECT id, role, partner_id, tenant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
      [keyHash],
    );
    return row ? identityFromRow(row) : undefined;
  }

  /** Every key, by id (at most 1000): the operator's view. */
  async listAll(db: Db): Promise<ApiKey[]> {
    const rows: ApiKeyRow[] = await db.query(`SELECT ${COLUMNS} FROM api_keys ORDER BY id LIMIT 1000`);
    return rows.map(apiKeyFromRow);
  }

  /** The partner's keys and its tenants' keys, by id (at most 1000). */
  async listByPartner(db: Db, partnerId: string): Promise<ApiKey[]> {
    const rows: ApiKeyRow[] = await db.query(`SELECT ${COLUMNS} FROM api_keys WHERE partner_id = $1 ORDER BY id LIMIT 1000`, [partnerId]);
    return rows.map(apiKeyFromRow);
  }

  /** Revokes an unrevoked key of any partner; false if there is none with this id. */
  async revoke(db: Db, id: string): Promise<boolean> {
    const rows = rowsOf(await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id', [id]));
    return rows.length > 0;
  }

  /** Revokes an unrevoked key of this partner (or of one of its tenants); false if there is none. */
  async revokeOfPartner(db: Db, id: string, partnerId: string): Promise<boolean> {
    const rows = rowsOf(
      await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND partner_id = $2 AND revoked_at IS NULL RETURNING id', [
        id,
        partnerId,
      ]),
    );
    return rows.length > 0;
  }

  /** Revokes every key of a tenant (offboarding) or of a partner, its tenants' keys included (partner deletion). */
  async revokeAllOf(db: Db, owner: { tenantId: string } | { partnerId: string }): Promise<number> {
    const [column, id] = 'tenantId' in owner ? ['tenant_id', owner.tenantId] : ['partner_id', owner.partnerId];
    const rows = rowsOf(
      await db.query(`UPDATE api_keys SET revoked_at = now() WHERE ${column} = $1 AND revoked_at IS NULL RETURNING id`, [id]),
    );
    return rows.length;
  }
}

export const apiKeyRepository = new ApiKeyRepository();
