import { randomBytes } from 'node:crypto';
import { StaticErrorCatalog, systemClock } from '@bg/domain';
import { createAdapter, type AdapterConfig } from '@bg/adapters';
import { AVEPOINT_ERROR_CATALOG } from '@bg/platform/migrations/data/avepoint.catalog';
import type { RunningSandbox } from '../../apps/sandbox/src/sandbox.server';
import { avepointFixtureScopes, avepointSandboxSecret } from '../../apps/sandbox/src/avepoint/avepoint.fixtures';
import { SandboxControl, startTestSandbox } from '../support/sandbox';
import { describeAdapterConformance } from './adapter-conformance';
import type { ConformanceSetup } from './conformance.types';

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

const DAY = 24 * 3600 * 1000;

/**
 * A fresh AvePoint tenant (sandbox scope = the app's client id) per setup. AvePoint backs up the whole
 * tenant without policies, so every fixture site is protected and has a daily backup (a restore point).
 */
export async function avepointSetup(): Promise<ConformanceSetup> {
  const clientId = `cf${randomBytes(8).toString('hex')}`;
  const origin = sandbox.origin;
  const control = new SandboxControl(origin, 'avepoint', clientId);
  // 60 days of daily backups: one item's restore points span two pages of 50 (the adapter's page size).
  await control.configure({ retentionDays: 60 });
  const credentials = { clientId, clientSecret: avepointSandboxSecret(clientId), identityEndpoint: `${origin}/avepoint/identity` };
  const config: AdapterConfig = {
    connectionId: `conn-${clientId}`,
    endpoint: `${origin}/avepoint/api`,
    credentials,
    clock: systemClock,
    catalog: new StaticErrorCatalog(AVEPOINT_ERROR_CATALOG),
  };
  const sites = avepointFixtureScopes(clientId)
    .filter((s) => s.serviceType === 1)
    .map((s) => s.key);
  return {
    vendor: 'avepoint',
    requestIdHeader: 'x-request-id',
    config,
    control,
    adapter: (creds) => createAdapter('avepoint', { ...config, credentials: creds ?? credentials }),
    workload: 'sharepoint',
    items: (n) => Array.from({ length: n }, (_, i) => ({ kind: 'site' as const, externalId: sites[i] ?? `${sites[0]}-${i}` })),
    badCredentials: { ...credentials, clientSecret: `bad-${randomBytes(8).toString('hex')}` },
    // One day of vendor time: running restores finish and the next daily backup is taken.
    settle: async () => {
      await control.advanceClock(DAY);
    },
    protectedItemRefs: async (n) => sites.slice(0, n),
    restorePaths: () => ['Documents/Shared/Budget.xlsx', 'Documents/Projects/Alpha/'],
    unknownPolicyRef: 'RS20260101000000000',
  };
}

describeAdapterConformance('avepoint', avepointSetup);
