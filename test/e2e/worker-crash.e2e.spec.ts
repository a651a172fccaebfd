import { Pool } from 'pg';
import { newTenant, type TenantContext } from '../support/factories';
import { SandboxControl } from '../support/sandbox';
import { eventually, startStack, type TestStack } from '../support/stack';
import { avepointFixture, graphFixture, type VendorE2eFixture } from '../support/vendor-fixtures';
import { WorkerProcess } from '../support/worker-process';

/**
 * A worker process killed (SIGKILL) while its vendor call to start a restore is in flight: after a new
 * worker starts, the job ends once, from the vendor's truth — no lost job, no second vendor session.
 */
describe('worker killed mid-submission', () => {
  let stack: TestStack;
  let db: Pool;
  let t: TenantContext;
  let control: SandboxControl;
  let point: string;
  const workers: WorkerProcess[] = [];
  const T = () => `/v1/tenants/${t.tenantId}`;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    db = new Pool({ connectionString: stack.config.DATABASE_URL, max: 2 });
    workers.push(await WorkerProcess.start(stack.config));
    t = await newTenant(stack.admin);
    const fx = graphFixture(stack.sandbox.origin);
    control = new SandboxControl(stack.sandbox.origin, fx.sandboxPrefix, fx.scope);
    const connectionId = (await t.tenant.post(`${T()}/connections`, fx.connection)).body.id;
    await t.tenant.post(`${T()}/policies`, { connectionId, workload: 'sharepoint', displayName: 'crash', items: fx.items(1) });
    point = (
      await eventually(
        () => t.tenant.get(`${T()}/restore-points`),
        (r) => r.body.items?.length >= 1,
      )
    ).body.items[0].id;
  }, 180_000);
  afterAll(async () => {
    for (const w of workers) await w.kill();
    await db.end();
    await stack.stop();
  }, 180_000);

  it('after the crash and a restart, the job succeeds with the one vendor session the dead worker started', async () => {
    await control.clearCalls();
    // The vendor takes 15 s to answer the activation: the worker is killed while it waits, however slowly this
    // machine gets to the kill (the check below fails loudly if it did not).
    await control.injectFault({ method: 'POST', path: 'activate$', latencyMs: 15_000 });
    const job = (await t.tenant.post(`${T()}/restore-jobs`, { items: [{ restorePointId: point }] })).body;
    const phase = async () => (await db.query('SELECT status, submit_phase, vendor_ref FROM restore_jobs WHERE id = $1', [job.id])).rows[0];
    await eventually(phase, (r) => r.submit_phase === 'starting', 60_000, 50);
    // The activation request is at the vendor (its held fault is used up as it arrives), its answer 15 s away.
    await eventually(
      () => control.faults(),
      (f) => f.length === 0,
      60_000,
      20,
    );
    await workers[0].kill();
    const atCrash = await phase();
    expect(atCrash).toMatchObject({ status: 'submitting', submit_phase: 'starting' });
    // The vendor activates the session after the worker died (its held answer went to nobody): in that order,
    // before a new worker looks, not by a race between the vendor's delay and the new worker's start.
    await eventually(
      () => control.state<{ sessions: Record<string, { activatedAt?: number }> }>(),
      (st) => st.sessions[atCrash.vendor_ref]?.activatedAt !== undefined,
      60_000,
      200,
    );

    workers.push(await WorkerProcess.start(stack.config));
    // BullMQ hands the dead worker's job to the new one once its lock expires (stalled-job recovery).
    const done = await eventually(
      () => t.tenant.get(`${T()}/restore-jobs/${job.id}`),
      (r) => ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'].includes(r.body.status),
      120_000,
      500,
    );
    expect(done.body.status).toBe('succeeded');
    expect(done.body.vendorRef).toBe(atCrash.vendor_ref);

    // The vendor's truth: one session, activated once (the dead worker's call, which it never saw answered).
    const calls = await control.calls();
    const creates = calls.filter((c) => c.method === 'POST' && /[Rr]estoreSessions$/.test(c.path));
    const activations = calls.filter((c) => c.method === 'POST' && /activate$/.test(c.path));
    expect(creates).toHaveLength(1);
    expect(activations.map((c) => c.status)).toEqual([499]);
    const state = await control.state<{ sessions: Record<string, { activatedAt?: number }> }>();
    expect(Object.keys(state.sessions)).toEqual([atCrash.vendor_ref]);
    expect(state.sessions[atCrash.vendor_ref].activatedAt).toEqual(expect.any(Number));
    const events = (await t.tenant.get(`${T()}/restore-jobs/${job.id}/events`)).body.items;
    expect(events.some((e: { detail: { note?: string } }) => e.detail.note === 'reconciled after an interrupted submission')).toBe(true);
    expect(events.filter((e: { type: string }) => e.type === 'vendor_started')).toHaveLength(1);
  }, 300_000);

  /** A tenant with a connection and a policy of `items` items of the fixture's vendor; one restore point per item. */
  async function estate(fx: VendorE2eFixture, items: number) {
    const tc = await newTenant(stack.admin);
    const base = `/v1/tenants/${tc.tenantId}`;
    await fx.setup?.(new SandboxControl(stack.sandbox.origin, fx.sandboxPrefix, fx.scope));
    const connectionId = (await tc.tenant.post(`${base}/connections`, fx.connection)).body.id;
    const policy = (
      await tc.tenant.post(`${base}/policies`, { connectionId, workload: fx.workload, displayName: 'crash', items: fx.items(items) })
    ).body;
    const listed = await eventually(
      () => tc.tenant.get(`${base}/protected-items?policyId=${policy.id}`),
      (r) => r.body.items?.length >= items,
      60_000,
    );
    const points: string[] = [];
    for (const item of listed.body.items) {
      const p = await eventually(
        () => tc.tenant.get(`${base}/restore-points?protectedItemId=${item.id}`),
        (r) => r.body.items?.length >= 1,
        60_000,
      );
      points.push(p.body.items[0].id);
    }
    return { tc, base, points };
  }

  const terminal = (tc: TenantContext, path: string) =>
    eventually(
      () => tc.tenant.get(path),
      (r) => ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'].includes(r.body.status),
      120_000,
      500,
    );

  it('killed while Graph creates the draft session: the restart adopts that draft, so the vendor holds one session, activated once', async () => {
    const fx = graphFixture(stack.sandbox.origin);
    const vendor = new SandboxControl(stack.sandbox.origin, fx.sandboxPrefix, fx.scope);
    const { tc, base, points } = await estate(fx, 1);
    await vendor.clearCalls();
    // The vendor creates the draft at once and holds its answer 15 s: the worker dies without learning its id,
    // however slowly this machine gets to the kill.
    await vendor.injectFault({ method: 'POST', path: 'RestoreSessions$', answerDelayMs: 15_000 });
    const job = (await tc.tenant.post(`${base}/restore-jobs`, { items: [{ restorePointId: points[0] }] })).body;
    await eventually(
      () => vendor.state<{ sessions: Record<string, unknown> }>(),
      (st) => Object.keys(st.sessions ?? {}).length === 1,
      60_000,
      20,
    );
    await workers[workers.length - 1].kill();
    const atCrash = (await db.query('SELECT status, submit_phase, vendor_ref FROM restore_jobs WHERE id = $1', [job.id])).rows[0];
    const drafted = Object.keys((await vendor.state<{ sessions: Record<string, unknown> }>()).sessions);
    expect(atCrash).toEqual({ status: 'submitting', submit_phase: 'preparing', vendor_ref: null });

    workers.push(await WorkerProcess.start(stack.config));
    const done = await terminal(tc, `${base}/restore-jobs/${job.id}`);
    expect(done.body.status).toBe('succeeded');
    const state = await vendor.state<{ sessions: Record<string, { activatedAt?: number }> }>();
    // The one session is the draft the dead worker created, adopted and activated.
    expect(Object.keys(state.sessions)).toEqual(drafted);
    expect(done.body.vendorRef).toBe(drafted[0]);
    expect(state.sessions[drafted[0]].activatedAt).toEqual(expect.any(Number));
    // The restarted worker created no draft of its own (the dead worker's POST, never answered, is not logged as answered).
    const creates = (await vendor.calls()).filter((c) => c.method === 'POST' && /RestoreSessions$/.test(c.path));
    expect(creates.filter((c) => c.status !== 499)).toEqual([]);
    const events = (await tc.tenant.get(`${base}/restore-jobs/${job.id}/events`)).body.items;
    expect(events.some((e: { detail: { note?: string } }) => e.detail.note === 'adopted after an interrupted prepare')).toBe(true);
  }, 240_000);

  it('killed while AvePoint accepts a restore job: starts are one at a time per connection, so the restart tells its job apart and none is submitted twice', async () => {
    const fx = avepointFixture(stack.sandbox.origin);
    const vendor = new SandboxControl(stack.sandbox.origin, fx.sandboxPrefix, fx.scope);
    const { tc, base, points } = await estate(fx, 2);
    await vendor.clearCalls();
    // Every restore POST is held 15 s (room for a loaded machine to reach the kill): without one-at-a-time starts
    // both jobs would be in flight at the kill, and each restart would find two unclaimed vendor jobs in its window
    // and submit again.
    await vendor.injectFault({ method: 'POST', path: '/backup/m365/restore/jobs$', latencyMs: 15_000, count: 2 });
    const jobs: string[] = [];
    for (const point of points)
      jobs.push((await tc.tenant.post(`${base}/restore-jobs`, { items: [{ restorePointId: point, paths: fx.paths!('') }] })).body.id);
    const rows = async () =>
      (await db.query('SELECT id, status, submit_phase, status_reason FROM restore_jobs WHERE id = ANY($1) ORDER BY id', [jobs])).rows;
    // One POST at the vendor, the other job held back until the first one's job id is recorded.
    const atCrash = await eventually(
      async () => ({ faults: await vendor.faults(), rows: await rows() }),
      (x) =>
        x.faults[0]?.remaining === 1 &&
        x.rows.some((r) => r.submit_phase === 'starting') &&
        x.rows.some((r) => r.status === 'queued' && /one at a time/.test(r.status_reason ?? '')),
      60_000,
      20,
    );
    await workers[workers.length - 1].kill();
    expect(atCrash.rows.map((r) => r.status).sort()).toEqual(['queued', 'submitting']);

    workers.push(await WorkerProcess.start(stack.config));
    const done: Array<{ status: string; vendorRef: string }> = [];
    for (const id of jobs) done.push((await terminal(tc, `${base}/restore-jobs/${id}`)).body);
    expect(done.map((j) => j.status)).toEqual(['succeeded', 'succeeded']);
    // The vendor's own records: one restore job per our job, each held by exactly one of ours.
    const state = await vendor.state<{ restoreJobs: Array<{ id: string }> }>();
    expect(state.restoreJobs.map((j) => j.id).sort()).toEqual(done.map((j) => j.vendorRef).sort());
    expect(new Set(done.map((j) => j.vendorRef)).size).toBe(2);
  }, 240_000);
});
