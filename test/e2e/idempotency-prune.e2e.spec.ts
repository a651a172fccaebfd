import { Client } from 'pg';
import { MaintenanceProcessor } from '../../apps/worker/src/maintenance/maintenance.processor';
import { newTenant } from '../support/factories';
import { startStack, type TestStack } from '../support/stack';

/** Expired idempotency keys are deleted by the worker's maintenance; live ones, and their replays, stay. */
describe('idempotency keys: pruned after they expire', () => {
  let stack: TestStack;
  let db: Client;

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    db = new Client({ connectionString: stack.config.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await stack.stop();
  });

  it('deletes every expired key (in batches) and keeps the live ones, whose replay still answers the first answer', async () => {
    const t = await newTenant(stack.admin);
    const first = await t.partner.post('/v1/tenants', { name: 'kept' }, { 'idempotency-key': 'prune-live' });
    expect(first.status).toBe(201);
    const principal = `prune-test-${Date.now()}`;
    await db.query(
      `INSERT INTO idempotency_keys (principal, key, request_hash, state, response_status, expires_at)
       SELECT $1, 'k' || n, 'h', 'done', 201, now() - interval '1 hour' FROM generate_series(1, 12345) n`,
      [principal],
    );
    const maintenance = stack.worker!.get(MaintenanceProcessor);
    expect(await maintenance.pruneIdempotencyKeys()).toBeGreaterThanOrEqual(12345);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM idempotency_keys WHERE principal = $1', [principal]);
    expect(rows[0].n).toBe(0);
    const { rows: expired } = await db.query('SELECT count(*)::int AS n FROM idempotency_keys WHERE expires_at < now()');
    expect(expired[0].n).toBe(0);
    const replay = await t.partner.post('/v1/tenants', { name: 'kept' }, { 'idempotency-key': 'prune-live' });
    expect([replay.status, replay.body.id]).toEqual([201, first.body.id]);
  });
});
