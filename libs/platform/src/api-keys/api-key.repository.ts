import {
  isApiScope,
  type ApiKey,
  type ApiKeyIdentity,
  type ApiKeyRole,
  type ApiKeyScope,
  type ApiScope,
  type RateLimits,
} from '@bg/domain';
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
  scopes: string[];
  expires_at: Date | string | null;
  last_used_at: Date | string | null;
  created_at: Date | string;
  revoked_at: Date | string | null;
}

type IdentityRow = Pick<ApiKeyRow, 'id' | 'role' | 'partner_id' | 'tenant_id' | 'scopes' | 'expires_at'>;

function identityFromRow(r: IdentityRow): ApiKeyIdentity {
  const scope: ApiKeyScope =
    r.role === 'partner'
      ? { role: 'partner', partnerId: r.partner_id, tenantId: null }
      : { role: 'tenant', partnerId: r.partner_id, tenantId: tenantIdOf(r) };
  return { id: r.id, ...scope, scopes: scopesOf(r), expiresAt: toDateOrNull(r.expires_at) };
}

function tenantIdOf(r: IdentityRow): string {
  // The table's CHECK makes this impossible; never let a tenant key pass as a partner key.
  if (r.tenant_id === null) throw new Error(`api key ${r.id} has role tenant but no tenant_id`);
  return r.tenant_id;
}

function scopesOf(r: IdentityRow): ApiScope[] {
  // The table's CHECK allows only known scopes; an unknown one would be a scope this code cannot enforce.
  const unknown = r.scopes.find((s) => !isApiScope(s));
  if (unknown !== undefined) throw new Error(`api key ${r.id} has unknown scope ${unknown}`);
  return r.scopes as ApiScope[];
}

export function apiKeyFromRow(r: ApiKeyRow): ApiKey {
  return {
    ...identityFromRow(r),
    name: r.name,
    prefix: r.prefix,
    createdAt: toDate(r.created_at),
    revokedAt: toDateOrNull(r.revoked_at),
    lastUsedAt: toDateOrNull(r.last_used_at),
  };
}

/** What authentication loads for a key: the key's identity and its partner's rate-limit override. */
export type AuthenticatedKey = ApiKeyIdentity & { rateLimits: RateLimits };

const NIL_UUID = '00000000-0000-0000-0000-000000000000';
/** A key to store: its scope, display data and the SHA-256 of the key (the key itself is never stored). */
export type NewApiKey = ApiKeyScope & {
  id: string;
  name: string;
  prefix: string;
  keyHash: string;
  scopes: ApiScope[];
  expiresAt: Date | null;
};

const COLUMNS = 'id, role, partner_id, tenant_id, name, prefix, scopes, expires_at, last_used_at, created_at, revoked_at';

/** The only writer of `api_keys`. */
export class ApiKeyRepository {
  async insert(db: Db, key: NewApiKey): Promise<ApiKey> {
    const [row]: ApiKeyRow[] = await db.query(
      `INSERT INTO api_keys (id, role, partner_id, tenant_id, name, prefix, key_hash, scopes, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
      [key.id, key.role, key.partnerId, key.tenantId, key.name, key.prefix, key.keyHash, key.scopes, key.expiresAt],
    );
    return apiKeyFromRow(row);
  }

  /**
   * The authentication lookup: the unrevoked key with this SHA-256 (expired or not: the caller says
   * "expired") with its partner's rate limits, in one indexed query.
   */
  async findActiveByHash(db: Db, keyHash: string): Promise<AuthenticatedKey | undefined> {
    const [row]: Array<IdentityRow & { rate_limit_per_key: number | null; rate_limit_per_tenant: number | null }> = await db.query(
      `SELECT k.id, k.role, k.partner_id, k.tenant_id, k.scopes, k.expires_at, p.rate_limit_per_key, p.rate_limit_per_tenant
       FROM api_keys k JOIN partners p ON p.id = k.partner_id
       WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
      [keyHash],
    );
    if (!row) return undefined;
    return { ...identityFromRow(row), rateLimits: { perKey: row.rate_limit_per_key, perTenant: row.rate_limit_per_tenant } };
  }

  /**
   * Records that these keys were used now, in one statement. A key already marked within the last
   * minute is left alone, so however many gateways flush, a key is written at most about once a minute.
   */
  async touchLastUsed(db: Db, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = rowsOf(
      await db.query(
        `UPDATE api_keys SET last_used_at = now()
         WHERE id = ANY($1::uuid[]) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') RETURNING id`,
        [ids],
      ),
    );
    return rows.length;
  }

  async findById(db: Db, id: string): Promise<ApiKey | undefined> {
    const [row]: ApiKeyRow[] = await db.query(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
    return row ? apiKeyFromRow(row) : undefined;
  }

  /**
   * One page of keys by id after `after` (undefined: from the start), `limit` rows: every key for the operator,
   * a partner's keys and its tenants' keys when `owner.partnerId` is given, one tenant's keys with `owner.tenantId`.
   */
  async list(
    db: Db,
    owner: { partnerId: string | null; tenantId: string | null },
    after: string | undefined,
    limit: number,
  ): Promise<ApiKey[]> {
    const rows: ApiKeyRow[] = await db.query(
      `SELECT ${COLUMNS} FROM api_keys WHERE id > $1 AND ($2::uuid IS NULL OR partner_id = $2) AND ($3::uuid IS NULL OR tenant_id = $3)
       ORDER BY id LIMIT $4`,
      [after ?? NIL_UUID, owner.partnerId, owner.tenantId, limit],
    );
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

  /** Revokes an unrevoked key of this tenant; false if there is none. */
  async revokeOfTenant(db: Db, id: string, tenantId: string): Promise<boolean> {
    const rows = rowsOf(
      await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL RETURNING id', [
        id,
        tenantId,
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
