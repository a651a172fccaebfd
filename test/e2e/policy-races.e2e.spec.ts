import { unwrap } from '@backup-gateway/sdk';
import { newTenant } from '../support/factories';
import { SandboxControl } from '../support/sandbox';
import { eventually, startStack, type TestStack } from '../support/stack';
import { graphFixture } from '../support/vendor-fixtures';

/**
 * A delete that arrives while the vendor is still creating the policy: the delete's own sync finds no
 * vendor ref and marks the policy deleted; when the vendor's answer comes back, the policy must stay
 * deleted and the policy the vendor just created must be deleted there too (no orphan at the vendor,
 * no policy revived in the API).
 */
describe('policy deleted while the vendor creates it', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack.stop());

  it('stays deleted, and the vendor holds no policy afterwards', async () => {
    const t = await newTenant(stack.admin);
    const fx = graphFixture(stack.sandbox.origin);
    const control = new SandboxControl(stack.sandbox.origin, fx.sandboxPrefix, fx.scope);
    const api = t.tenant.sdk;
    const path = { tenantId: t.tenantId };
    const connectionId = (await unwrap(api.POST('/v1/tenants/{tenantId}/connections', { params: { path }, body: fx.connection as never })))
      .id;
    // Hold the vendor's create call for 10 s (the fault is used up when the call arrives): room for the delete
    // below to arrive first however slow this machine is (checked below, so a slow run fails instead of testing nothing).
    await control.injectFault({ method: 'POST', path: 'sharePointProtectionPolicies$', latencyMs: 10_000, count: 1 });
    const policy = await unwrap(
      api.POST('/v1/tenants/{tenantId}/policies', {
        params: { path },
        body: { connectionId, workload: fx.workload, displayName: 'short-lived', items: fx.items(2) },
      }),
    );
    expect(policy.status).toBe('provisioning');
    await eventually(
      () => control.faults(),
      (faults) => faults.length === 0,
      60_000,
    );
    // The create call is at the vendor now.
    const deleting = await api.DELETE('/v1/tenants/{tenantId}/policies/{policyId}', { params: { path: { ...path, policyId: policy.id } } });
    expect([deleting.response.status, deleting.data?.status]).toEqual([202, 'deleting']);
    // The sandbox logs a call when it answers: the create is still unanswered, so the delete came first.
    expect((await control.calls()).filter((c) => c.method === 'POST' && /sharePointProtectionPolicies$/.test(c.path))).toEqual([]);

    // The vendor's create answered, and its policy was deleted again.
    const calls = await eventually(
      () => control.calls(),
      (cs) => cs.some((c) => c.method === 'DELETE' && /protectionPolicies\//.test(c.path)),
      60_000,
    );
    expect(calls.filter((c) => c.method === 'POST' && /sharePointProtectionPolicies$/.test(c.path)).map((c) => c.status)).toEqual([201]);
    await eventually(
      () => control.state<{ policies: Record<string, unknown> }>(),
      (s) => Object.keys(s.policies).length === 0,
      60_000,
    );
    const gone = await api.GET('/v1/tenants/{tenantId}/policies/{policyId}', { params: { path: { ...path, policyId: policy.id } } });
    expect(gone.error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const types = (await unwrap(t.partner.sdk.GET('/v1/events', { params: { query: { limit: 200, resourceId: policy.id } } }))).items.map(
      (e) => e.type,
    );
    expect(types).toEqual(['policy.created', 'policy.deleted']);
  }, 240_000);
});
