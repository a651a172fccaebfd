import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { TenantDb, appPool } from '@bg/platform';
import { APP_DB } from '../../apps/gateway/src/common/platform.providers';
import { newTenant } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';

/**
 * Found by the postgres-restart drill (npm run drill -- postgres-restart): when Postgres went away, every
 * worker process died of an unhandled 'error' event on a pg client that was checked out (inside a
 * transaction) but idle. Now the transaction fails, the process lives, and the pool serves again.
 */
describe('a database connection lost in the middle of a transaction', () => {
  let stack: TestStack;
  let owner: Client;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    owner = new Client({ connectionString: stack.config.DATABASE_URL });
    await owner.connect();
  });
  afterAll(async () => {
    await owner.end();
    await stack.stop();
  });

  it('fails that transaction without crashing the process, and the next transaction runs on a fresh connection', async () => {
    const tenants = stack.gateway.get(TenantDb);
    const t = await newTenant(stack.admin);
    let pid = 0;
    await expect(
      tenants.run(t.tenantId, async (tx) => {
        pid = (await tx.query<Array<{ pid: number }>>('SELECT pg_backend_pid() AS pid'))[0].pid;
        // The server ends this backend while the client sits idle in its transaction (as when Postgres restarts).
        await owner.query('SELECT pg_terminate_backend($1)', [pid]);
        // Until the backend is gone (pg_terminate_backend only signals it), not a fixed sleep a loaded machine outlasts.
        await eventually(
          async () => (await owner.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0].n,
          (n) => n === 0,
          60_000,
          50,
        );
        await tx.query('SELECT 1');
      }),
    ).rejects.toThrow(/terminat|connection/i);
    const [{ pid: next }] = await tenants.run(t.tenantId, (tx) => tx.query<Array<{ pid: number }>>('SELECT pg_backend_pid() AS pid'));
    expect(next).not.toBe(pid);
    expect((await stack.admin.get('/v1/partners')).status).toBe(200);
  });

  it('every client of the pool listens for errors while checked out (an unheard error event would end the process)', async () => {
    const client = await appPool(stack.gateway.get<DataSource>(APP_DB)).connect();
    try {
      expect((client as unknown as NodeJS.EventEmitter).listenerCount('error')).toBeGreaterThanOrEqual(1);
    } finally {
      client.release();
    }
  });
});
