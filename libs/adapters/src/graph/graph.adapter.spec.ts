import { StaticErrorCatalog, systemClock } from '@bg/domain';
import type { CallContext, RestoreRequest, VendorCallRecord } from '../port/port.types';
import { GraphAdapter } from './graph.adapter';

/** Checks the adapter makes before any call: nothing may reach the network (the endpoint is unroutable). */
describe('GraphAdapter refusals before any vendor call', () => {
  const calls: VendorCallRecord[] = [];
  const ctx: CallContext = { onVendorCall: (c) => calls.push(c) };
  const adapter = new GraphAdapter({
    connectionId: 'c',
    endpoint: 'https://graph.invalid/v1.0',
    clock: systemClock,
    catalog: new StaticErrorCatalog([]),
    credentials: {
      tenantId: '00000000-0000-0000-0000-000000000001',
      clientId: 'app',
      clientSecret: 'x'.repeat(20),
      authorityHost: 'https://login.invalid',
    },
  });
  const restore = (n: number, paths?: string[]): RestoreRequest => ({
    clientRef: 'job',
    workload: 'onedrive',
    destination: 'new',
    items: Array.from({ length: n }, (_, i) => ({
      restorePointRef: `rp-${i}`,
      protectedItemRef: `u-${i}`,
      externalId: `e-${i}`,
      pointInTime: new Date(0),
      paths,
    })),
  });
  afterEach(() => expect(calls).toEqual([]));

  it('refuses more than 50 restore artifacts with LIMIT_EXCEEDED (seed 000: RestoreArtifactsLimitBreached)', async () => {
    await expect(adapter.prepareRestore(ctx, restore(51))).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
      retryable: false,
      vendor: 'graph',
    });
  });

  it('refuses path-level restores as UNSUPPORTED_BY_VENDOR (whole items only)', async () => {
    await expect(adapter.prepareRestore(ctx, restore(1, ['/Documents/a.docx']))).rejects.toMatchObject({ code: 'UNSUPPORTED_BY_VENDOR' });
  });

  it('refuses workloads Graph does not protect', async () => {
    await expect(adapter.createPolicy(ctx, { workload: 'teams', displayName: 'x', items: [] })).rejects.toMatchObject({
      code: 'UNSUPPORTED_BY_VENDOR',
    });
    await expect(adapter.prepareRestore(ctx, { ...restore(1), workload: 'azureBlob' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_BY_VENDOR',
    });
  });

  it('refuses items of another kind and policy names over 1024 characters (seed 000: InvalidDisplayName)', async () => {
    await expect(
      adapter.createPolicy(ctx, { workload: 'sharepoint', displayName: 'p', items: [{ kind: 'mailbox', externalId: 'm' }] }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(
      adapter.createPolicy(ctx, { workload: 'sharepoint', displayName: 'n'.repeat(1025), items: [{ kind: 'site', externalId: 's' }] }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('refuses a policy rule without groups or naming something other than group object ids (seed 000: InvalidInclusionRuleCreateRequest)', async () => {
    await expect(adapter.createPolicyRule(ctx, 'p', { groupIds: [] })).rejects.toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    await expect(adapter.createPolicyRule(ctx, 'p', { groupIds: ["x'])) or (true"] })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('refuses a malformed restore point page token', async () => {
    await expect(adapter.listRestorePoints(ctx, { protectedItemRefs: ['u'] }, 'not-a-token')).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('rejects credentials missing a field, naming the field and not the secret', () => {
    expect(
      () =>
        new GraphAdapter({
          connectionId: 'c',
          endpoint: 'https://graph.invalid/v1.0',
          clock: systemClock,
          catalog: new StaticErrorCatalog([]),
          credentials: { tenantId: 't', clientSecret: 'sssssssssssssssss' },
        }),
    ).toThrow(/clientId/);
  });
});
