import { Client } from 'pg';
import { ProtectionHealthService } from '../../apps/worker/src/backups/protection-health.service';
import { PolicyRefreshService } from '../../apps/worker/src/policies/policy-refresh.service';
import { newTenant } from '../support/factories';
import { protectOneItem } from '../support/protected-item';
import { eventually, startStack, type TestStack } from '../support/stack';
import { Receiver } from '../support/webhook-receiver';

const MINUTE = 60_000;

/**
 * Protection health end to end on a vendor without backup runs (Graph: health from the item's status and the recency
 * of its restore points). The judgement's time is passed in, so "now" is controlled, not the wall clock.
 */
describe('protection health', () => {
  let stack: TestStack;
  let health: ProtectionHealthService;

  const rx = new Receiver();

  beforeAll(async () => {
    await rx.start();
    stack = await startStack({ worker: true });
    health = stack.worker!.get(ProtectionHealthService);
  });
  afterAll(async () => {
    await stack.stop();
    await rx.stop();
  });

  async function setup() {
    const s = await protectOneItem(stack, 'graph');
    const item = (await s.t.tenant.get(`${s.T}/protected-items`)).body.items[0];
    const points = (await s.t.tenant.get(`${s.T}/restore-points?protectedItemId=${item.id}`)).body.items;
    const newest = new Date(Math.max(...points.map((p: { pointInTime: string }) => Date.parse(p.pointInTime))));
    return { ...s, item, policyId: item.policyId as string, newest };
  }

  /**
   * Sets the policy's RPO and waits for the judgement that change queues (made at the worker's own time) to be
   * written, so the test's judgements at its chosen times come after it.
   */
  async function setRpo(s: { t: { tenant: any }; T: string; policyId: string }, rpoMinutes: number) {
    expect((await s.t.tenant.patch(`${s.T}/policies/${s.policyId}`, { rpoMinutes })).status).toBe(202);
    await eventually(
      () => s.t.tenant.get(`${s.T}/policies/${s.policyId}`),
      (r: { body: { health: { state: string } } }) => r.body.health.state !== 'unknown',
    );
  }

  /** The row versions (xmin) of a policy and an item: any UPDATE of either changes them. */
  async function rowVersions(policyId: string, itemId: string): Promise<string[]> {
    const db = new Client({ connectionString: stack.config.DATABASE_URL });
    await db.connect();
    try {
      const p = await db.query('SELECT xmin::text AS v FROM policies WHERE id = $1', [policyId]);
      const i = await db.query('SELECT xmin::text AS v FROM protected_items WHERE id = $1', [itemId]);
      return [p.rows[0].v, i.rows[0].v];
    } finally {
      await db.end();
    }
  }

  const eventTypes = async (s: { t: { tenant: any }; T: string }, resourceId: string) =>
    (await s.t.tenant.get(`${s.T}/events?resourceId=${resourceId}`)).body.items.map((e: { type: string }) => e.type);

  it('judges an item against its policy RPO from restore-point recency: healthy, at risk, healthy again, with events', async () => {
    const s = await setup();
    await setRpo(s, 60);

    await health.sync({}, s.t.tenantId, s.policyId, new Date(s.newest.getTime() + 10 * MINUTE));
    let item = (await s.t.tenant.get(`${s.T}/protected-items/${s.item.id}`)).body;
    expect(item.protection).toMatchObject({ state: 'healthy', latestRestorePointAt: s.newest.toISOString(), lastRunStatus: null });
    expect(item.protection.reason).toContain('within the RPO of 60 min');
    expect((await s.t.tenant.get(`${s.T}/policies/${s.policyId}`)).body).toMatchObject({ rpoMinutes: 60, health: { state: 'healthy' } });

    const late = new Date(s.newest.getTime() + 61 * MINUTE);
    await health.sync({}, s.t.tenantId, s.policyId, late);
    item = (await s.t.tenant.get(`${s.T}/protected-items/${s.item.id}`)).body;
    expect(item.protection).toMatchObject({ state: 'atRisk', since: late.toISOString() });
    expect(item.protection.reason).toBe(`the last successful backup, at ${s.newest.toISOString()}, is older than the RPO of 60 min`);
    expect((await s.t.tenant.get(`${s.T}/policies/${s.policyId}`)).body.health.state).toBe('atRisk');
    const atRisk = (await s.t.tenant.get(`${s.T}/protected-items?state=atRisk`)).body.items;
    expect(atRisk.map((i: { id: string }) => i.id)).toEqual([s.item.id]);
    expect((await s.t.tenant.get(`${s.T}/protected-items?state=healthy`)).body.items).toEqual([]);

    // Judging the same facts again changes nothing, writes nothing and emits nothing.
    const versions = () => rowVersions(s.policyId, s.item.id);
    const before = await versions();
    await health.sync({}, s.t.tenantId, s.policyId, new Date(late.getTime() + MINUTE));
    expect(await versions()).toEqual(before);
    expect((await eventTypes(s, s.item.id)).filter((t: string) => t === 'protected_item.at_risk')).toHaveLength(1);

    await health.sync({}, s.t.tenantId, s.policyId, new Date(s.newest.getTime() + 5 * MINUTE));
    expect((await s.t.tenant.get(`${s.T}/protected-items/${s.item.id}`)).body.protection.state).toBe('healthy');
    const types = await eventTypes(s, s.item.id);
    expect(types.slice(types.indexOf('protected_item.at_risk'))).toEqual(['protected_item.at_risk', 'protected_item.healthy']);
    const recovery = (await s.t.tenant.get(`${s.T}/events?types=protected_item.healthy`)).body.items[0];
    expect(recovery.data).toMatchObject({ id: s.item.id, previousStatus: 'atRisk', protection: { state: 'healthy' } });
  });

  it('the vendor stops backing an item up: at risk once its RPO passes in vendor time, a signed webhook, backups resume, healthy again', async () => {
    const s = await setup();
    const route = rx.route(`health-${s.t.tenantId}`, { secrets: [] });
    const hook = await s.t.tenant.post(`${s.T}/webhooks`, { url: route, eventTypes: ['protected_item.*'] });
    expect(hook.status).toBe(201);
    rx.route(`health-${s.t.tenantId}`, { secrets: [hook.body.secret] });
    await setRpo(s, 60);
    const refresh = stack.worker!.get(PolicyRefreshService);
    // The vendor's time is the judgement's time: read the vendor's view, then judge at the sandbox clock.
    const judgeNow = async () => {
      await refresh.refresh({}, s.t.tenantId, s.policyId, 99);
      const now = new Date((await s.control.advanceClock(0)).now);
      await health.sync({}, s.t.tenantId, s.policyId, now);
      return (await s.t.tenant.get(`${s.T}/protected-items/${s.item.id}`)).body.protection;
    };
    expect((await judgeNow()).state).toBe('healthy');

    await s.control.configure({ stoppedBackups: [s.item.externalId] });
    await judgeNow(); // the vendor applies the stop at its next request; the item is still within its RPO
    await s.control.advanceClock(30 * MINUTE);
    expect((await judgeNow()).state).toBe('healthy');
    await s.control.advanceClock(90 * MINUTE);
    const atRisk = await judgeNow();
    expect(atRisk).toMatchObject({ state: 'atRisk' });
    expect(atRisk.reason).toMatch(/is older than the RPO of 60 min$/);

    await s.control.configure({ stoppedBackups: [] });
    await judgeNow(); // backups resume: the vendor takes one at once
    const healthy = await judgeNow();
    expect(healthy.state).toBe('healthy');
    expect(Date.parse(healthy.latestRestorePointAt)).toBeGreaterThan(Date.parse(atRisk.latestRestorePointAt));

    const delivered = await eventually(
      async () => rx.accepted(`health-${s.t.tenantId}`).map((m) => m),
      (ms) => ms.some((m) => m.message.type === 'protected_item.healthy'),
      60_000,
    );
    const types = delivered.map((m) => m.message.type).filter((t) => t !== 'protected_item.added' && t !== 'protected_item.protected');
    expect(types).toEqual(['protected_item.at_risk', 'protected_item.healthy']);
    for (const m of delivered) expect(m.verifiedBy).toEqual([hook.body.secret]);
    expect(delivered.find((m) => m.message.type === 'protected_item.at_risk')!.message.data).toMatchObject({
      type: 'protected_item.at_risk',
      resourceId: s.item.id,
      data: { id: s.item.id, protection: { state: 'atRisk' } },
    });
    await s.control.configure({ stoppedBackups: [] });
  });

  it("a vendor error on the item ends it failed with the normalized error, and the policy's health follows its items", async () => {
    const s = await setup();
    await setRpo(s, 60);
    await s.control.configure({ unitErrors: { [s.item.externalId]: 'QuotaExceeded' } });
    await stack.worker!.get(PolicyRefreshService).refresh({}, s.t.tenantId, s.policyId, 99);
    await health.sync({}, s.t.tenantId, s.policyId, new Date((await s.control.advanceClock(0)).now));
    const item = (await s.t.tenant.get(`${s.T}/protected-items/${s.item.id}`)).body;
    expect(item.error).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(item.protection.state).toBe('failed');
    expect(item.protection.reason).toContain('You have exceeded the backup quota.');
    expect((await s.t.tenant.get(`${s.T}/policies/${s.policyId}`)).body.health.state).toBe('failed');
    expect((await s.t.tenant.get(`${s.T}/protected-items?state=failed`)).body.items.map((i: { id: string }) => i.id)).toEqual([s.item.id]);
    expect(await eventTypes(s, s.item.id)).toContain('protected_item.failed');
  });

  it('the partner summary counts items by state per tenant and vendor, links the oldest problem, and shows no other partner', async () => {
    const s = await setup();
    await setRpo(s, 30);
    await health.sync({}, s.t.tenantId, s.policyId, new Date(s.newest.getTime() + 31 * MINUTE));
    // A second tenant of the same partner with nothing protected, and an unrelated partner.
    const second = (await s.t.partner.post('/v1/tenants', { name: 'empty customer' })).body;
    const other = await newTenant(stack.admin);

    const summary = (await s.t.partner.get('/v1/protection-summary')).body;
    expect(summary.items.map((l: { tenantId: string }) => l.tenantId).sort()).toEqual([s.t.tenantId, second.id].sort());
    const line = summary.items.find((l: { tenantId: string }) => l.tenantId === s.t.tenantId);
    expect(line.counts).toEqual({ healthy: 0, atRisk: 1, failed: 0, unprotected: 0, unknown: 0 });
    expect(line.byVendor).toEqual([{ vendor: 'graph', counts: line.counts }]);
    expect(line.oldestProblem).toMatchObject({ protectedItemId: s.item.id, state: 'atRisk' });
    expect(line.links.oldestProblem).toBe(`${s.T}/protected-items/${s.item.id}`);
    const empty = summary.items.find((l: { tenantId: string }) => l.tenantId === second.id);
    expect(empty).toMatchObject({ counts: { healthy: 0, atRisk: 0, failed: 0, unprotected: 0, unknown: 0 }, oldestProblem: null });

    // Paged by tenant: one line per page, two pages.
    const first = (await s.t.partner.get('/v1/protection-summary?limit=1')).body;
    expect(first.items).toHaveLength(1);
    const next = (await s.t.partner.get(`/v1/protection-summary?limit=1&cursor=${first.nextCursor}`)).body;
    expect(next.items).toHaveLength(1);
    expect(next.items[0].tenantId).not.toBe(first.items[0].tenantId);

    // Another partner sees only its own tenants; a tenant key only its own line; nobody else's items by state.
    expect((await other.partner.get('/v1/protection-summary')).body.items.map((l: { tenantId: string }) => l.tenantId)).toEqual([
      other.tenantId,
    ]);
    expect((await s.t.tenant.get('/v1/protection-summary')).body.items.map((l: { tenantId: string }) => l.tenantId)).toEqual([
      s.t.tenantId,
    ]);
    expect((await other.tenant.get(`/v1/tenants/${other.tenantId}/protected-items?state=atRisk`)).body.items).toEqual([]);
    expect((await other.tenant.get(`${s.T}/protected-items?state=atRisk`)).status).toBe(404);
  });

  it('over a generated estate (300 tenants, four vendors) the summary pages equal the per-item states computed in SQL', async () => {
    const partner = (await stack.admin.post('/v1/partners', { name: 'estate MSP' })).body;
    const key = stack.admin.withKey(partner.apiKey.key);
    const other = await newTenant(stack.admin);
    const db = new Client({ connectionString: stack.config.DATABASE_URL });
    await db.connect();
    try {
      // Deterministic: tenants x connections (vendors) x items in every state, some removed (not counted).
      const { rows: tenants } = await db.query(
        `INSERT INTO tenants (id, partner_id, name) SELECT gen_random_uuid(), $1, 'estate ' || n FROM generate_series(1, 300) n RETURNING id`,
        [partner.id],
      );
      const ids = tenants.map((t: { id: string }) => t.id);
      await db.query(
        `WITH c AS (
           INSERT INTO connections (id, tenant_id, vendor, display_name, endpoint, secret_ciphertext, secret_wrapped_key, secret_key_id)
           SELECT gen_random_uuid(), t.id, v.vendor, v.vendor, 'https://example.invalid', '\\x00', '\\x00', 'k1'
             FROM unnest($1::uuid[]) WITH ORDINALITY t(id, k)
             JOIN (VALUES (0, 'graph'), (1, 'veeam'), (2, 'azure-dataprotection'), (3, 'avepoint')) v(i, vendor) ON v.i <= t.k % 4
           RETURNING id, tenant_id, vendor),
         p AS (
           INSERT INTO policies (id, tenant_id, connection_id, vendor, workload, display_name, status, desired_active)
           SELECT gen_random_uuid(), c.tenant_id, c.id, c.vendor, 'sharepoint', 'estate', 'active', true FROM c
           RETURNING id, tenant_id, connection_id)
         INSERT INTO protected_items (id, tenant_id, policy_id, connection_id, kind, external_id, status, protection_state, protection_since)
         SELECT gen_random_uuid(), p.tenant_id, p.id, p.connection_id, 'site', 'site-' || n,
                CASE WHEN n % 11 = 0 THEN 'removed' ELSE 'protected' END,
                (ARRAY['healthy', 'atRisk', 'failed', 'unprotected', 'unknown'])[1 + (n * 7 + length(p.id::text) + get_byte(uuid_send(p.id), 0)) % 5],
                now() - (n || ' minutes')::interval
           FROM p, generate_series(1, 1 + get_byte(uuid_send(p.id), 1) % 12) n`,
        [ids],
      );
      const { rows: expectedRows } = await db.query(
        `SELECT t.id AS tenant_id,
           (SELECT coalesce(jsonb_object_agg(s.state, s.n), '{}') FROM (SELECT i.protection_state AS state, count(*)::int AS n
              FROM protected_items i WHERE i.tenant_id = t.id AND i.status <> 'removed' GROUP BY 1) s) AS counts,
           (SELECT coalesce(jsonb_agg(jsonb_build_object('vendor', v.vendor, 'counts', v.counts) ORDER BY v.vendor), '[]') FROM (
              SELECT p.vendor, jsonb_object_agg(x.state, x.n) AS counts FROM (
                SELECT i.policy_id, i.protection_state AS state, count(*)::int AS n FROM protected_items i
                 WHERE i.tenant_id = t.id AND i.status <> 'removed' GROUP BY 1, 2) x JOIN policies p ON p.id = x.policy_id GROUP BY p.vendor) v) AS by_vendor,
           (SELECT i.id FROM protected_items i WHERE i.tenant_id = t.id AND i.status <> 'removed' AND i.protection_state IN ('atRisk', 'failed')
             ORDER BY i.protection_since, i.id LIMIT 1) AS oldest
         FROM tenants t WHERE t.partner_id = $1 ORDER BY t.id`,
        [partner.id],
      );
      const full = (c: Record<string, number>) => ({ healthy: 0, atRisk: 0, failed: 0, unprotected: 0, unknown: 0, ...c });
      const expected = expectedRows.map((r: { tenant_id: string; counts: any; by_vendor: any[]; oldest: string | null }) => ({
        tenantId: r.tenant_id,
        counts: full(r.counts),
        byVendor: r.by_vendor.map((v) => ({ vendor: v.vendor, counts: full(v.counts) })),
        oldest: r.oldest,
      }));
      expect(expected).toHaveLength(300);
      expect(new Set(expected.flatMap((e: { byVendor: Array<{ vendor: string }> }) => e.byVendor.map((v) => v.vendor))).size).toBe(4);

      const lines: any[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: any } = await key.get(`/v1/protection-summary?limit=37${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        lines.push(...res.body.items);
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(
        lines.map((l) => ({
          tenantId: l.tenantId,
          counts: l.counts,
          byVendor: l.byVendor,
          oldest: l.oldestProblem?.protectedItemId ?? null,
        })),
      ).toEqual(expected);
      // Another partner's estate is not in it, and theirs has none of this one.
      expect(lines.map((l) => l.tenantId)).not.toContain(other.tenantId);
      expect((await other.partner.get('/v1/protection-summary')).body.items.map((l: { tenantId: string }) => l.tenantId)).toEqual([
        other.tenantId,
      ]);
    } finally {
      await db.end();
    }
  });

  it('a vendor without on-demand backup answers 422 UNSUPPORTED_BY_VENDOR naming backup.start, and lists no runs', async () => {
    const s = await setup();
    const res = await s.t.tenant.post(`${s.T}/protected-items/${s.item.id}/backup`, {});
    expect(res.status).toBe(422);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body).toMatchObject({ code: 'UNSUPPORTED_BY_VENDOR', operation: 'backup.start', vendor: 'graph' });
    const policyRes = await s.t.tenant.post(`${s.T}/policies/${s.policyId}/backup`, {});
    expect(policyRes.status).toBe(422);
    expect(policyRes.body.code).toBe('UNSUPPORTED_BY_VENDOR');
    expect((await s.t.tenant.get(`${s.T}/backup-runs`)).body).toEqual({ items: [], nextCursor: null });
    expect((await s.t.tenant.get(`${s.T}/backup-runs/${s.item.id}`)).status).toBe(404);
  });

  it('a refusal of the credentials during normal work turns the connection unhealthy once, with connection.unhealthy', async () => {
    const s = await setup();
    expect((await s.t.tenant.get(`${s.T}/connections/${s.connectionId}`)).body.health).not.toBe('unhealthy');
    await s.control.injectFault({
      method: 'GET',
      path: 'protectionUnits|siteProtectionUnits|protectionPolicies',
      status: 403,
      // Graph's answer for an app role taken away from the app registration after consent.
      body: { error: { code: 'Forbidden', message: 'Missing role permissions on the request.' } },
      count: -1,
    });
    const refresh = stack.worker!.get(PolicyRefreshService);
    for (let i = 0; i < 2; i++) {
      await expect(refresh.refresh({}, s.t.tenantId, s.policyId, 0)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    }
    const conn = await eventually(
      () => s.t.tenant.get(`${s.T}/connections/${s.connectionId}`),
      (r) => r.body.health === 'unhealthy',
      60_000,
    );
    expect(conn.body.healthDetail).toMatch(/^PERMISSION_DENIED: /);
    expect((await eventTypes(s, s.connectionId)).filter((t: string) => t === 'connection.unhealthy')).toHaveLength(1);
    await s.control.clearFaults();
  });
});
