import { protectOneItem, restoreBody, type ProtectedItemSetup } from '../support/protected-item';
import { pauseConnection } from '../support/redis';
import { eventually, startStack, type TestStack } from '../support/stack';

const TERMINAL = ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'];
const MINUTE = 60_000;

type Setup = ProtectedItemSetup;

/**
 * POST .../restore-jobs/{id}/cancel: at once while queued; at the vendor where it can stop a restore
 * (Veeam stops the session, Graph deletes a draft); where it cannot, the job's status reason and events
 * say so and the job ends as the vendor ends it.
 */
describe('restore job cancellation', () => {
  let stack: TestStack;

  const setup = (vendor: string) => protectOneItem(stack, vendor);
  const restore = (s: Setup) => s.t.tenant.post(`${s.T}/restore-jobs`, restoreBody(s));
  const job = (s: Setup, id: string) => s.t.tenant.get(`${s.T}/restore-jobs/${id}`);
  const history = async (s: Setup, id: string) =>
    (await s.t.tenant.get(`${s.T}/restore-jobs/${id}/events`)).body.items as Array<{ type: string; detail: Record<string, unknown> }>;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack.stop());

  it('a queued job is cancelled at once, without a vendor call', async () => {
    const s = await setup('graph');
    // The vendor account is paused (as after a 429 with Retry-After), so the job waits queued at the gateway.
    const resume = await pauseConnection(stack.config, s.connectionId, 60_000);
    try {
      await s.control.clearCalls();
      const created = await restore(s);
      expect(created.body.status).toBe('queued');
      const cancelled = await s.t.tenant.post(`${s.T}/restore-jobs/${created.body.id}/cancel`);
      expect(cancelled.status).toBe(202);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelRequested: true });
      const again = await s.t.tenant.post(`${s.T}/restore-jobs/${created.body.id}/cancel`);
      expect([again.status, again.body.code]).toEqual([409, 'NOT_ALLOWED_IN_STATE']);
      expect((await history(s, created.body.id)).map((e) => e.type)).toEqual(['created', 'status_changed']);
      expect(await s.control.calls()).toEqual([]);
    } finally {
      await resume();
    }
  });

  it('veeam: a running restore is stopped at the vendor and ends cancelled', async () => {
    const s = await setup('veeam');
    await s.control.configure({ stuckRestores: true });
    const created = await restore(s);
    await eventually(
      () => job(s, created.body.id),
      (r) => r.body.status === 'running',
      60_000,
    );
    const cancel = await s.t.tenant.post(`${s.T}/restore-jobs/${created.body.id}/cancel`);
    expect([cancel.status, cancel.body.status]).toEqual([202, 'cancelling']);
    const done = await eventually(
      () => job(s, created.body.id),
      (r) => TERMINAL.includes(r.body.status),
      60_000,
    );
    expect(done.body.status).toBe('cancelled');
    // The restore's own restore session first, then the explore session it was started from.
    const stops = (await s.control.calls()).filter((c) => c.method === 'POST' && /\/Stop$/.test(c.path));
    const { restoreSessions } = await s.control.state<{ restoreSessions: Array<{ id: string; kind: string }> }>();
    expect(stops.map((c) => restoreSessions.find((r) => c.path === `/v8/RestoreSessions/${r.id}/Stop`)?.kind)).toEqual([
      'restore',
      'explore',
    ]);
    expect((await history(s, created.body.id)).map((e) => e.type)).toContain('vendor_cancel_requested');
  });

  it('graph: an activated session cannot be stopped — the job says so and ends as the vendor ends it', async () => {
    const s = await setup('graph');
    // The restore runs ten minutes of the vendor's clock: still running when the cancel comes, however slow the machine.
    await s.control.configure({ restoreDurationMs: 10 * MINUTE });
    const created = await restore(s);
    await eventually(
      () => job(s, created.body.id),
      (r) => r.body.status === 'running',
      60_000,
    );
    const cancel = await s.t.tenant.post(`${s.T}/restore-jobs/${created.body.id}/cancel`);
    expect([cancel.status, cancel.body.status]).toEqual([202, 'cancelling']);
    const refused = await eventually(
      () => history(s, created.body.id),
      (events) => events.some((e) => e.type === 'vendor_cancel_refused'),
      60_000,
    );
    expect(refused.find((e) => e.type === 'vendor_cancel_refused')!.detail).toMatchObject({
      code: 'NOT_ALLOWED_IN_STATE',
      vendorCode: 'RestoreSessionActionNotAllowed',
    });
    const reason = await job(s, created.body.id);
    expect(reason.body.statusReason).toMatch(/could not cancel/);
    await s.control.advanceClock(11 * MINUTE);
    const done = await eventually(
      () => job(s, created.body.id),
      (r) => TERMINAL.includes(r.body.status),
      60_000,
    );
    expect(done.body.status).toBe('succeeded');
  });

  it('graph: a cancel that arrives while the draft session is being created discards the draft; nothing is activated', async () => {
    const s = await setup('graph');
    await s.control.clearCalls();
    // The vendor holds its answer to the draft's creation for 10 s (the fault is used up as the call arrives).
    await s.control.injectFault({ method: 'POST', path: '[Rr]estoreSessions$', latencyMs: 10_000 });
    const created = await restore(s);
    await eventually(
      () => s.control.faults(),
      (f) => f.length === 0,
      60_000,
      50,
    );
    const cancel = await s.t.tenant.post(`${s.T}/restore-jobs/${created.body.id}/cancel`);
    expect(cancel.status).toBe(202);
    // In order, not timed: the cancel was taken while the creation was still unanswered (the sandbox logs a call as it answers).
    expect((await s.control.calls()).filter((c) => /[Rr]estoreSessions$/.test(c.path))).toEqual([]);
    const events = await eventually(
      () => history(s, created.body.id),
      (ev) => ev.some((e) => e.type === 'vendor_prepared_discarded'),
      60_000,
    );
    expect((await job(s, created.body.id)).body.status).toBe('cancelled');
    const discarded = events.find((e) => e.type === 'vendor_prepared_discarded')!;
    expect(discarded.detail).toMatchObject({ vendorRef: expect.any(String), vendorStatus: 'deleted' });
    const calls = await s.control.calls();
    expect(calls.filter((c) => /activate$/.test(c.path))).toEqual([]);
    expect(calls.filter((c) => c.method === 'DELETE' && c.path.endsWith(String(discarded.detail.vendorRef)))).toHaveLength(1);
    expect(Object.keys((await s.control.state<{ sessions: Record<string, unknown> }>()).sessions)).toEqual([]);
  });

  it('azure-dataprotection: the API has no cancel — refused, recorded, and the restore completes', async () => {
    const s = await setup('azure-dataprotection');
    // Ten minutes of the vendor's clock (its tokens live an hour of it): still running when the cancel comes.
    await s.control.configure({ restoreDurationMs: 10 * MINUTE });
    const created = await restore(s);
    await eventually(
      () => job(s, created.body.id),
      (r) => r.body.status === 'running',
      60_000,
    );
    await s.t.tenant.post(`${s.T}/restore-jobs/${created.body.id}/cancel`);
    const events = await eventually(
      () => history(s, created.body.id),
      (ev) => ev.some((e) => e.type === 'vendor_cancel_refused'),
      60_000,
    );
    expect(events.find((e) => e.type === 'vendor_cancel_refused')!.detail).toMatchObject({ code: 'UNSUPPORTED_BY_VENDOR' });
    await s.control.advanceClock(11 * MINUTE);
    const done = await eventually(
      () => job(s, created.body.id),
      (r) => TERMINAL.includes(r.body.status),
      60_000,
    );
    expect(done.body.status).toBe('succeeded');
  });
});
