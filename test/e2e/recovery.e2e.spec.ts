import { Client } from 'pg';
import { SandboxControl } from '../support/sandbox';
import { newTenant, type TenantContext } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';
import { graphFixture, type VendorE2eFixture } from '../support/vendor-fixtures';

/** Transient vendor failures and worker crashes, end to end against the Graph sandbox. */
describe('recovery: 5xx retried with backoff, crash between vendor call and checkpoint', () => {
  let stack: TestStack;
  let t: TenantContext;
  let fx: VendorE2eFixture;
  let control: SandboxControl;
  let db: Client;
  let points: string[];
  const logs: string[] = [];
  afterAll(() => {
    if (process.env.DUMP_LOGS)
      console.log(
        logs
          .filter((l) => /"level":(40|50)/.test(l))
          .slice(0, 30)
          .join(''),
      );
  });
  const T = () => `/v1/tenants/${t.tenantId}`;
  const terminal = (s: string) => ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'].includes(s);

  beforeAll(async () => {
    stack = await startStack({ logs, config: { LOG_LEVEL: 'debug' } });
    t = await newTenant(stack.admin);
    fx = graphFixture(stack.sandbox.origin);
    control = new SandboxControl(stack.sandbox.origin, fx.sandboxPrefix, fx.scope);
    db = new Client({ connectionString: stack.config.DATABASE_URL });
    await db.connect();
    const conn = await t.tenant.post(`${T()}/connections`, fx.connection);
    await t.tenant.post(`${T()}/policies`, { connectionId: conn.body.id, workload: fx.workload, displayName: 'p', items: fx.items(4) });
    const list = await eventually(
      () => t.tenant.get(`${T()}/restore-points?limit=50`),
      (r) => new Set(r.body.items.map((p: { protectedItemId: string }) => p.protectedItemId)).size >= 4,
    );
    const byItem = new Map<string, string>();
    for (const p of list.body.items) if (!byItem.has(p.protectedItemId)) byItem.set(p.protectedItemId, p.id);
    points = [...byItem.values()];
  });
  afterAll(async () => {
    await db.end();
    await stack.stop();
  });

  it('retries a transient 503 with growing backoff and then succeeds', async () => {
    await control.clearCalls();
    await control.injectFault({ method: 'POST', path: '[Rr]estoreSessions$', status: 503, count: 2 });
    const job = await t.tenant.post(`${T()}/restore-jobs`, { items: [{ restorePointId: points[0] }] });
    const done = await eventually(
      () => t.tenant.get(`${T()}/restore-jobs/${job.body.id}`),
      (r) => terminal(r.body.status),
      60_000,
    );
    expect(done.body.status).toBe('succeeded');
    const creates = (await control.calls()).filter((c) => c.method === 'POST' && /RestoreSessions$/i.test(c.path));
    expect(creates.map((c) => c.status)).toEqual([503, 503, 201]);
    // The schedule the worker chose (its history), not how long this machine took: the backoff grows (1 s, then
    // 2 s, each with up to 20% jitter), and no retry came before its wait was over.
    const history = (await t.tenant.get(`${T()}/restore-jobs/${job.body.id}/events`)).body.items;
    const delays = history
      .filter((e: { type: string }) => e.type === 'vendor_retry_wait')
      .map((e: { detail: { delayMs: number } }) => e.detail.delayMs);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(800);
    expect(delays[1]).toBeGreaterThan(delays[0]);
    expect(Date.parse(creates[1].at) - Date.parse(creates[0].at)).toBeGreaterThanOrEqual(delays[0]);
    expect(Date.parse(creates[2].at) - Date.parse(creates[1].at)).toBeGreaterThanOrEqual(delays[1]);
  });

  it('a retryable refusal outlasting the job attempts never fails the job: it waits (with the reason in its history) and succeeds', async () => {
    await control.clearCalls();
    // More refusals than a queue job has attempts (8), each with a short Retry-After.
    await control.injectFault({ method: 'POST', path: '[Rr]estoreSessions$', status: 503, retryAfterSeconds: 0.2, count: 10 });
    const job = await t.tenant.post(`${T()}/restore-jobs`, { items: [{ restorePointId: points[1] }] });
    const waiting = await eventually(
      () => t.tenant.get(`${T()}/restore-jobs/${job.body.id}`),
      (r) => /refused for now \(VENDOR_UNAVAILABLE\)/.test(r.body.statusReason ?? ''),
      60_000,
    );
    expect(terminal(waiting.body.status)).toBe(false);
    const done = await eventually(
      () => t.tenant.get(`${T()}/restore-jobs/${job.body.id}`),
      (r) => terminal(r.body.status),
      90_000,
    );
    expect(done.body.status).toBe('succeeded');
    const creates = (await control.calls()).filter((c) => c.method === 'POST' && /RestoreSessions$/i.test(c.path));
    expect(creates.map((c) => c.status)).toEqual([...Array(10).fill(503), 201]);
    const history = (await t.tenant.get(`${T()}/restore-jobs/${job.body.id}/events`)).body.items;
    const waits = history.filter((e: { type: string }) => e.type === 'vendor_retry_wait');
    expect(waits).toHaveLength(10);
    expect(waits.map((e: { detail: { attempt: number } }) => e.detail.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(waits[0].detail).toMatchObject({ code: 'VENDOR_UNAVAILABLE' });
  });

  it('after a crash between activation and its checkpoint, adopts the vendor session instead of creating another', async () => {
    // A worker crashed right after the vendor call: the job says "starting" with the prepared (draft) session,
    // and the vendor has already activated it. Simulate that state, then let the worker pick the job up again.
    const job = await t.tenant.post(`${T()}/restore-jobs`, { items: [{ restorePointId: points[1] }] });
    const running = await eventually(
      () => t.tenant.get(`${T()}/restore-jobs/${job.body.id}`),
      (r) => terminal(r.body.status),
      60_000,
    );
    expect(running.body.status).toBe('succeeded');
    const sessionId = running.body.vendorRef;
    await db.query(
      `UPDATE restore_jobs SET status = 'submitting', submit_phase = 'starting', completed_at = NULL, items = (SELECT jsonb_agg(i || '{"status":"pending"}') FROM jsonb_array_elements(items) i) WHERE id = $1`,
      [job.body.id],
    );
    await control.clearCalls();
    const worker = stack.worker!.get(await import('../../apps/worker/src/restore-jobs/restore-job.runner').then((m) => m.RestoreJobRunner));
    await worker.submit({ tenantId: t.tenantId, restoreJobId: job.body.id });
    const after = await eventually(
      () => t.tenant.get(`${T()}/restore-jobs/${job.body.id}`),
      (r) => terminal(r.body.status),
      60_000,
    );
    expect(after.body).toMatchObject({ status: 'succeeded', vendorRef: sessionId });
    const calls = await control.calls();
    expect(calls.filter((c) => c.method === 'POST' && /restoreSessions(\/[^/]+\/activate)?$/.test(c.path))).toEqual([]);
    const events = (await t.tenant.get(`${T()}/restore-jobs/${job.body.id}/events`)).body.items;
    expect(events.some((e: { detail: { note?: string } }) => e.detail.note === 'reconciled after an interrupted submission')).toBe(true);
  });

  it('a crash after preparing (draft only) activates that same draft once', async () => {
    const job = await t.tenant.post(`${T()}/restore-jobs`, { items: [{ restorePointId: points[2] }] });
    const first = await eventually(
      () => t.tenant.get(`${T()}/restore-jobs/${job.body.id}`),
      (r) => terminal(r.body.status),
      60_000,
    );
    expect(first.body.status).toBe('succeeded');
    const calls = (await control.calls()).filter(
      (c) => c.method === 'POST' && /activate$/.test(c.path) && c.path.includes(first.body.vendorRef),
    );
    expect(calls).toHaveLength(1);
  });
});
