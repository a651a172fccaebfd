import { Pool } from 'pg';
import { newTenant, type TenantContext } from '../support/factories';
import { SandboxControl } from '../support/sandbox';
import { eventually, startStack, type TestStack } from '../support/stack';
import { graphFixture } from '../support/vendor-fixtures';
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
  }, 90_000);
  afterAll(async () => {
    for (const w of workers) await w.kill();
    await db.end();
    await stack.stop();
  }, 60_000);

  it('after the crash and a restart, the job succeeds with the one vendor session the dead worker started', async () => {
    await control.clearCalls();
    // The vendor takes 3 s to answer the activation: long enough to kill the worker while it waits.
    await control.injectFault({ method: 'POST', path: 'activate$', latencyMs: 3000 });
    const job = (await t.tenant.post(`${T()}/restore-jobs`, { items: [{ restorePointId: point }] })).body;
    const phase = async () => (await db.query('SELECT status, submit_phase, vendor_ref FROM restore_jobs WHERE id = $1', [job.id])).rows[0];
    await eventually(phase, (r) => r.submit_phase === 'starting', 30_000, 50);
    // The activation request is at the vendor (its held fault is used up as it arrives), its answer 3 s away.
    await eventually(
      () => control.faults(),
      (f) => f.length === 0,
      30_000,
      20,
    );
    await workers[0].kill();
    const atCrash = await phase();
    expect(atCrash).toMatchObject({ status: 'submitting', submit_phase: 'starting' });

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
  }, 180_000);
});
