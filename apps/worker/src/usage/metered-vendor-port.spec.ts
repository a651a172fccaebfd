import { randomBytes, randomUUID } from 'node:crypto';
import { StaticErrorCatalog, systemClock } from '@bg/domain';
import { createAdapter, type BackupVendorPort, type VendorCallRecord } from '@bg/adapters';
import { GRAPH_ERROR_CATALOG } from '@bg/platform/migrations/data/graph.catalog';
import type { RunningSandbox } from '../../../sandbox/src/sandbox.server';
import { graphSandboxSites } from '../../../sandbox/src/graph/graph.fixtures';
import { SandboxControl, startTestSandbox } from '../../../../test/support/sandbox';
import { MeteredVendorPort } from './metered-vendor-port';

/** The metering wrapper against the Graph sandbox over real HTTPS: it must see every call the vendor received. */
describe('MeteredVendorPort', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  function graph(): { adapter: BackupVendorPort; control: SandboxControl; tenantId: string } {
    const tenantId = randomUUID();
    const adapter = createAdapter('graph', {
      connectionId: randomUUID(),
      endpoint: `${sandbox.origin}/graph/v1.0`,
      clock: systemClock,
      catalog: new StaticErrorCatalog(GRAPH_ERROR_CATALOG),
      credentials: {
        tenantId,
        clientId: randomUUID(),
        clientSecret: randomBytes(24).toString('base64url'),
        authorityHost: `${sandbox.origin}/graph/login`,
      },
    });
    return { adapter, control: new SandboxControl(sandbox.origin, 'graph', tenantId), tenantId };
  }

  it("reports every call the vendor received, token requests included, and still calls the caller's hook", async () => {
    const { adapter, control, tenantId } = graph();
    const metered: VendorCallRecord[] = [];
    const callers: VendorCallRecord[] = [];
    const port = new MeteredVendorPort(adapter, (c) => metered.push(c));
    await port.verify({});
    const sites = graphSandboxSites(tenantId, 3).map((s) => ({ kind: 'site' as const, externalId: s.siteId }));
    const { policy } = await port.createPolicy(
      { onVendorCall: (c) => callers.push(c) },
      { workload: 'sharepoint', displayName: 'metered', items: sites },
    );
    await port.listProtectedItems({}, policy.vendorRef);
    await expect(port.getPolicy({}, randomUUID())).rejects.toMatchObject({ vendor: 'graph', httpStatus: 404 });

    const received = await control.calls();
    expect(received.length).toBeGreaterThan(3);
    expect(metered.map((c) => [c.method, c.status])).toEqual(received.map((c) => [c.method, c.status]));
    expect(metered.some((c) => c.path.includes('/login/'))).toBe(true);
    expect(callers.length).toBeGreaterThan(0);
    expect(metered).toEqual(expect.arrayContaining(callers));
    expect(port.capabilities).toBe(adapter.capabilities);
  });
});
