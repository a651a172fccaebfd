import { unwrap } from '@backup-gateway/sdk';
import { newTenant, type TenantContext } from './factories';
import { SandboxControl } from './sandbox';
import { eventually, type TestStack } from './stack';
import { E2E_FIXTURES, type VendorE2eFixture } from './vendor-fixtures';

/** A new tenant (or `tenant`) with a connection to `vendor`'s sandbox, a policy protecting one item, and its first restore point. */
export interface ProtectedItemSetup {
  t: TenantContext;
  fx: VendorE2eFixture;
  control: SandboxControl;
  connectionId: string;
  policyId: string;
  point: string;
  /** `/v1/tenants/<id>` */
  T: string;
}

export async function protectOneItem(stack: TestStack, vendor: string, tenant?: TenantContext): Promise<ProtectedItemSetup> {
  const t = tenant ?? (await newTenant(stack.admin));
  const fx = E2E_FIXTURES[vendor](stack.sandbox.origin);
  const control = new SandboxControl(stack.sandbox.origin, fx.sandboxPrefix, fx.scope);
  await fx.setup?.(control);
  const T = `/v1/tenants/${t.tenantId}`;
  const api = t.tenant.sdk;
  const path = { tenantId: t.tenantId };
  const connectionId = (await unwrap(api.POST('/v1/tenants/{tenantId}/connections', { params: { path }, body: fx.connection as never })))
    .id;
  const policy = await unwrap(
    api.POST('/v1/tenants/{tenantId}/policies', {
      params: { path },
      body: { connectionId, workload: fx.workload, displayName: `${vendor} item`, items: fx.items(1) },
    }),
  );
  await eventually(
    () => unwrap(api.GET('/v1/tenants/{tenantId}/policies/{policyId}', { params: { path: { ...path, policyId: policy.id } } })),
    (p) => ['active', 'failed'].includes(p.status),
    60_000,
  );
  await fx.settle?.(control);
  const point = (
    await eventually(
      () => unwrap(api.GET('/v1/tenants/{tenantId}/restore-points', { params: { path } })),
      (r) => r.items.length >= 1,
      60_000,
    )
  ).items[0].id;
  return { t, fx, control, connectionId, policyId: policy.id, point, T };
}

/** The body of a restore of that one item, as the vendor takes it (destination, target, paths). */
export function restoreBody(s: ProtectedItemSetup) {
  return { items: [{ restorePointId: s.point, paths: s.fx.paths?.('x') }], destination: s.fx.destination, target: s.fx.target };
}
