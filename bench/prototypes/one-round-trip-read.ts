// PROTOTYPE, not used by the apps: a TenantDb.read that costs one database round trip instead of three,
// for the lead to judge (libs/platform/src/tenancy/tenant-db.ts is not the bench's to change).
//
// Today read() sends `BEGIN; SELECT set_config(...)`, then the parameterized SELECT, then COMMIT: three
// round trips, each a socket write and wake-up in both Node and Postgres. Here the whole transaction is
// ONE simple-protocol query, `BEGIN READ ONLY; SELECT set_config(...); <select>; COMMIT`, so the
// parameters are sent as literals: UUIDs and numbers are checked, strings go through pg's
// escapeLiteral, and the SQL text itself may not contain quotes (so no $n can hide in a literal).
// Row-level security is unchanged: the same app role, the same transaction-local app.tenant_id.
//
// Loaded with `node -r dist/bench/prototypes/one-round-trip-read.js` it replaces TenantDb.prototype.read
// in that process; `BENCH_PROTOTYPE=1 npm run bench:get` measures a gateway started that way as well.
import { escapeLiteral } from 'pg';
import { TenantDb, isUuid } from '@bg/platform';

interface PgClient { query(sql: string): Promise<Array<{ rows: unknown[] }> | { rows: unknown[] }>; release(err?: unknown): void }
interface PgPool { connect(): Promise<PgClient> }

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('a query parameter is not a finite number');
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return escapeLiteral(value.toISOString());
  if (typeof value === 'string') return escapeLiteral(value);
  throw new Error(`unsupported query parameter type ${typeof value}`);
}

/** `sql` with $1..$n replaced by literals. The SQL text must contain no quoted literal of its own. */
export function inlineParams(sql: string, params: unknown[]): string {
  if (/['"]|\$\$/.test(sql)) throw new Error('one-round-trip reads take SQL without quotes; pass values as parameters');
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new Error(`no parameter $${n}`);
    return literal(params[i]);
  });
}

export async function readOneRoundTrip<T>(db: TenantDb, tenantId: string, sql: string, params: unknown[] = []): Promise<T[]> {
  if (!isUuid(tenantId)) throw new Error('tenant id must be a uuid');
  const text = `BEGIN READ ONLY; SELECT set_config('app.tenant_id', '${tenantId.toLowerCase()}', true); ${inlineParams(sql, params)}; COMMIT`;
  const pool = (db.dataSource.driver as unknown as { master: PgPool }).master;
  const client = await pool.connect();
  let broken: unknown;
  try {
    const results = await client.query(text);
    return (Array.isArray(results) ? results[2].rows : []) as T[];
  } catch (e) {
    broken = e;
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release(broken instanceof Error && /terminat|Connection/i.test(broken.message) ? broken : undefined);
  }
}

TenantDb.prototype.read = function read<T>(this: TenantDb, tenantId: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return readOneRoundTrip<T>(this, tenantId, sql, params);
};
