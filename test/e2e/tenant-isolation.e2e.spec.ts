import { randomUUID } from 'node:crypto';
import { TenantDb, createAppDataSource } from '@bg/platform';
import { newTenant, type TenantContext } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';
import { graphFixture } from '../support/vendor-fixtures';

describe('tenant isolation: tenant A cannot read, list or change anything of tenant B', () => {
  let stack: TestStack;
  let a: TenantContext;
  let b: TenantContext;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startStack();
    a = await newTenant(stack.admin);
    b = await newTenant(stack.admin);
    const fx = graphFixture(stack.sandbox.origin);
    const B = `/v1/tenants/${b.tenantId}`;
    ids.connection = (await b.tenant.post(`${B}/connections`, fx.connection)).body.id;
    ids.policy = (
      await b.tenant.post(`${B}/policies`, { connectionId: ids.connection, workload: 'sharepoint', displayName: 'B', items: fx.items(2) })
    ).body.id;
    const points = await eventually(
      () => b.tenant.get(`${B}/restore-points`),
      (r) => r.body.items.length >= 2,
    );
    ids.rule = (await b.tenant.post(`${B}/policies/${ids.policy}/rules`, { groupIds: [randomUUID()] })).body.id;
    ids.restorePoint = points.body.items[0].id;
    ids.protectedItem = points.body.items[0].protectedItemId;
    ids.job = (await b.tenant.post(`${B}/restore-jobs`, { items: [{ restorePointId: ids.restorePoint }] })).body.id;
    await eventually(
      () => b.tenant.get(`${B}/restore-jobs/${ids.job}`),
      (r) => r.body.status === 'succeeded',
    );
  });
  afterAll(async () => stack.stop());

  const bPaths = () => [
    `/v1/tenants/${b.tenantId}`,
    `/v1/tenants/${b.tenantId}/connections`,
    `/v1/tenants/${b.tenantId}/policies`,
    `/v1/tenants/${b.tenantId}/policies/${ids.policy}/rules`,
    `/v1/tenants/${b.tenantId}/policies/${ids.policy}/rules/${ids.rule}`,
    `/v1/tenants/${b.tenantId}/protected-items`,
    `/v1/tenants/${b.tenantId}/restore-points`,
    `/v1/tenants/${b.tenantId}/restore-jobs`,
    `/v1/tenants/${b.tenantId}/restore-jobs/${ids.job}`,
    `/v1/tenants/${b.tenantId}/restore-jobs/${ids.job}/events`,
  ];

  it("answers 404 for every read of B's tenant, with A's tenant key and A's partner key", async () => {
    for (const client of [a.tenant, a.partner]) {
      for (const path of bPaths()) {
        const res = await client.get(path);
        expect([path, res.status, res.body.code]).toEqual([path, 404, 'NOT_FOUND']);
      }
    }
  });

  it("answers 404 for B's ids under A's own tenant path", async () => {
    const A = `/v1/tenants/${a.tenantId}`;
    for (const path of [
      `/connections/${ids.connection}`,
      `/policies/${ids.policy}`,
      `/policies/${ids.policy}/rules`,
      `/policies/${ids.policy}/rules/${ids.rule}`,
      `/protected-items/${ids.protectedItem}`,
      `/restore-points/${ids.restorePoint}`,
      `/restore-jobs/${ids.job}`,
      `/restore-jobs/${ids.job}/events`,
    ]) {
      const res = await a.tenant.get(`${A}${path}`);
      expect([path, res.status]).toEqual([path, 404]);
    }
  });

  it("cannot change B's resources or use them in A's requests", async () => {
    const A = `/v1/tenants/${a.tenantId}`;
    const B = `/v1/tenants/${b.tenantId}`;
    const attempts = [
      a.tenant.post(`${B}/restore-jobs`, { items: [{ restorePointId: ids.restorePoint }] }),
      a.tenant.post(`${A}/restore-jobs`, { items: [{ restorePointId: ids.restorePoint }] }),
      a.tenant.post(`${A}/policies`, { connectionId: ids.connection, workload: 'sharepoint', displayName: 'steal' }),
      a.tenant.post(`${A}/protected-items`, { policyId: ids.policy, items: [{ externalId: 'x' }] }),
      a.tenant.delete(`${A}/connections/${ids.connection}`),
      a.tenant.delete(`${B}/connections/${ids.connection}`),
      a.tenant.delete(`${A}/policies/${ids.policy}`),
      a.tenant.post(`${A}/policies/${ids.policy}/deactivate`),
      a.tenant.post(`${A}/policies/${ids.policy}/rules`, { groupIds: [randomUUID()] }),
      a.tenant.delete(`${A}/policies/${ids.policy}/rules/${ids.rule}`),
      a.tenant.delete(`${A}/protected-items/${ids.protectedItem}`),
      a.tenant.post(`${A}/restore-jobs/${ids.job}/cancel`),
      a.tenant.post(`${A}/connections/${ids.connection}/verify`),
      a.tenant.post('/v1/api-keys', { name: 'steal', tenantId: b.tenantId }),
      a.partner.post('/v1/api-keys', { name: 'steal', tenantId: b.tenantId }),
    ];
    const answers = await Promise.all(attempts);
    expect(answers.map((r) => [r.status, r.body.code]).filter(([s]) => s !== 404 && s !== 403)).toEqual([]);
    const B2 = `/v1/tenants/${b.tenantId}`;
    expect((await b.tenant.get(`${B2}/connections/${ids.connection}`)).status).toBe(200);
    expect((await b.tenant.get(`${B2}/policies/${ids.policy}`)).body.status).toBe('active');
    expect((await b.tenant.get(`${B2}/restore-jobs`)).body.items).toHaveLength(1);
    expect((await b.tenant.get(`${B2}/policies/${ids.policy}/rules/${ids.rule}`)).body.status).not.toBe('deleting');
    expect((await b.tenant.get(`${B2}/protected-items/${ids.protectedItem}`)).body.status).toBe('protected');
  });

  it("lists only the caller's tenants", async () => {
    const list = await a.partner.get('/v1/tenants');
    expect(list.body.items.map((t: { id: string }) => t.id)).toEqual([a.tenantId]);
    expect((await a.tenant.get('/v1/tenants')).body.items.map((t: { id: string }) => t.id)).toEqual([a.tenantId]);
  });

  it('row-level security hides B even from a query without a tenant filter', async () => {
    const ds = await createAppDataSource(stack.config).initialize();
    try {
      const db = new TenantDb(ds);
      const seen = await db.run(a.tenantId, (tx) =>
        tx.query(
          'SELECT tenant_id FROM restore_jobs UNION ALL SELECT tenant_id FROM connections UNION ALL SELECT tenant_id FROM restore_points UNION ALL SELECT tenant_id FROM policy_rules',
        ),
      );
      expect(seen.filter((r: { tenant_id: string }) => r.tenant_id !== a.tenantId)).toEqual([]);
      const asB = await db.run(b.tenantId, (tx) => tx.query('SELECT id FROM restore_jobs'));
      expect(asB.map((r: { id: string }) => r.id)).toEqual([ids.job]);
      await expect(
        db.run(a.tenantId, (tx) => tx.query(`UPDATE restore_jobs SET status = 'failed' WHERE id = $1 RETURNING id`, [ids.job])),
      ).resolves.toEqual([[], 0]);
      await expect(
        db.run(a.tenantId, (tx) =>
          tx.query(`INSERT INTO restore_job_events (tenant_id, restore_job_id, type) VALUES ($1, $2, 'forged')`, [b.tenantId, ids.job]),
        ),
      ).rejects.toThrow(/row-level security/);
      // The lean read path (TenantDb.read) is held by the same policy, even without a tenant filter.
      const lean = await db.read<{ tenant_id: string }>(
        a.tenantId,
        'SELECT tenant_id FROM restore_jobs UNION ALL SELECT tenant_id FROM connections',
      );
      expect(lean.filter((r) => r.tenant_id !== a.tenantId)).toEqual([]);
      expect((await db.read<{ id: string }>(b.tenantId, 'SELECT id FROM restore_jobs')).map((r) => r.id)).toEqual([ids.job]);
      expect(await db.read(a.tenantId, 'SELECT id FROM restore_jobs WHERE id = $1', [ids.job])).toEqual([]);
      const noTenant = await ds.query('SELECT count(*)::int AS n FROM restore_jobs');
      expect(noTenant[0].n).toBe(0);
    } finally {
      await ds.destroy();
    }
  });
});
