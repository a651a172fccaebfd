import type { DataSource } from 'typeorm';
import { requestContext } from '../context/request-context';

interface PgResult {
  command: string;
  rows: unknown[];
  rowCount: number | null;
}
interface PgClient {
  query(sql: string, params?: unknown[]): Promise<PgResult>;
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

/**
 * What repositories need of a transaction: one statement at a time. TypeORM's EntityManager has this
 * shape too (and answers the same way: rows, or [rows, affected] for UPDATE/DELETE).
 */
export interface SqlTx {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows are typed by the caller's declaration, as with TypeORM's query()
  query<T = any>(sql: string, params?: unknown[]): Promise<T>;
}

/** A transaction bound to one tenant: row-level security sees only that tenant's rows. */
export type TenantTx = SqlTx & { readonly tenantId: string };

/** A statement runner on one pg client, answering like TypeORM's query() so repositories see no difference. */
function onClient(client: PgClient): SqlTx {
  return {
    async query<T>(sql: string, params?: unknown[]): Promise<T> {
      const r = await client.query(sql, params);
      return (r.command === 'UPDATE' || r.command === 'DELETE' ? [r.rows, r.rowCount ?? 0] : r.rows) as T;
    },
  };
}

/** A connection the server ended (or broke) is not given back to the pool. */
function releaseError(err: unknown): Error | undefined {
  return err instanceof Error && /terminat|Connection/i.test(err.message) ? err : undefined;
}

/**
 * Runs `fn` in a transaction of the app role with `app.tenant_id` set (transaction-local), so every
 * query inside — including one that forgets its tenant filter — is confined to the tenant by RLS.
 */
/** The pg pool under TypeORM's DataSource: hot statements go straight to it, without a QueryRunner each. */
export function appPool(dataSource: DataSource): PgPool {
  return (dataSource.driver as unknown as { master: PgPool }).master;
}

export class TenantDb {
  constructor(readonly dataSource: DataSource) {}

  /**
   * A single read under row-level security with less overhead than `run`: a pooled pg client, BEGIN and
   * the tenant setting sent as one simple query (the id is a validated UUID, so it is a safe literal),
   * the parameterized SELECT, COMMIT. Same guarantees as `run`; use it for hot read paths.
   */
  async read<T = Record<string, unknown>>(tenantId: string, sql: string, params: unknown[] = []): Promise<T[]> {
    return this.run(tenantId, (tx) => tx.query<T[]>(sql, params));
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
    return appPool(this.dataSource);
  }

  /**
   * BEGIN and the tenant setting go out as one simple query (the id is a validated UUID, so it is a
   * safe literal); then `fn`'s statements; then COMMIT (ROLLBACK when `fn` throws). A pooled pg client
   * of the app role, without TypeORM's per-transaction machinery: the hot paths run several of these.
   */
  async run<T>(tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
    if (!isUuid(tenantId)) throw new Error('tenant id must be a uuid');
    const id = tenantId.toLowerCase();
    const setting = `SELECT set_config('app.tenant_id', '${id}', true)`;
    const gate = requestContext.tenantWriteGate(id);
    if (!gate) return this.transaction(setting, (sql) => fn(Object.assign(sql, { tenantId })));
    // A gated write (offboarding): the tenant's status comes back with BEGIN, in the same round trip. FOR SHARE
    // makes an offboarding that starts meanwhile wait for this transaction (and see what it wrote), and this
    // transaction wait for an offboarding already under way and then read its committed status.
    return this.transaction(
      `${setting}; SELECT status FROM tenants WHERE id = '${id}' FOR SHARE`,
      (sql) => fn(Object.assign(sql, { tenantId })),
      (begun) => gate.assertWritable((begun.at(-1)?.rows[0] as { status?: string } | undefined)?.status),
    );
  }

  private async transaction<T>(setting: string, fn: (sql: SqlTx) => Promise<T>, check?: (begun: PgResult[]) => void): Promise<T> {
    const client = await this.pool().connect();
    let broken: unknown;
    try {
      const begun = (await client.query(`BEGIN; ${setting}`)) as unknown as PgResult[];
      check?.(begun);
      const result = await fn(onClient(client));
      await client.query('COMMIT');
      return result;
    } catch (e) {
      broken = e;
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release(releaseError(broken));
    }
  }

  /**
   * Runs `fn` in a transaction that sees the rows of every tenant of one partner, on the tables whose
   * row-level security admits a partner (`app.partner_id`): events, webhook endpoints and deliveries,
   * usage. Tables that hold only tenant data (restore jobs, connections ...) stay invisible.
   */
  async runAsPartner<T>(partnerId: string, fn: (tx: PartnerTx) => Promise<T>): Promise<T> {
    if (!isUuid(partnerId)) throw new Error('partner id must be a uuid');
    return this.transaction(`SELECT set_config('app.partner_id', '${partnerId.toLowerCase()}', true)`, (sql) =>
      fn(Object.assign(sql, { partnerId })),
    );
  }

  /**
   * Runs `fn` in a transaction that sees every row of the tables whose row-level security admits the operator
   * (`app.operator`): the audit log only. Every other tenant table stays invisible, as in a transaction without tenant.
   */
  async runAsOperator<T>(fn: (tx: OperatorTx) => Promise<T>): Promise<T> {
    return this.transaction(`SELECT set_config('app.operator', 'on', true)`, (sql) => fn(Object.assign(sql, { operator: true as const })));
  }
}

/** A transaction of the operator (see TenantDb.runAsOperator). */
export type OperatorTx = SqlTx & { readonly operator: true };

/** A transaction bound to one partner (see TenantDb.runAsPartner). */
export type PartnerTx = SqlTx & { readonly partnerId: string };
