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
  // Sandbox backup faults (apps/sandbox/src/avepoint/avepoint.backups.ts), kept across failBackups calls.
  const backupFaults: Array<Record<string, unknown>> = [];
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
    // One day of vendor time: running restores finish and the daily backup (02:00 UTC, 35 minutes) runs, so any
    // day-long window holds one finished backup job: a successful listed run for every item, and a restore point.
    settle: async () => {
      await control.advanceClock(DAY);
    },
    // AvePoint backs up the whole tenant in one job that names no objects (list-jobs.md §Job summary): one object's
    // failure shows only as "Finished with Exception" (a warning) of the tenant's job. For the failure to be
    // reported as a failed run, the tenant's backups fail as a whole from now on (every object, these included).
    failBackups: async () => {
      const { now } = await control.advanceClock(0);
      backupFaults.push({ objects: '*', kind: 'fail', from: now });
      await control.configure({ backupFaults });
    },
    protectedItemRefs: async (n) => sites.slice(0, n),
    restorePaths: () => ['Documents/Shared/Budget.xlsx', 'Documents/Projects/Alpha/'],
    unknownPolicyRef: 'RS20260101000000000',
  };
}

describeAdapterConformance('avepoint', avepointSetup);

describe('avepoint conformance entry: protection-health hooks', () => {
  const ctx = {};
  const listRuns = async (s: ConformanceSetup, itemRefs: string[], since: Date) =>
    (await s.adapter().listBackupRuns!(ctx, { policyRef: 'p', itemRefs, since })).items;

  it('settle() leaves every protected item with a successful listed run and a restore point', async () => {
    const s = await avepointSetup();
    const refs = await s.protectedItemRefs!(3);
    const { now } = await s.control.advanceClock(0);
    await s.settle();
    const runs = await listRuns(s, refs, new Date(now));
    // The runs name no items: each counts for every item of the policy.
    expect(runs.some((r) => r.status === 'succeeded' && r.endedAt! > new Date(now))).toBe(true);
    expect(runs.every((r) => r.items === undefined && r.itemRef === undefined)).toBe(true);
    const points = await s.adapter().listRestorePoints(ctx, { protectedItemRefs: refs, from: new Date(now) });
    expect(new Set(points.items.map((p) => p.protectedItemRef))).toEqual(new Set(refs));
  });

  it('failBackups() makes the next backups fail: after settle() the newest run is failed, older ones stay', async () => {
    const s = await avepointSetup();
    const refs = await s.protectedItemRefs!(2);
    await s.settle();
    const { now } = await s.control.advanceClock(0);
    await s.failBackups!([refs[0]]);
    await s.settle();
    const runs = await listRuns(s, refs, new Date(Date.parse(now) - DAY));
    const after = runs.filter((r) => r.startedAt! >= new Date(now));
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(after.every((r) => r.status === 'failed' && r.error?.code === 'VENDOR_ERROR')).toBe(true);
    expect(runs.filter((r) => r.startedAt! < new Date(now)).every((r) => r.status === 'succeeded')).toBe(true);
  });
});
