import { randomBytes, randomUUID } from 'node:crypto';
import type { VendorId, Workload } from '@bg/domain';
import { graphSandboxBlockedSites, graphSandboxSites } from '../../apps/sandbox/src/graph/graph.fixtures';
import { serverSlug, veeamFixtureSites, veeamSandboxPassword } from '../../apps/sandbox/src/veeam/veeam.fixtures';
import { AZURE_FIXTURE, azureStorageAccounts } from '../../apps/sandbox/src/azure-dataprotection/azure.fixtures';
import { avepointFixtureScopes, avepointSandboxSecret } from '../../apps/sandbox/src/avepoint/avepoint.fixtures';
import type { SandboxControl } from './sandbox';

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
  /** How many items the policy protects (besides failingItem); default 60. */
  itemCount?: number;
  /** Sandbox switches set before the connection is created (e.g. shorter simulated durations). */
  setup?(control: SandboxControl): Promise<void>;
  /** Called once the policy is active, so backups run and restore points appear (e.g. advanceClock). */
  settle?(control: SandboxControl): Promise<void>;
  /** Destination (and target) of the multi-item restore; default 'new' without a target. */
  destination?: 'original' | 'new';
  target?: Record<string, string>;
  /** A destination the vendor does not restore to: the gateway must refuse it (422 UNSUPPORTED_BY_VENDOR). */
  unsupportedDestination?: 'original' | 'new';
  /** Regex (sandbox path, no vendor prefix) of the call that starts a restore, for the 429/400 fault tests. */
  restoreFaultPath?: string;
  /** How many items the multi-item restore holds; default 3 (a vendor restoring one item per job: 1). */
  restoreItems?: number;
  /** File/folder paths sent with each restore item, for vendors that restore files and folders only. */
  paths?(externalId: string): string[];
  /**
   * Protection health: the vendor's backups of these items fail from now on (sandbox fault injection), until
   * `resumeBackups`; the vendor reports it on its next backup (a failed run, or the item's error).
   */
  failBackups?(control: SandboxControl, items: Array<{ externalId: string; vendorRef: string }>): Promise<void>;
  /** The vendor's backups of these items stop happening (no run at all), until `resumeBackups`. */
  stopBackups?(control: SandboxControl, items: Array<{ externalId: string; vendorRef: string }>): Promise<void>;
  resumeBackups?(control: SandboxControl): Promise<void>;
}

export function graphFixture(origin: string): VendorE2eFixture {
  const entraTenant = randomUUID();
  const secret = `sbx-secret-${randomBytes(16).toString('hex')}`;
  return {
    vendor: 'graph',
    sandboxPrefix: 'graph',
    scope: entraTenant,
    workload: 'sharepoint',
    secret,
    connection: {
      vendor: 'graph',
      displayName: 'Graph sandbox',
      endpoint: `${origin}/graph/v1.0`,
      credentials: { tenantId: entraTenant, clientId: randomUUID(), clientSecret: secret, authorityHost: `${origin}/graph/login` },
    },
    items: (n) => graphSandboxSites(entraTenant, n).map((s) => ({ externalId: s.siteId, displayName: s.name })),
    failingItem: { externalId: graphSandboxBlockedSites(entraTenant)[0].siteId },
  };
}

/**
 * A fresh simulated VB365 server (scope = the user name). SharePoint backup jobs over the fixture sites;
 * the last of the 60 sites is the one whose restore the server fails (failRestoreOf). Backups run at once
 * and restores take a second, so the real-time flow settles without moving the clock.
 */
export function veeamFixture(origin: string): VendorE2eFixture {
  const username = `e2e-veeam-${randomBytes(6).toString('hex')}`;
  const secret = veeamSandboxPassword(username);
  const sites = veeamFixtureSites(username);
  const failing = sites[sites.length - 1];
  return {
    vendor: 'veeam',
    sandboxPrefix: 'veeam',
    scope: username,
    workload: 'sharepoint',
    secret,
    connection: { vendor: 'veeam', displayName: 'Veeam sandbox', endpoint: `${origin}/veeam`, credentials: { username, password: secret } },
    items: (n) => sites.slice(0, Math.min(n, sites.length - 1)).map((s) => ({ externalId: s.id, displayName: s.title })),
    failingItem: { externalId: failing.id },
    itemCount: sites.length - 1,
    setup: async (control) => {
      await control.configure({ firstBackupDelayMs: 0, backupDurationMs: 1000, restoreDurationMs: 1000, failRestoreOf: [failing.id] });
    },
    settle: async (control) => {
      await control.advanceClock(5 * 60_000);
    },
    destination: 'new',
    target: { siteUrl: `https://${serverSlug(username)}.sharepoint.com/sites/Restored` },
    restoreFaultPath: '/Organization/Sites/[^/]+/restore(To)?$',
    // The sandbox's per-object fault (failBackupsOf, by site id): the object's log line is Error, the session Failed.
    failBackups: async (control, items) => {
      await control.configure({ failBackupsOf: items.map((i) => i.externalId) });
    },
    stopBackups: async (control, items) => {
      await control.configure({ skipBackupsOf: items.map((i) => i.externalId) });
    },
    resumeBackups: async (control) => {
      await control.configure({ failBackupsOf: [], skipBackupsOf: [] });
    },
  };
}

/**
 * A fresh Entra tenant (scope) and subscription with the fixture vault. Operational blob backups restore
 * to the original account only and per-item restore failures cannot be shown (failRestores is per scope).
 */
export function azureFixture(origin: string): VendorE2eFixture {
  const tenantId = randomUUID();
  const subscriptionId = randomUUID();
  const secret = randomBytes(24).toString('base64url');
  const accounts = azureStorageAccounts(subscriptionId).filter((a) => a.name !== AZURE_FIXTURE.noPermissionAccount);
  return {
    vendor: 'azure-dataprotection',
    sandboxPrefix: 'azure',
    scope: tenantId,
    workload: 'azureBlob',
    secret,
    connection: {
      vendor: 'azure-dataprotection',
      displayName: 'Azure sandbox',
      endpoint: `${origin}/azure/management`,
      credentials: {
        tenantId,
        clientId: randomUUID(),
        clientSecret: secret,
        authorityHost: `${origin}/azure/login`,
        subscriptionId,
        resourceGroup: AZURE_FIXTURE.resourceGroup,
        vaultName: AZURE_FIXTURE.vaultName,
      },
    },
    items: (n) => accounts.slice(0, n).map((a) => ({ externalId: a.id, displayName: a.name })),
    setup: async (control) => {
      await control.configure({
        tokenLifetimeSeconds: 24 * 3600,
        asyncRetryAfterSeconds: 0,
        protectionDurationMs: 0,
        restoreDurationMs: 1000,
        readBucket: 100_000,
        readRefillPerSecond: 1000,
      });
    },
    destination: 'original',
    unsupportedDestination: 'new',
    restoreFaultPath: '/backupInstances/[^/]+/restore$',
    // The sandbox's per-instance fault (azure.backups.ts): the instances' backup jobs end Failed.
    failBackups: async (control, items) => {
      await control.configure({ failBackupsOf: items.map((i) => i.vendorRef) });
    },
    stopBackups: async (control, items) => {
      await control.configure({ skipBackupsOf: items.map((i) => i.vendorRef) });
    },
    resumeBackups: async (control) => {
      await control.configure({ failBackupsOf: [], skipBackupsOf: [] });
    },
  };
}

/**
 * A fresh AvePoint tenant (scope = the app's client id). AvePoint has no policy API, so the gateway emulates
 * the policy and lists restore points (the tenant's daily backups, 30 days of them) for its SharePoint sites.
 * Restores are in place only, one site per job, of files and folders; the sandbox fails no single item.
 */
export function avepointFixture(origin: string): VendorE2eFixture {
  const clientId = `e2e${randomBytes(8).toString('hex')}`;
  const secret = avepointSandboxSecret(clientId);
  const sites = avepointFixtureScopes(clientId)
    .filter((s) => s.serviceType === 1)
    .map((s) => s.key);
  return {
    vendor: 'avepoint',
    sandboxPrefix: 'avepoint',
    scope: clientId,
    workload: 'sharepoint',
    secret,
    connection: {
      vendor: 'avepoint',
      displayName: 'AvePoint sandbox',
      endpoint: `${origin}/avepoint/api`,
      credentials: { clientId, clientSecret: secret, identityEndpoint: `${origin}/avepoint/identity` },
    },
    items: (n) => sites.slice(0, n).map((url) => ({ externalId: url, displayName: url.slice(url.lastIndexOf('/') + 1) })),
    itemCount: sites.length,
    setup: async (control) => {
      await control.configure({ retentionDays: 30, restoreDurationMs: 1000 });
    },
    destination: 'original',
    unsupportedDestination: 'new',
    restoreFaultPath: '/backup/m365/restore/jobs$',
    restoreItems: 1,
    paths: () => ['Documents/Shared/Budget.xlsx', 'Documents/Projects/Alpha/'],
    // AvePoint's job record names no objects (one job per tenant): one failing object only makes the job end "Finished
    // with Exception" (a warning for every item), so the whole tenant's backup is failed (avepoint.backups.ts).
    failBackups: async (control) => {
      const { now } = await control.advanceClock(0);
      await control.configure({ backupFaults: [{ objects: '*', kind: 'fail', from: now }] });
    },
    // Every object left out: the tenant's job does not run at all.
    stopBackups: async (control) => {
      const { now } = await control.advanceClock(0);
      await control.configure({ backupFaults: [{ objects: '*', kind: 'stop', from: now }] });
    },
    resumeBackups: async (control) => {
      const { now } = await control.advanceClock(0);
      const { config } = await control.configure({});
      const faults = (config.backupFaults as Array<Record<string, unknown>> | undefined) ?? [];
      await control.configure({ backupFaults: faults.map((f) => ({ ...f, until: f.until ?? now })) });
    },
  };
}

export const E2E_FIXTURES: Record<string, (origin: string) => VendorE2eFixture> = {
  graph: graphFixture,
  veeam: veeamFixture,
  'azure-dataprotection': azureFixture,
  avepoint: avepointFixture,
};
