import { DomainError, type Connection, type ConnectionHealth, type VendorId } from '@bg/domain';
import type { SealedSecret } from '../crypto/credential-cipher';
import { toDate, toDateOrNull } from '../database/dates';
import { rowsOf } from '../database/rows';
import type { SqlTx, TenantTx } from '../tenancy/tenant-db';

/**
 * A connections row without its sealed secret columns (timestamps may also be ISO strings, in event
 * snapshots).
 */
export interface ConnectionRow {
  id: string;
  tenant_id: string;
  vendor: string;
  display_name: string;
  endpoint: string;
  public_credentials: Record<string, string>;
  credentials_version: number;
  health: string;
  health_detail: string | null;
  last_verified_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
  deleted_at: Date | string | null;
}

/** The encrypted credential columns of a connections row. */
interface SealedRow {
  secret_ciphertext: Buffer | null;
  secret_wrapped_key: Buffer | null;
  secret_key_id: string | null;
}

export function connectionFromRow(r: ConnectionRow): Connection {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    vendor: r.vendor as VendorId,
    displayName: r.display_name,
    endpoint: r.endpoint,
    publicCredentials: r.public_credentials,
    credentialsVersion: r.credentials_version,
    health: r.health as ConnectionHealth,
    healthDetail: r.health_detail,
    lastVerifiedAt: toDateOrNull(r.last_verified_at),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    deletedAt: toDateOrNull(r.deleted_at),
  };
}

/** A connection to store: the secret credential fields arrive already sealed (CredentialCipher). */
export interface NewConnection {
  id: string;
  vendor: VendorId;
  displayName: string;
  endpoint: string;
  publicCredentials: Record<string, string>;
  sealed: SealedSecret;
}

/** A replacement of a connection's settings: new credentials arrive already sealed (CredentialCipher). */
export interface ConnectionChange {
  displayName?: string;
  endpoint?: string;
  credentials?: { publicCredentials: Record<string, string>; sealed: SealedSecret };
}

/** What still uses a connection: policies not deleted and restore jobs not finished. */
export interface ConnectionDependents {
  policies: number;
  activeRestoreJobs: number;
}

/** Every column but the secret ones: no read meant for display can carry a secret by accident. */
const COLUMNS =
  'id, tenant_id, vendor, display_name, endpoint, public_credentials, credentials_version, health, health_detail, last_verified_at, created_at, updated_at, deleted_at';
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** The only writer of `connections`; every method runs in the tenant's transaction (RLS). */
export class ConnectionRepository {
  /** Every live connection of these vendors, of every tenant (the owner's view: for the worker's sweeps). */
  async liveOfVendors(db: SqlTx, vendors: readonly string[]): Promise<Array<{ id: string; tenantId: string; vendor: string }>> {
    if (!vendors.length) return [];
    const rows: Array<{ id: string; tenant_id: string; vendor: string }> = await db.query(
      'SELECT id, tenant_id, vendor FROM connections WHERE deleted_at IS NULL AND vendor = ANY($1) ORDER BY id',
      [vendors],
    );
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, vendor: r.vendor }));
  }

  async insert(tx: TenantTx, c: NewConnection): Promise<Connection> {
    const [row]: ConnectionRow[] = await tx.query(
      `INSERT INTO connections (id, tenant_id, vendor, display_name, endpoint, public_credentials, secret_ciphertext, secret_wrapped_key, secret_key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
      [
        c.id,
        tx.tenantId,
        c.vendor,
        c.displayName,
        c.endpoint,
        JSON.stringify(c.publicCredentials),
        c.sealed.ciphertext,
        c.sealed.wrappedKey,
        c.sealed.keyId,
      ],
    );
    return connectionFromRow(row);
  }

  /** The tenant's connections not deleted, with an id after `after`, by id, at most `limit`. */
  async listLive(tx: TenantTx, after: string | undefined, limit: number): Promise<Connection[]> {
    const rows: ConnectionRow[] = await tx.query(
      `SELECT ${COLUMNS} FROM connections WHERE tenant_id = $1 AND deleted_at IS NULL AND id > $2 ORDER BY id LIMIT $3`,
      [tx.tenantId, after ?? NIL_UUID, limit],
    );
    return rows.map(connectionFromRow);
  }

  /** The connection unless it is deleted. */
  async findLive(tx: TenantTx, id: string): Promise<Connection | undefined> {
    const [row]: ConnectionRow[] = await tx.query(
      `SELECT ${COLUMNS} FROM connections WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`,
      [tx.tenantId, id],
    );
    return row ? connectionFromRow(row) : undefined;
  }

  /** The connection, deleted or not (the worker still finishes the work of a deleted connection). */
  async findById(tx: TenantTx, id: string): Promise<Connection | undefined> {
    const [row]: ConnectionRow[] = await tx.query(`SELECT ${COLUMNS} FROM connections WHERE id = $1`, [id]);
    return row ? connectionFromRow(row) : undefined;
  }

  /**
   * The connection (deleted or not) with its sealed secret, for the one caller that decrypts it: the
   * worker, to build an adapter. The secret stays sealed here and never enters the Connection.
   */
  async findWithSealedSecret(tx: TenantTx, id: string): Promise<{ connection: Connection; sealed: SealedSecret } | undefined> {
    const [row]: Array<ConnectionRow & SealedRow> = await tx.query(
      `SELECT ${COLUMNS}, secret_ciphertext, secret_wrapped_key, secret_key_id FROM connections WHERE id = $1`,
      [id],
    );
    if (!row) return undefined;
    if (!row.secret_ciphertext || !row.secret_wrapped_key || !row.secret_key_id)
      throw new DomainError('AUTH_FAILED', `The credentials of connection ${id} were destroyed (its tenant was offboarded).`);
    return {
      connection: connectionFromRow(row),
      sealed: { ciphertext: row.secret_ciphertext, wrappedKey: row.secret_wrapped_key, keyId: row.secret_key_id },
    };
  }

  /**
   * Applies a PATCH: new credentials (and endpoint) start a new credentials version, whose health is unknown until
   * its verification (queued by the caller) records it. Undefined when the connection is deleted.
   */
  async replace(tx: TenantTx, id: string, change: ConnectionChange): Promise<Connection | undefined> {
    const reverify = change.credentials !== undefined || change.endpoint !== undefined;
    const [row] = rowsOf<ConnectionRow>(
      await tx.query(
        `UPDATE connections SET
         display_name = COALESCE($2, display_name),
         endpoint = COALESCE($3, endpoint),
         public_credentials = COALESCE($4::jsonb, public_credentials),
         secret_ciphertext = COALESCE($5, secret_ciphertext),
         secret_wrapped_key = COALESCE($6, secret_wrapped_key),
         secret_key_id = COALESCE($7, secret_key_id),
         credentials_version = credentials_version + CASE WHEN $8 THEN 1 ELSE 0 END,
         health = CASE WHEN $8 THEN 'unknown' ELSE health END,
         health_detail = CASE WHEN $8 THEN 'verification queued' ELSE health_detail END,
         updated_at = now()
       WHERE tenant_id = $1 AND id = $9 AND deleted_at IS NULL RETURNING ${COLUMNS}`,
        [
          tx.tenantId,
          change.displayName ?? null,
          change.endpoint ?? null,
          change.credentials ? JSON.stringify(change.credentials.publicCredentials) : null,
          change.credentials?.sealed.ciphertext ?? null,
          change.credentials?.sealed.wrappedKey ?? null,
          change.credentials?.sealed.keyId ?? null,
          reverify,
          id,
        ],
      ),
    );
    return row ? connectionFromRow(row) : undefined;
  }

  async dependents(tx: TenantTx, id: string): Promise<ConnectionDependents> {
    const [row]: Array<{ policies: number; jobs: number }> = await tx.query(
      `SELECT (SELECT count(*) FROM policies WHERE connection_id = $1 AND status <> 'deleted')::int AS policies,
              (SELECT count(*) FROM restore_jobs WHERE connection_id = $1 AND status IN ('queued','submitting','running','cancelling'))::int AS jobs`,
      [id],
    );
    return { policies: row.policies, activeRestoreJobs: row.jobs };
  }

  async markVerificationQueued(tx: TenantTx, id: string): Promise<void> {
    await tx.query(`UPDATE connections SET health_detail = 'verification queued', updated_at = now() WHERE id = $1`, [id]);
  }

  /**
   * A vendor refused normal work with AUTH_FAILED / PERMISSION_DENIED: unhealthy with the refusal as detail (emits
   * connection.unhealthy once; an unhealthy or deleted connection is left as it is). Returns whether it changed.
   */
  async markUnhealthyFromWork(tx: TenantTx, id: string, detail: string): Promise<boolean> {
    const rows = rowsOf<{ id: string }>(
      await tx.query(
        `UPDATE connections SET health = 'unhealthy', health_detail = $2, updated_at = now()
          WHERE id = $1 AND health <> 'unhealthy' AND deleted_at IS NULL RETURNING id`,
        [id, detail],
      ),
    );
    return rows.length > 0;
  }

  /** Records the outcome of a credential check (the change of health emits connection.healthy/unhealthy). */
  async recordHealth(tx: TenantTx, id: string, health: ConnectionHealth, detail: string): Promise<void> {
    await tx.query('UPDATE connections SET health = $2, health_detail = $3, last_verified_at = now(), updated_at = now() WHERE id = $1', [
      id,
      health,
      detail,
    ]);
  }

  /** Soft delete (emits connection.deleted). */
  async softDelete(tx: TenantTx, id: string): Promise<void> {
    await tx.query('UPDATE connections SET deleted_at = now(), updated_at = now() WHERE id = $1', [id]);
  }

  /** Offboarding: every connection of the tenant deleted at once (emits connection.deleted), its credentials kept. */
  async softDeleteAll(tx: TenantTx): Promise<number> {
    const rows = rowsOf(
      await tx.query(
        `UPDATE connections SET deleted_at = now(), updated_at = now() WHERE tenant_id = $1 AND deleted_at IS NULL RETURNING id`,
        [tx.tenantId],
      ),
    );
    return rows.length;
  }

  /**
   * Offboarding: destroys the sealed credentials (ciphertext and wrapped data key) of every connection of the tenant
   * and marks them deleted; nothing can decrypt them afterwards. Returns how many held credentials.
   */
  async destroyCredentials(tx: TenantTx): Promise<number> {
    const rows = rowsOf(
      await tx.query(
        `UPDATE connections SET secret_ciphertext = NULL, secret_wrapped_key = NULL, secret_key_id = NULL,
            credentials_version = credentials_version + 1, deleted_at = COALESCE(deleted_at, now()),
            health_detail = 'credentials destroyed (tenant offboarded)', updated_at = now()
          WHERE tenant_id = $1 AND secret_ciphertext IS NOT NULL RETURNING id`,
        [tx.tenantId],
      ),
    );
    return rows.length;
  }
}

export const connectionRepository = new ConnectionRepository();
