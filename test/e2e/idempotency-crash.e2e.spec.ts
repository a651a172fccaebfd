import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { IdempotencyStore, TenantDb } from '@bg/platform';
import { APP_DB } from '../../apps/gateway/src/common/platform.providers';
import { newTenant } from '../support/factories';
import { protectOneItem, restoreBody } from '../support/protected-item';
import { startStack, type TestStack } from '../support/stack';

/**
 * Found by the gateway-kill drill (npm run drill -- gateway-kill): a gateway killed between a restore
 * job's commit and its answer left the Idempotency-Key in flight for 24 h, so every retry answered 409 and
 * the client never learned the job; killed before the commit, the key was stuck the same way. Now the
 * answer commits with the job, and a claim in flight past its lease is taken over.
 */
describe('idempotency keys survive a gateway crash', () => {
  let stack: TestStack;
  let db: Client;
  let appDb: DataSource;
  const principal = () => `crash-test-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    db = new Client({ connectionString: stack.config.DATABASE_URL });
    await db.connect();
    appDb = stack.gateway.get(APP_DB);
  });
  afterAll(async () => {
    await db.end();
    await stack.stop();
  });

  it('stores the answer of a restore job in the transaction that creates the job', async () => {
    const s = await protectOneItem(stack, 'graph');
    const key = `crash-${randomBytes(6).toString('hex')}`;
    const first = await s.t.tenant.post(`${s.T}/restore-jobs`, restoreBody(s), { 'idempotency-key': key });
    expect(first.status).toBe(202);
    // The job's 'created' history row (written with the job) and the stored answer carry one transaction id (xmin).
    const { rows } = await db.query(
      `SELECT (SELECT xmin::text FROM restore_job_events WHERE restore_job_id = $1 AND type = 'created') AS job_tx, xmin::text AS key_tx,
              state, response_status, response_body->>'id' AS id
         FROM idempotency_keys WHERE key = $2`,
      [first.body.id, key],
    );
    expect(rows).toEqual([{ job_tx: rows[0].key_tx, key_tx: expect.any(String), state: 'done', response_status: 202, id: first.body.id }]);
    const replay = await s.t.tenant.post(`${s.T}/restore-jobs`, restoreBody(s), { 'idempotency-key': key });
    expect([replay.status, replay.body.id, replay.headers.get('idempotent-replayed')]).toEqual([202, first.body.id, 'true']);
  }, 180_000);

  it('an answer recorded in a transaction that rolls back leaves the key in flight; one that commits is replayed', async () => {
    const store = new IdempotencyStore(appDb);
    const tenants = stack.gateway.get(TenantDb);
    const t = await newTenant(stack.admin);
    const p = principal();
    expect(await store.claim(p, 'k', 'h')).toEqual({ kind: 'claimed' });
    await expect(
      tenants.run(t.tenantId, async (tx) => {
        await store.completeIn(tx, p, 'k', 202, { location: '/x' }, { id: 'job-1' });
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    expect(await store.claim(p, 'k', 'h')).toEqual({ kind: 'in_flight' });
    await tenants.run(t.tenantId, (tx) => store.completeIn(tx, p, 'k', 202, { location: '/x' }, { id: 'job-1' }));
    expect(await store.claim(p, 'k', 'h')).toEqual({ kind: 'replay', status: 202, headers: { location: '/x' }, body: { id: 'job-1' } });
  });

  it('a claim left in flight past its lease (its process died before committing) is claimed again; a fresh one is not', async () => {
    const store = new IdempotencyStore(appDb, 24, 60);
    const p = principal();
    expect(await store.claim(p, 'stale', 'h')).toEqual({ kind: 'claimed' });
    expect(await store.claim(p, 'fresh', 'h')).toEqual({ kind: 'claimed' });
    await db.query(`UPDATE idempotency_keys SET created_at = now() - interval '61 seconds' WHERE principal = $1 AND key = 'stale'`, [p]);
    expect(await store.claim(p, 'stale', 'h')).toEqual({ kind: 'claimed' });
    expect(await store.claim(p, 'fresh', 'h')).toEqual({ kind: 'in_flight' });
    // A done key is never taken over, however old, before it expires.
    await store.complete(p, 'stale', 201, {}, { id: 'x' });
    await db.query(`UPDATE idempotency_keys SET created_at = now() - interval '2 hours' WHERE principal = $1 AND key = 'stale'`, [p]);
    expect(await store.claim(p, 'stale', 'h')).toEqual({ kind: 'replay', status: 201, headers: {}, body: { id: 'x' } });
  });
});
