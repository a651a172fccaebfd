import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

function adminUrl(url: string): string {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return admin.toString();
}

async function onAdmin<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl(url) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * The migrated template the test stacks clone: "<test database>_template". Only the jest global setup
 * connects to it (to migrate it), because Postgres clones a database only while nobody is connected.
 */
export async function templateUrl(testDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/backup_gateway_test'): Promise<string> {
  const url = new URL(testDatabaseUrl);
  const name = `${decodeURIComponent(url.pathname.slice(1))}_template`;
  await onAdmin(testDatabaseUrl, async (c) => {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount)
      await c.query(`CREATE DATABASE "${name}"`).catch((e: { code?: string }) => {
        if (e.code !== '42P04') throw e;
      });
  });
  url.pathname = `/${name}`;
  return url.toString();
}

/** A database of its own for one test stack, cloned from the template; `drop` removes it. */
export async function cloneDatabase(testDatabaseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const template = new URL(await templateUrl(testDatabaseUrl));
  const name = `bgt_${randomBytes(6).toString('hex')}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await onAdmin(testDatabaseUrl, (c) =>
        c.query(`CREATE DATABASE ${name} TEMPLATE "${decodeURIComponent(template.pathname.slice(1))}"`),
      );
      break;
    } catch (e) {
      // Another test run's global setup may be connected to the template for a moment.
      if (!/being accessed by other users/.test((e as Error).message) || attempt >= 40) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => onAdmin(testDatabaseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
