import { randomUUID } from 'node:crypto';
import { graphSandboxGroupId, graphSandboxSite } from '../../apps/sandbox/src/graph/graph.fixtures';
import { newTenant, type TenantContext } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';
import { avepointFixture, graphFixture } from '../support/vendor-fixtures';

type Item = { externalId: string; status: string; policyId: string };

describe('policy rules (dynamic protection) through the gateway and the worker', () => {
  let stack: TestStack;
  let t: TenantContext;
  let T: string;

  beforeAll(async () => {
    stack = await startStack();
    t = await newTenant(stack.admin);
    T = `/v1/tenants/${t.tenantId}`;
  });
  afterAll(async () => stack.stop());

  async function policyOf(fx: ReturnType<typeof graphFixture>, items = fx.items(2)): Promise<string> {
    const connectionId = (await t.tenant.post(`${T}/connections`, fx.connection)).body.id;
    const created = await t.tenant.post(`${T}/policies`, { connectionId, workload: fx.workload, displayName: 'rules', items });
    expect(created.status).toBe(202);
    await eventually(
      () => t.tenant.get(`${T}/policies/${created.body.id}`),
      (r) => r.body.status === 'active' || r.body.status === 'inactive',
    );
    return created.body.id;
  }

  it('Graph: a rule is stored pending, created and run at the vendor, and the sites of its group become protected items', async () => {
    const fx = graphFixture(stack.sandbox.origin);
    const policyId = await policyOf(fx);
    const groupId = graphSandboxGroupId(fx.scope, 2);
    const created = await t.tenant.post(`${T}/policies/${policyId}/rules`, { groupIds: [groupId], displayName: 'Sales' });
    expect(created.status).toBe(202);
    expect(created.headers.get('location')).toBe(`${T}/policies/${policyId}/rules/${created.body.id}`);
    expect(created.body).toMatchObject({
      policyId,
      vendor: 'graph',
      displayName: 'Sales',
      groupIds: [groupId],
      status: 'pending',
      vendorRef: null,
      error: null,
    });
    const rule = `${T}/policies/${policyId}/rules/${created.body.id}`;
    const done = await eventually(
      () => t.tenant.get(rule),
      (r) => r.body.status === 'completed',
    );
    expect(done.body).toMatchObject({ vendorRef: expect.any(String), vendorStatus: 'completed' });
    expect((await t.tenant.get(`${T}/policies/${policyId}/rules`)).body.items.map((r: { id: string }) => r.id)).toEqual([created.body.id]);

    const groupSites = [10, 11, 12, 13, 14].map((i) => graphSandboxSite(fx.scope, i).siteId);
    const items = await eventually(
      () => t.tenant.get(`${T}/protected-items?policyId=${policyId}&limit=200`),
      (r) => groupSites.every((id) => r.body.items.some((i: Item) => i.externalId === id && i.status === 'protected')),
      60_000,
    );
    expect(items.body.items).toHaveLength(7);
    expect((await t.tenant.get(`${T}/policies/${policyId}`)).body.itemCount).toBe(7);
    // The worker's policy refresh reads the new items' restore points, so they can be restored like any other.
    const adopted = items.body.items.find((i: Item & { id: string }) => i.externalId === groupSites[0]);
    await eventually(
      () => t.tenant.get(`${T}/restore-points?protectedItemId=${adopted.id}`),
      (r) => r.body.items.length > 0,
    );

    // Deleting the rule deletes it at the vendor; the items it added stay protected.
    const deleting = await t.tenant.delete(rule);
    expect([deleting.status, deleting.body.status]).toEqual([202, 'deleting']);
    await eventually(
      () => t.tenant.get(rule),
      (r) => r.status === 404,
    );
    expect((await t.tenant.get(`${T}/protected-items?policyId=${policyId}&limit=200`)).body.items).toHaveLength(7);
  });

  it('answers 404 problem+json for an unknown rule or policy, and 400 for a malformed rule', async () => {
    const fx = graphFixture(stack.sandbox.origin);
    const policyId = await policyOf(fx);
    for (const path of [
      `${T}/policies/${policyId}/rules/${randomUUID()}`,
      `${T}/policies/${policyId}/rules/nope`,
      `${T}/policies/${randomUUID()}/rules`,
    ]) {
      const res = await t.tenant.get(path);
      expect([path, res.status, res.body.code, res.contentType]).toEqual([
        path,
        404,
        'NOT_FOUND',
        expect.stringContaining('application/problem+json'),
      ]);
    }
    expect((await t.tenant.delete(`${T}/policies/${policyId}/rules/${randomUUID()}`)).status).toBe(404);
    for (const body of [{}, { groupIds: [] }, { groupIds: ['not-a-guid'] }, { groupIds: [randomUUID()], extra: 1 }]) {
      const res = await t.tenant.post(`${T}/policies/${policyId}/rules`, body);
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
  });

  it('answers 422 UNSUPPORTED_BY_VENDOR naming the operation for a vendor without rules, and stores nothing', async () => {
    const fx = avepointFixture(stack.sandbox.origin);
    const policyId = await policyOf(fx);
    const res = await t.tenant.post(`${T}/policies/${policyId}/rules`, { groupIds: [randomUUID()] });
    expect(res.status).toBe(422);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body).toMatchObject({ code: 'UNSUPPORTED_BY_VENDOR', detail: expect.stringContaining('policyRule.create') });
    expect((await t.tenant.get(`${T}/policies/${policyId}/rules`)).body.items).toEqual([]);
  });

  it('another tenant sees none of the rules', async () => {
    const fx = graphFixture(stack.sandbox.origin);
    const policyId = await policyOf(fx);
    const ruleId = (await t.tenant.post(`${T}/policies/${policyId}/rules`, { groupIds: [randomUUID()] })).body.id;
    const other = await newTenant(stack.admin);
    const O = `/v1/tenants/${other.tenantId}`;
    for (const [client, path] of [
      [other.tenant, `${T}/policies/${policyId}/rules/${ruleId}`],
      [other.tenant, `${O}/policies/${policyId}/rules/${ruleId}`],
      [other.tenant, `${O}/policies/${policyId}/rules`],
    ] as const) {
      expect([path, (await client.get(path)).status]).toEqual([path, 404]);
    }
    expect((await other.tenant.delete(`${O}/policies/${policyId}/rules/${ruleId}`)).status).toBe(404);
    expect((await t.tenant.get(`${T}/policies/${policyId}/rules/${ruleId}`)).status).toBe(200);
  });
});
