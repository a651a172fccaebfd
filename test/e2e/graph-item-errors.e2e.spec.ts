import { graphSandboxSites } from '../../apps/sandbox/src/graph/graph.fixtures';
import { newTenant } from '../support/factories';
import { protectOneItem, restoreBody } from '../support/protected-item';
import { fetchToken } from '../../apps/sandbox/src/graph/graph.test-helpers';
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
    // Items the vendor refuses for now are tried again after 2 s, 4 s, 8 s: the test acts between tries.
    stack = await startStack({ config: { RESTORE_ITEM_RETRY_MS: '2000' } });
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

  async function restoreUntilDone(s: Awaited<ReturnType<typeof protectOneItem>>, jobId: string, stepMs = 60_000) {
    return eventually(
      async () => {
        await s.control.advanceClock(stepMs);
        return (await s.t.tenant.get(`${s.T}/restore-jobs/${jobId}`)).body;
      },
      (j) => TERMINAL.includes(j.status),
      60_000,
      300,
    );
  }

  const historyOf = async (s: Awaited<ReturnType<typeof protectOneItem>>, jobId: string) =>
    (await s.t.tenant.get(`${s.T}/restore-jobs/${jobId}/events`)).body.items as Array<{ type: string; detail: any }>;

  it('an artifact the vendor keeps refusing with UnknownError ("please try again") is restored again, then left failed with VENDOR_ERROR', async () => {
    const s = await protectOneItem(stack, 'graph');
    const site = graphSandboxSites(s.fx.scope, 1)[0];
    await s.control.configure({ artifactErrors: { [site.siteId]: 'UnknownError' } });
    const job = (await s.t.tenant.post(`${s.T}/restore-jobs`, restoreBody(s))).body;
    const done = await restoreUntilDone(s, job.id);
    expect(done.status).toBe('failed');
    expect(done.items).toHaveLength(1);
    expect(done.items[0]).toMatchObject({ status: 'failed', error: { code: 'VENDOR_ERROR', vendorCode: 'UnknownError' } });
    const retries = (await historyOf(s, job.id)).filter((e) => e.type === 'vendor_item_retry');
    expect(retries.map((e) => e.detail.items[0].retry)).toEqual([1, 2, 3]);
    const activations = (await s.control.calls()).filter((c) => c.method === 'POST' && /restoreSessions\/[^/]+\/activate$/.test(c.path));
    expect(activations).toHaveLength(4);
  });

  it('an artifact refused because another restore of it is running (DuplicateArtifactRestoreRequest) waits for it and is restored, never a failed job', async () => {
    const s = await protectOneItem(stack, 'graph');
    // Another actor (an admin in the Microsoft 365 admin center) restores the same site, for a long while.
    const token = (await fetchToken(stack.sandbox.origin, s.fx.scope)).body.access_token as string;
    const graph = async (method: string, path: string, body?: unknown): Promise<any> =>
      (
        await fetch(`${stack.sandbox.origin}/graph/v1.0/solutions/backupRestore${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        })
      ).json();
    const point = (await s.t.tenant.get(`${s.T}/restore-points/${s.point}`)).body;
    await s.control.configure({ restoreDurationMs: 10 * 3_600_000 });
    const outside = await graph('POST', '/sharePointRestoreSessions', {
      siteRestoreArtifacts: [{ restorePoint: { '@odata.id': point.vendorRef }, destinationType: 'inPlace' }],
    });
    await graph('POST', `/restoreSessions/${outside.id}/activate`);
    await s.control.configure({ restoreDurationMs: 1500 });

    const job = (await s.t.tenant.post(`${s.T}/restore-jobs`, restoreBody(s))).body;
    // Ours is refused while the other restore runs: the item waits to be restored again.
    const refused = await eventually(
      async () => {
        await s.control.advanceClock(60_000);
        return historyOf(s, job.id);
      },
      (h) => h.some((e) => e.type === 'vendor_item_retry'),
      60_000,
      300,
    );
    expect(refused.find((e) => e.type === 'vendor_item_retry')!.detail.items[0]).toMatchObject({
      vendorCode: 'DuplicateArtifactRestoreRequest',
      retry: 1,
    });
    const waiting = (await s.t.tenant.get(`${s.T}/restore-jobs/${job.id}`)).body;
    expect(TERMINAL).not.toContain(waiting.status);
    // The other restore ends; ours is restored on its next try.
    await s.control.advanceClock(11 * 3_600_000);
    const done = await restoreUntilDone(s, job.id);
    expect(done.status).toBe('succeeded');
    expect(done.items[0]).toMatchObject({ status: 'succeeded' });
  });
});
