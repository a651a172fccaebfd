import { graphSandboxSites } from '../../apps/sandbox/src/graph/graph.fixtures';
import { newTenant } from '../support/factories';
import { protectOneItem, restoreBody } from '../support/protected-item';
import { SandboxControl } from '../support/sandbox';
import { eventually, startStack, type TestStack } from '../support/stack';
import { graphFixture } from '../support/vendor-fixtures';

const TERMINAL = ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'];

/**
 * Graph reports some failures inside successful (HTTP 200) bodies, one unit or one artifact at a time (seed 000
 * §Get Protection unit, §List Restore Artifacts). The sandbox injects them per resource (graph.faults.ts), so the
 * adapter's per-item error paths run against a body the vendor documents, and only the named items fail.
 */
describe('graph per-unit and per-artifact errors', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack.stop());

  it('a unit carrying QuotaExceeded / UnknownError / InvalidArtifactId fails that item with its normalized code; the others are protected', async () => {
    const t = await newTenant(stack.admin);
    const fx = graphFixture(stack.sandbox.origin);
    const control = new SandboxControl(stack.sandbox.origin, fx.sandboxPrefix, fx.scope);
    const T = `/v1/tenants/${t.tenantId}`;
    const sites = graphSandboxSites(fx.scope, 4);
    await control.configure({
      unitErrors: { [sites[0].siteId]: 'QuotaExceeded', [sites[1].siteId]: 'UnknownError', [sites[2].siteId]: 'InvalidArtifactId' },
    });
    const connectionId = (await t.tenant.post(`${T}/connections`, fx.connection)).body.id;
    const items = sites.map((s) => ({ externalId: s.siteId, displayName: s.name }));
    const policy = (await t.tenant.post(`${T}/policies`, { connectionId, workload: 'sharepoint', displayName: 'errors', items })).body;
    expect(policy.id).toEqual(expect.any(String));

    const settled = await eventually(
      () => t.tenant.get(`${T}/protected-items?policyId=${policy.id}`),
      (r) => r.body.items?.length === 4 && r.body.items.every((i: { status: string }) => ['protected', 'failed'].includes(i.status)),
      60_000,
    );
    const byId = new Map(settled.body.items.map((i: { externalId: string }) => [i.externalId, i]));
    expect(byId.get(sites[0].siteId)).toMatchObject({
      status: 'failed',
      error: { code: 'QUOTA_EXCEEDED', message: 'You have exceeded the backup quota.' },
    });
    expect(byId.get(sites[1].siteId)).toMatchObject({ status: 'failed', error: { code: 'VENDOR_ERROR' } });
    expect(byId.get(sites[2].siteId)).toMatchObject({ status: 'failed', error: { code: 'NOT_FOUND' } });
    expect(byId.get(sites[3].siteId)).toMatchObject({ status: 'protected', error: null });
  });

  it('an artifact ending with UnknownError fails that restore item with VENDOR_ERROR and the vendor code', async () => {
    const s = await protectOneItem(stack, 'graph');
    const site = graphSandboxSites(s.fx.scope, 1)[0];
    await s.control.configure({ artifactErrors: { [site.siteId]: 'UnknownError' } });
    const job = (await s.t.tenant.post(`${s.T}/restore-jobs`, restoreBody(s))).body;
    const done = await eventually(
      async () => {
        await s.control.advanceClock(3_600_000);
        return (await s.t.tenant.get(`${s.T}/restore-jobs/${job.id}`)).body;
      },
      (j) => TERMINAL.includes(j.status),
      60_000,
      500,
    );
    expect(done.status).toBe('failed');
    expect(done.items).toHaveLength(1);
    expect(done.items[0]).toMatchObject({ status: 'failed', error: { code: 'VENDOR_ERROR', vendorCode: 'UnknownError' } });
  });
});
