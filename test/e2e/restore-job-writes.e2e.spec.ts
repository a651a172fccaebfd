import { Client } from 'pg';
import { newId } from '@bg/domain';
import { TenantDb, restoreJobRepository as jobs } from '@bg/platform';
import { newTenant, type TenantContext } from '../support/factories';
import { startStack, type TestStack } from '../support/stack';
import { veeamFixture } from '../support/vendor-fixtures';

/**
 * The lock-free restore-job writes of the worker's hot path (bg_restore_job_transition /
 * bg_restore_job_pick): applied only while the row is as it was read, never across tenants, with their
 * history entries in the same statement. The job rows are written directly (no worker runs here), so
 * each guard is driven by hand: a cancel or another poll lands between the read and the write.
 */
describe('restore-job writes: optimistic guards of the lock-free path', () => {
  let stack: TestStack;
  let t: TenantContext;
  let other: TenantContext;
  let owner: Client;
  let db: TenantDb;
  let connectionId: string;

  const T = () => `/v1/tenants/${t.tenantId}`;

  /** A queued job of the tenant's connection, as the gateway stores one. */
  async function queuedJob(): Promise<string> {
    const id = newId();
    await owner.query(
      `INSERT INTO restore_jobs (id, tenant_id, connection_id, vendor, workload, destination, status, items, deadline_at)
       VALUES ($1, $2, $3, 'veeam', 'sharepoint', 'new', 'queued', '[]', now() + interval '1 hour')`,
      [id, t.tenantId, connectionId],
    );
    return id;
  }
  const row = async (id: string) => (await owner.query('SELECT * FROM restore_jobs WHERE id = $1', [id])).rows[0];
  const history = async (id: string) =>
    (await owner.query('SELECT type, from_status, to_status, detail FROM restore_job_events WHERE restore_job_id = $1 ORDER BY id', [id]))
      .rows;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    t = await newTenant(stack.admin);
    other = await newTenant(stack.admin);
    const conn = await t.tenant.post(`${T()}/connections`, veeamFixture(stack.sandbox.origin).connection);
    expect(conn.status).toBe(201);
    connectionId = conn.body.id;
    owner = new Client({ connectionString: stack.config.DATABASE_URL });
    await owner.connect();
    db = stack.gateway.get(TenantDb);
  });
  afterAll(async () => {
    await owner?.end();
    await stack?.stop();
  });

  it('pickQueued moves a queued job to submitting once, with its history entry and its connection version', async () => {
    const id = await queuedJob();
    const picked = await jobs.pickQueued(db, t.tenantId, id);
    expect(picked?.job).toMatchObject({ id, status: 'submitting', submitPhase: 'preparing', statusReason: null });
    expect(picked?.connection).toEqual({
      credentialsVersion: expect.any(Number),
      endpoint: veeamFixture(stack.sandbox.origin).connection.endpoint,
    });
    expect(await history(id)).toEqual([
      { type: 'status_changed', from_status: 'queued', to_status: 'submitting', detail: { reason: 'picked up by worker' } },
    ]);
    // Not queued any more: a second pick (another worker, a redelivered queue job) changes nothing.
    expect(await jobs.pickQueued(db, t.tenantId, id)).toBeNull();
    expect(await history(id)).toHaveLength(1);
  });

  it('pickQueued leaves a job alone once a cancel was asked', async () => {
    const id = await queuedJob();
    await owner.query('UPDATE restore_jobs SET cancel_requested = true WHERE id = $1', [id]);
    expect(await jobs.pickQueued(db, t.tenantId, id)).toBeNull();
    expect((await row(id)).status).toBe('queued');
    expect(await history(id)).toEqual([]);
  });

  it("another tenant's id cannot pick or change the job", async () => {
    const id = await queuedJob();
    expect(await jobs.pickQueued(db, other.tenantId, id)).toBeNull();
    const job = await db.run(t.tenantId, (tx) => jobs.get(tx, id));
    expect(await jobs.updateIfUnchanged(db, { ...job, tenantId: other.tenantId }, ['status'], 'submitting')).toBeNull();
    expect((await row(id)).status).toBe('queued');
    expect(await history(id)).toEqual([]);
  });

  it('updateIfUnchanged applies while the row is as read, and changes nothing after a cancel landed', async () => {
    const id = await queuedJob();
    const picked = (await jobs.pickQueued(db, t.tenantId, id))!.job;
    const starting = { submitPhase: 'starting' as const, vendorRef: 'v-1' };
    const entry = [{ type: 'vendor_start_requested', detail: { vendorRef: 'v-1' } }];
    // The gateway's cancel lands between the worker's read and its checkpoint.
    await owner.query(`UPDATE restore_jobs SET cancel_requested = true, status = 'cancelling' WHERE id = $1`, [id]);
    const stale = await jobs.updateIfUnchanged(
      db,
      picked,
      ['status', 'submitPhase', 'cancelRequested'],
      picked.status,
      starting,
      {},
      entry,
    );
    expect(stale).toBeNull();
    expect(await row(id)).toMatchObject({ status: 'cancelling', submit_phase: 'preparing', vendor_ref: null });
    expect((await history(id)).map((h) => h.type)).toEqual(['status_changed']);

    const fresh = await queuedJob();
    const job = (await jobs.pickQueued(db, t.tenantId, fresh))!.job;
    const done = await jobs.updateIfUnchanged(db, job, ['status', 'submitPhase', 'cancelRequested'], job.status, starting, {}, entry);
    expect(done).toMatchObject({ status: 'submitting', submitPhase: 'starting', vendorRef: 'v-1' });
    expect((await history(fresh)).map((h) => [h.type, h.from_status, h.to_status])).toEqual([
      ['status_changed', 'queued', 'submitting'],
      ['vendor_start_requested', 'submitting', 'submitting'],
    ]);
  });

  it('a poll outcome is refused when another poll wrote first (poll attempt moved), and only a schedule change keeps updated_at', async () => {
    const id = await queuedJob();
    const picked = (await jobs.pickQueued(db, t.tenantId, id))!.job;
    const running = (await jobs.updateIfUnchanged(db, picked, ['status'], 'running', { submitPhase: 'started', vendorRef: 'v-2' }))!;
    expect(running.status).toBe('running');
    // Two ticks read the job at poll attempt 0; the first one's write wins.
    const first = await jobs.updateIfUnchanged(db, running, ['status', 'pollAttempt'], 'running', {
      nextPoll: { delayMs: 5000, attempt: 1 },
      touch: false,
    });
    expect(first?.pollAttempt).toBe(1);
    expect(first?.updatedAt).toEqual(running.updatedAt);
    const second = await jobs.updateIfUnchanged(db, running, ['status', 'pollAttempt'], 'succeeded', { vendorStatus: 'Success' });
    expect(second).toBeNull();
    expect(await row(id)).toMatchObject({ status: 'running', poll_attempt: 1, completed_at: null });
    // A real change sets updated_at and, when terminal, completed_at.
    const ended = await jobs.updateIfUnchanged(db, first!, ['status', 'pollAttempt'], 'succeeded', { vendorStatus: 'Success' });
    expect(ended).toMatchObject({ status: 'succeeded', vendorStatus: 'Success' });
    expect(ended!.completedAt).toBeInstanceOf(Date);
    expect(ended!.updatedAt.getTime()).toBeGreaterThanOrEqual(first!.updatedAt.getTime());
  });

  it('refuses a transition the state machine forbids before writing anything', async () => {
    const id = await queuedJob();
    const job = await db.run(t.tenantId, (tx) => jobs.get(tx, id));
    await expect(jobs.updateIfUnchanged(db, job, ['status'], 'succeeded')).rejects.toThrow();
    expect((await row(id)).status).toBe('queued');
  });
});
