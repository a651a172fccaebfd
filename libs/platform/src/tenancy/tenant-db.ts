import type { DataSource, EntityManager } from 'typeorm';

interface PgClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  release(err?: unknown): void;
}
interface PgPool {
  connect(): Promise<PgClient>;
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** A transaction bound to one tenant: row-level security sees only that tenant's rows. */
export type TenantTx = EntityManager & { readonly tenantId: string };

/**
 * Runs `fn` in a transaction of the app role with `app.tenant_id` set (transaction-local), so every
 * query inside — including one that forgets its tenant filter — is confined to the tenant by RLS.
 */
export class TenantDb {
  constructor(readonly dataSource: DataSource) {}

  /**
   * A single read under row-level security with less overhead than `run`: a pooled pg client, BEGIN and
   * the tenant setting sent as one simple query (the id is a validated UUID, so it is a safe literal),
   * the parameterized SELECT, COMMIT. Same guarantees as `run`; use it for hot read paths.
   */
  async read<T = Record<string, unknown>>(tenantId: string, sql: string, params: unknown[] = []): Promise<T[]> {
    if (!isUuid(tenantId)) throw new Error('tenant id must be a uuid');
    const client = await this.pool().connect();
    let broken: unknown;
    try {
      await client.query(`BEGIN; SELECT set_config('app.tenant_id', '${tenantId.toLowerCase()}', true)`);
      const { rows } = await client.query(sql, params);
      await client.query('COMMIT');
      return rows as T[];
    } catch (e) {
      broken = e;
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release(broken instanceof Error && /terminat|Connection/i.test(broken.message) ? broken : undefined);
    }
  }

  /**
   * One statement, one round trip: a prepared statement (`name`) on the app pool, outside any explicit
   * transaction. Only for statements that call a SECURITY INVOKER function which sets app.tenant_id to
   * `tenantId` itself before it reads (see the restore-job-reads migration): row-level security then
   * confines the read to the tenant exactly as `run` does, with bound parameters.
   */
  async statement<T>(tenantId: string, name: string, sql: string, params: unknown[]): Promise<T[]> {
    if (!isUuid(tenantId)) throw new Error('tenant id must be a uuid');
    const { rows } = await this.pool().query({ name, text: sql, values: params });
    return rows as T[];
  }

  private pool(): PgPool {
    return (this.dataSource.driver as unknown as { master: PgPool }).master;
  }

  async run<T>(tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
    if (!isUuid(tenantId)) throw new Error('tenant id must be a uuid');
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
      return fn(Object.assign(manager, { tenantId }) as TenantTx);
    });
  }

  /**
   * Runs `fn` in a transaction that sees the rows of every tenant of one partner, on the tables whose
   * row-level security admits a partner (`app.partner_id`): events, webhook endpoints and deliveries,
   * usage. Tables that hold only tenant data (restore jobs, connections ...) stay invisible.
   */
  async runAsPartner<T>(partnerId: string, fn: (tx: PartnerTx) => Promise<T>): Promise<T> {
    if (!isUuid(partnerId)) throw new Error('partner id must be a uuid');
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('app.partner_id', $1, true)`, [partnerId]);
      return fn(Object.assign(manager, { partnerId }) as PartnerTx);
    });
  }
}

/** A transaction bound to one partner (see TenantDb.runAsPartner). */
export type PartnerTx = EntityManager & { readonly partnerId: string };
