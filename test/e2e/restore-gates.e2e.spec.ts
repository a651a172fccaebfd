import { unwrap } from '@backup-gateway/sdk';
import { protectOneItem, restoreBody, type ProtectedItemSetup } from '../support/protected-item';
import { eventually, startStack, type TestStack } from '../support/stack';

const TERMINAL = ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'];
/** Sandbox time a restore takes here: long enough that nothing ends until a test moves the vendor's clock. */
const RESTORE_MS = 3_600_000;

/**
 * The vendors' documented restore limits are gates the worker keeps, so the vendor never has to refuse:
 * a job the vendor could not take now waits `queued` with the reason, and starts when the blocking
 * restore ends. The sandboxes' clocks are moved by hand, so no assertion depends on the machine's speed.
 */
describe('restore admission gates', () => {
  let stack: TestStack;

  const restore = (s: ProtectedItemSetup) =>
    unwrap(
      s.t.tenant.sdk.POST('/v1/tenants/{tenantId}/restore-jobs', { params: { path: { tenantId: s.t.tenantId } }, body: restoreBody(s) }),
    );
  const get = (s: ProtectedItemSetup, jobId: string) =>
    unwrap(s.t.tenant.sdk.GET('/v1/tenants/{tenantId}/restore-jobs/{jobId}', { params: { path: { tenantId: s.t.tenantId, jobId } } }));
  /** Moves the vendor's clock past a restore until every job is terminal. */
  const finish = (s: ProtectedItemSetup, ids: string[]) =>
    eventually(
      async () => {
        await s.control.advanceClock(RESTORE_MS + 60_000);
        return Promise.all(ids.map(async (id) => await get(s, id)));
      },
      (jobs) => jobs.every((j) => TERMINAL.includes(j.status)),
      90_000,
      500,
    );

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack.stop());

  it('graph: a second restore of an item being restored waits queued, then runs when the first ends (no DuplicateArtifactRestoreRequest)', async () => {
    const s = await protectOneItem(stack, 'graph');
    await s.control.configure({ restoreDurationMs: RESTORE_MS });
    const first = await restore(s);
    await eventually(
      () => get(s, first.id),
      (r) => r.status === 'running',
      60_000,
    );
    await s.control.clearCalls();
    const second = await restore(s);
    const waiting = await eventually(
      () => get(s, second.id),
      (r) => Boolean(r.statusReason),
      60_000,
    );
    expect(waiting).toMatchObject({
      status: 'queued',
      statusReason: expect.stringContaining(`waiting for restore job ${first.id} to end`),
    });
    // Nothing of the second job reached the vendor while the first runs.
    expect((await s.control.calls()).filter((c) => c.method !== 'GET')).toEqual([]);

    const [a, b] = await finish(s, [first.id, second.id]);
    expect([a.status, b.status]).toEqual(['succeeded', 'succeeded']);
    expect(b.error).toBeNull();
    // The second session was activated only after the first had ended: exactly one activation after the wait.
    const activations = (await s.control.calls()).filter((c) => c.method === 'POST' && /\/activate$/.test(c.path));
    expect(activations).toHaveLength(1);
    expect(activations.map((c) => c.status)).toEqual([200]);
  });

  it('avepoint: five restores on one connection — three at the vendor at once (its documented limit), two queued with the reason; all succeed without a 429', async () => {
    const s = await protectOneItem(stack, 'avepoint');
    await s.control.configure({ restoreDurationMs: RESTORE_MS });
    await s.control.clearCalls();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await restore(s)).id);
    const settled = await eventually(
      () => Promise.all(ids.map(async (id) => await get(s, id))),
      // A job checked while another was still being started waits first for that start to be recorded (AvePoint
      // restores are started one at a time), then, re-checked, for a slot.
      (jobs) =>
        jobs.filter((j) => j.status === 'running').length === 3 &&
        jobs.filter((j) => j.status === 'queued' && /allows 3 restores at once/.test(j.statusReason ?? '')).length === 2,
      // The re-check of a waiting job runs every 30 s (SLOT_RECHECK_MS).
      120_000,
    );
    const queued = settled.filter((j) => j.status === 'queued');
    expect(queued).toHaveLength(2);
    for (const j of queued) expect(j.statusReason).toContain('avepoint allows 3 restores at once on this connection');
    const submits = () => s.control.calls().then((calls) => calls.filter((c) => c.method === 'POST' && /\/restore\/jobs$/.test(c.path)));
    expect((await submits()).map((c) => c.status)).toEqual([200, 200, 200]);

    const done = await finish(s, ids);
    expect(done.map((j) => j.status)).toEqual(ids.map(() => 'succeeded'));
    // Every job accepted once, none refused for the limit. Moving the vendor's clock past a restore also
    // expires the access token, so a submission may first meet a 401 and be re-sent (same request id) after
    // a fresh sign-in; that is the only other answer allowed.
    const all = await submits();
    const accepted = all.filter((c) => c.status === 200);
    expect(accepted).toHaveLength(5);
    expect(all.filter((c) => c.status === 429)).toEqual([]);
    const refused = all.filter((c) => c.status !== 200);
    for (const c of refused) {
      expect(c.status).toBe(401);
      expect(accepted.map((a) => a.headers?.['x-request-id'])).toContain(c.headers?.['x-request-id']);
    }
  }, 300_000);
});
