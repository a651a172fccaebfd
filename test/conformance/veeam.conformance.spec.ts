import { randomBytes } from 'node:crypto';
import { StaticErrorCatalog, systemClock } from '@bg/domain';
import { createAdapter, type AdapterConfig } from '@bg/adapters';
import { VEEAM_ERROR_CATALOG } from '@bg/platform/migrations/data/veeam.catalog';
import type { RunningSandbox } from '../../apps/sandbox/src/sandbox.server';
import { veeamFixtureSites, veeamSandboxPassword } from '../../apps/sandbox/src/veeam/veeam.fixtures';
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

/**
 * A fresh simulated VB365 server (sandbox scope = the user name that signs in) per setup. Policies are
 * SharePoint backup jobs over the server's fixture sites; a job's first backup runs a minute after it is
 * created and takes two, restores take one, so ten minutes of server time settle everything.
 */
export async function veeamSetup(): Promise<ConformanceSetup> {
  const username = `cf-veeam-${randomBytes(6).toString('hex')}`;
  const control = new SandboxControl(sandbox.origin, 'veeam', username);
  const credentials = { username, password: veeamSandboxPassword(username) };
  const config: AdapterConfig = {
    connectionId: `conn-${username}`,
    endpoint: `${sandbox.origin}/veeam`,
    credentials,
    clock: systemClock,
    catalog: new StaticErrorCatalog(VEEAM_ERROR_CATALOG),
  };
  const sites = veeamFixtureSites(username);
  return {
    vendor: 'veeam',
    requestIdHeader: 'x-request-id',
    config,
    control,
    adapter: (creds) => createAdapter('veeam', { ...config, credentials: creds ?? credentials }),
    workload: 'sharepoint',
    items: (n) => sites.slice(0, n).map((s) => ({ kind: 'site' as const, externalId: s.id, displayName: s.title })),
    badCredentials: { username, password: `wrong-${randomBytes(4).toString('hex')}` },
    settle: async () => {
      await control.advanceClock(10 * 60_000);
    },
  };
}

describeAdapterConformance('veeam', veeamSetup);
