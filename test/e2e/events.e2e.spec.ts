import { newTenant, type TenantContext } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';
import { graphFixture } from '../support/vendor-fixtures';
import type { ApiClient } from '../support/api-client';

/** GET /v1/events: what webhooks deliver, readable with a cursor; written with the change it describes. */
describe('events API', () => {
  let stack: TestStack;
  let p: TenantContext;
  let other: TenantContext;
  let second: { tenantId: string; tenant: ApiClient };
  const secrets: string[] = [];
  const jobs: Record<string, string> = {};

  async function runRestore(client: ApiClient, tenantId: string): Promise<string> {
    const fx = graphFixture(stack.sandbox.origin);
    secrets.push(fx.secret);
    const T = `/v1/tenants/${tenantId}`;
    const connection = (await client.post(`${T}/connections`, fx.connection)).body.id;
    await client.post(`${T}/policies`, { connectionId: connection, workload: 'sharepoint', displayName: 'events', items: fx.items(1) });
    const points = await eventually(
      () => client.get(`${T}/restore-points`),
      (r) => r.body.items?.length >= 1,
    );
    const job = (await client.post(`${T}/restore-jobs`, { items: [{ restorePointId: points.body.items[0].id }] })).body.id;
    await eventually(
      () => client.get(`${T}/restore-jobs/${job}`),
      (r) => r.body.status === 'succeeded',
    );
    return job;
  }

  async function all(client: ApiClient, path: string, limit = 200): Promise<any[]> {
    const out: any[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res: { status: number; body: any } = await client.get<any>(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      out.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return out;
  }

  beforeAll(async () => {
    stack = await startStack();
    p = await newTenant(stack.admin);
    other = await newTenant(stack.admin);
    const t2 = (await p.partner.post('/v1/tenants', { name: 'second' })).body;
    const key = (await p.partner.post('/v1/api-keys', { name: 'k', tenantId: t2.id })).body.key;
    second = { tenantId: t2.id, tenant: stack.admin.withKey(key) };
    jobs.first = await runRestore(p.tenant, p.tenantId);
    jobs.second = await runRestore(second.tenant, second.tenantId);
    jobs.other = await runRestore(other.tenant, other.tenantId);
  });
  afterAll(async () => stack.stop());

  it("lists a restore job's lifecycle in order, with the resource snapshot", async () => {
    const events = await all(p.tenant, `/v1/tenants/${p.tenantId}/events?resourceId=${jobs.first}`);
    expect(events.map((e) => e.type)).toEqual([
      'restore_job.queued',
      'restore_job.submitting',
      'restore_job.running',
      'restore_job.succeeded',
    ]);
    const done = events[3];
    expect(done).toMatchObject({ tenantId: p.tenantId, resourceType: 'restore_job', resourceId: jobs.first });
    expect(done.data).toMatchObject({ id: jobs.first, status: 'succeeded', previousStatus: 'running', vendor: 'graph', error: null });
    expect(done.data.items).toHaveLength(1);
    expect(done.data.items[0].status).toBe('succeeded');
    expect(new Date(done.occurredAt).getTime()).toBeGreaterThanOrEqual(new Date(events[0].occurredAt).getTime());
  });

  it('has the policy, item and connection events of the tenant, and never a secret', async () => {
    const events = await all(p.tenant, '/v1/events');
    const types = new Set(events.map((e) => e.type));
    for (const t of [
      'connection.created',
      'policy.created',
      'policy.provisioned',
      'policy.activated',
      'protected_item.added',
      'protected_item.protected',
    ]) {
      expect(types).toContain(t);
    }
    expect(events.every((e) => e.tenantId === p.tenantId)).toBe(true);
    const text = JSON.stringify(events);
    for (const s of secrets) expect(text).not.toContain(s);
  });

  it("gives a partner every tenant of its own, and nobody else's", async () => {
    const events = await all(p.partner, '/v1/events');
    const tenants = new Set(events.map((e) => e.tenantId));
    expect(tenants).toEqual(new Set([p.tenantId, second.tenantId]));
    const onlySecond = await all(p.partner, `/v1/events?tenantId=${second.tenantId}&types=restore_job.*`);
    expect(onlySecond.map((e) => e.resourceId)).toEqual([jobs.second, jobs.second, jobs.second, jobs.second]);
  });

  it('answers 404 for another tenant or partner', async () => {
    for (const [client, path] of [
      [p.tenant, `/v1/tenants/${second.tenantId}/events`],
      [p.tenant, `/v1/events?tenantId=${second.tenantId}`],
      [other.partner, `/v1/events?tenantId=${p.tenantId}`],
      [other.tenant, `/v1/tenants/${p.tenantId}/events`],
    ] as const) {
      const res = await client.get(path);
      expect([path, res.status, res.body.code]).toEqual([path, 404, 'NOT_FOUND']);
    }
    const mine = await all(other.partner, '/v1/events');
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e) => e.tenantId === other.tenantId)).toBe(true);
  });

  it('pages with a cursor without gaps or repeats, and filters by type and time', async () => {
    const whole = await all(p.partner, '/v1/events');
    const paged = await all(p.partner, '/v1/events', 3);
    expect(paged.map((e) => e.id)).toEqual(whole.map((e) => e.id));
    expect([...paged.map((e) => e.id)].sort()).toEqual(paged.map((e) => e.id));
    const policies = await all(p.partner, '/v1/events?types=policy.activated,policy.created');
    expect(new Set(policies.map((e) => e.type))).toEqual(new Set(['policy.activated', 'policy.created']));
    const last = whole[whole.length - 1];
    const since = await all(p.partner, `/v1/events?since=${encodeURIComponent(last.occurredAt)}`);
    expect(since.map((e) => e.id)).toContain(last.id);
    expect(since.length).toBeLessThan(whole.length);
  });

  it('refuses bad filters with a problem', async () => {
    for (const q of ['types=restore_job.exploded', 'since=yesterday', 'resourceId=42', 'cursor=zzz', 'limit=0']) {
      const res = await p.partner.get(`/v1/events?${q}`);
      expect([q, res.status, res.body.code]).toEqual([q, 400, 'VALIDATION_FAILED']);
    }
  });
});
