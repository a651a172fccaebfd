import { randomBytes, randomUUID } from 'node:crypto';
import type { VendorId, Workload } from '@bg/domain';
import { graphSandboxBlockedSites, graphSandboxSites } from '../../apps/sandbox/src/graph/graph.fixtures';

/** What an e2e test needs to drive one vendor through the gateway against its sandbox. */
export interface VendorE2eFixture {
  vendor: VendorId;
  /** Sandbox prefix and the scope (vendor account) the connection uses, for SandboxControl. */
  sandboxPrefix: string;
  scope: string;
  workload: Workload;
  /** The connection body (POST /connections); `secret` is the value that must never leak. */
  connection: Record<string, unknown>;
  secret: string;
  /** `n` valid external ids to protect. */
  items(n: number): Array<{ externalId: string; displayName?: string }>;
  /** An item whose restore the sandbox fails (partial success), if the vendor can show it. */
  failingItem?: { externalId: string };
}

export function graphFixture(origin: string): VendorE2eFixture {
  const entraTenant = randomUUID();
  const secret = `sbx-secret-${randomBytes(16).toString('hex')}`;
  return {
    vendor: 'graph', sandboxPrefix: 'graph', scope: entraTenant, workload: 'sharepoint', secret,
    connection: {
      vendor: 'graph', displayName: 'Graph sandbox', endpoint: `${origin}/graph/v1.0`,
      credentials: { tenantId: entraTenant, clientId: randomUUID(), clientSecret: secret, authorityHost: `${origin}/graph/login` },
    },
    items: (n) => graphSandboxSites(entraTenant, n).map((s) => ({ externalId: s.siteId, displayName: s.name })),
    failingItem: { externalId: graphSandboxBlockedSites(entraTenant)[0].siteId },
  };
}

export const E2E_FIXTURES: Record<string, (origin: string) => VendorE2eFixture> = {
  graph: graphFixture,
};
