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
  const connectionId = (await t.tenant.post(`${T}/connections`, fx.connection)).body.id;
  const policy = (
    await t.tenant.post(`${T}/policies`, { connectionId, workload: fx.workload, displayName: `${vendor} item`, items: fx.items(1) })
  ).body;
  await eventually(
    () => t.tenant.get(`${T}/policies/${policy.id}`),
    (r) => ['active', 'failed'].includes(r.body.status),
    60_000,
  );
  await fx.settle?.(control);
  const point = (
    await eventually(
      () => t.tenant.get(`${T}/restore-points`),
      (r) => r.body.items?.length >= 1,
      60_000,
    )
  ).body.items[0].id;
  return { t, fx, control, connectionId, policyId: policy.id, point, T };
}

/** The body of a restore of that one item, as the vendor takes it (destination, target, paths). */
export function restoreBody(s: ProtectedItemSetup) {
  return { items: [{ restorePointId: s.point, paths: s.fx.paths?.('x') }], destination: s.fx.destination, target: s.fx.target };
}
