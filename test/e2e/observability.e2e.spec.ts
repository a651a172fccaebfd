import { WorkerMetricsServer } from '../../apps/worker/src/metrics/metrics-server.service';
import { newTenant, type TenantContext } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';
import { graphFixture } from '../support/vendor-fixtures';

/** One sample of a Prometheus text exposition: `name{a="b",...} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

const sum = (samples: Sample[], name: string, match: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);

/** Metrics (gateway /metrics behind the admin key, worker on its own port) and the queue board, after a real restore. */
describe('observability: metrics and queue admin', () => {
  let stack: TestStack;
  let t: TenantContext;

  beforeAll(async () => {
    stack = await startStack();
    t = await newTenant(stack.admin);
  });
  afterAll(async () => stack.stop());

  async function scrapeGateway(): Promise<Sample[]> {
    const res = await stack.admin.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain/);
    return parseExposition(res.body as string);
  }

  async function scrapeWorker(): Promise<Sample[]> {
    const port = stack.worker!.get(WorkerMetricsServer).port;
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    return parseExposition(await res.text());
  }

  it('refuses /metrics without a key (401 problem) and with a key that is not the operator key (403)', async () => {
    const none = await stack.admin.withKey(undefined).get('/metrics');
    expect(none.status).toBe(401);
    expect(none.contentType).toMatch(/^application\/problem\+json/);
    expect(none.body).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    const partner = await t.tenant.get('/metrics');
    expect(partner.status).toBe(403);
    expect(partner.body).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('after a restore to success, the gateway and the worker expose its request, vendor calls, terminal state and queues', async () => {
    const fx = graphFixture(stack.sandbox.origin);
    const T = `/v1/tenants/${t.tenantId}`;
    const conn = await t.tenant.post(`${T}/connections`, fx.connection);
    expect(conn.status).toBe(201);
    const policy = await t.tenant.post(`${T}/policies`, {
      connectionId: conn.body.id,
      workload: fx.workload,
      displayName: 'metrics',
      items: fx.items(2),
    });
    expect(policy.status).toBe(202);
    await eventually(
      () => t.tenant.get(`${T}/policies/${policy.body.id}`),
      (r) => r.body.status === 'active',
      60_000,
    );
    const points = await eventually(
      () => t.tenant.get(`${T}/restore-points?limit=5`),
      (r) => r.body.items.length > 0,
      60_000,
    );
    const created = await t.tenant.post(`${T}/restore-jobs`, { items: [{ restorePointId: points.body.items[0].id }], destination: 'new' });
    expect(created.status).toBe(202);
    const done = await eventually(
      () => t.tenant.get(`${T}/restore-jobs/${created.body.id}`),
      (r) => ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'].includes(r.body.status),
      60_000,
    );
    expect(done.body.status).toBe('succeeded');

    const gateway = await scrapeGateway();
    const route = '/v1/tenants/:tenantId/restore-jobs';
    expect(sum(gateway, 'bg_http_request_duration_seconds_count', { method: 'POST', route, status: '202' })).toBeGreaterThanOrEqual(1);
    // route patterns only: no tenant id in any label
    expect(gateway.some((s) => Object.values(s.labels).some((v) => v.includes(t.tenantId)))).toBe(false);
    expect(sum(gateway, 'bg_process_cpu_seconds_total')).toBeGreaterThan(0);

    const worker = await eventually(
      () => scrapeWorker(),
      (w) => sum(w, 'bg_restore_jobs_total', { state: 'succeeded' }) >= 1,
      60_000,
    );
    expect(sum(worker, 'bg_restore_jobs_total', { state: 'succeeded' })).toBeGreaterThanOrEqual(1);
    expect(
      sum(worker, 'bg_vendor_call_duration_seconds_count', { vendor: 'graph', operation: 'startRestore', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sum(worker, 'bg_vendor_call_duration_seconds_count', { vendor: 'graph' })).toBeGreaterThanOrEqual(3);
    const queueStates = worker.filter((s) => s.name === 'bg_queue_jobs' && s.labels.queue === 'restore-jobs').map((s) => s.labels.state);
    expect(queueStates.sort()).toEqual(['active', 'delayed', 'failed', 'waiting']);
    expect(worker.filter((s) => s.name === 'bg_queue_oldest_waiting_age_seconds').map((s) => s.labels.queue)).toContain('restore-jobs');
    const gauges = worker.filter((s) => s.name === 'bg_queue_jobs' || s.name === 'bg_queue_oldest_waiting_age_seconds');
    expect(gauges.every((s) => Number.isFinite(s.value) && s.value >= 0)).toBe(true);
  });

  it('serves Bull Board at /admin/queues to the operator only', async () => {
    const none = await stack.admin.withKey(undefined).get('/admin/queues');
    expect(none.status).toBe(401);
    expect(none.contentType).toMatch(/^application\/problem\+json/);
    const partner = await t.tenant.get('/admin/queues');
    expect(partner.status).toBe(401);
    const page = await stack.admin.get('/admin/queues');
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/^text\/html/);
    const api = await stack.admin.get('/admin/queues/api/queues');
    expect(api.status).toBe(200);
    const names = (api.body as { queues: Array<{ name: string }> }).queues.map((q) => q.name);
    expect(names).toEqual(expect.arrayContaining(['restore-jobs', 'policies', 'webhooks', 'usage']));
  });
});
