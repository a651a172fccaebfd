import { unwrap } from '@backup-gateway/sdk';
import { randomUUID } from 'node:crypto';
import { newTenant } from '../support/factories';
import { SandboxControl } from '../support/sandbox';
import { eventually, startStack, type TestStack } from '../support/stack';
import { graphFixture } from '../support/vendor-fixtures';

/**
 * One id finds the request, its jobs and the vendor's calls: the id of the API request that asked for a
 * change travels through the outbox into the worker's jobs and on to the vendor in its client request-id
 * header (Graph: client-request-id), for connections and policies as for restore jobs (restore-flow e2e).
 */
describe('request id from the API request to the vendor call', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack.stop());

  it("a connection's verify and a policy's create, activate and refresh calls carry the request's id", async () => {
    const t = await newTenant(stack.admin);
    const fx = graphFixture(stack.sandbox.origin);
    const control = new SandboxControl(stack.sandbox.origin, fx.sandboxPrefix, fx.scope);
    const api = t.tenant.sdk;
    const path = { tenantId: t.tenantId };
    const graphCalls = async (requestId: string) =>
      (await control.calls()).filter((c) => c.path.includes('/v1.0/') && c.headers?.['client-request-id'] === requestId);

    const verifyId = randomUUID();
    const conn = await unwrap(api.POST('/v1/tenants/{tenantId}/connections', { params: { path }, body: fx.connection as never }));
    const verify = await api.POST('/v1/tenants/{tenantId}/connections/{connectionId}/verify', {
      params: { path: { ...path, connectionId: conn.id } },
      headers: { 'x-request-id': verifyId },
    });
    expect(verify.response.status).toBe(202);
    const verified = await eventually(
      () => graphCalls(verifyId),
      (calls) => calls.length > 0,
      60_000,
    );
    // verify probes with reads (and deletes of nil ids) only
    expect(verified.map((c) => c.method)).toContain('GET');

    const policyId = randomUUID();
    const policy = await unwrap(
      api.POST('/v1/tenants/{tenantId}/policies', {
        params: { path },
        body: { connectionId: conn.id, workload: fx.workload, displayName: 'traced', items: fx.items(2) },
        headers: { 'x-request-id': policyId },
      }),
    );
    await eventually(
      () => unwrap(api.GET('/v1/tenants/{tenantId}/policies/{policyId}', { params: { path: { ...path, policyId: policy.id } } })),
      (p) => p.status === 'active',
      60_000,
    );
    const traced = await eventually(
      () => graphCalls(policyId),
      // the refresh (a later job of the same request) lists the units and reads their restore points
      (calls) => calls.some((c) => c.method === 'GET' && /restorePoints/.test(c.path)),
      60_000,
    );
    const paths = traced.map((c) => `${c.method} ${c.path.replace(/\/[0-9a-f-]{36}/g, '/{id}')}`);
    expect(paths).toEqual(expect.arrayContaining(['POST /v1.0/solutions/backupRestore/sharePointProtectionPolicies']));
    expect(paths.some((p) => /^POST .*\/activate$/.test(p))).toBe(true);
  });
});
