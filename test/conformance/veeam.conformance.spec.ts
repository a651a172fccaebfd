import { randomBytes, randomUUID } from 'node:crypto';
import { StaticErrorCatalog, systemClock } from '@bg/domain';
import { createAdapter, type AdapterConfig } from '@bg/adapters';
import { VEEAM_ERROR_CATALOG } from '@bg/platform/migrations/data/veeam.catalog';
import type { RunningSandbox } from '../../apps/sandbox/src/sandbox.server';
import { veeamFixtureSites, veeamSandboxPassword } from '../../apps/sandbox/src/veeam/veeam.fixtures';
import { SandboxControl, startTestSandbox } from '../support/sandbox';
import { decodeOperation } from '@bg/adapters/veeam/veeam.mapping';
import { describeAdapterConformance, restoreRequest } from './adapter-conformance';
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
 * created, then daily, and takes two minutes; restores take one. settle() moves the server clock 25 hours, so
 * every job has had a session after its newest item was added (an item added to an existing job waits for the
 * next daily run) and every restore has ended. failBackups() names the items' sites in the sandbox's
 * failBackupsOf: from the next session on their objects end Error and the session Failed.
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
  const failing = new Set<string>();
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
      await control.advanceClock(25 * 60 * 60_000);
    },
    failBackups: async (itemRefs) => {
      // Item refs are `<jobId>:Site:<site id>` (veeam.mapping itemRef); the sandbox matches a site by its id.
      for (const ref of itemRefs) failing.add(ref.split(':').pop()!);
      await control.configure({ failBackupsOf: [...failing] });
    },
  };
}

describeAdapterConformance('veeam', veeamSetup);

describe('veeam restores of one site by two jobs at once', () => {
  const restoreSessions = (ref: { vendorRef: string; extra?: Record<string, string> }) =>
    decodeOperation(ref).flatMap((e) => e.restoreSessionIds ?? []);

  it('each job starts its own restore; only a resumed start adopts what an earlier start of the same job began', async () => {
    const s = await veeamSetup();
    const adapter = s.adapter();
    const ctx = {};
    const a = await restoreRequest(s, adapter, 1);
    const b = { ...a, clientRef: randomUUID() };
    const preparedA = await adapter.prepareRestore(ctx, a);
    const preparedB = await adapter.prepareRestore(ctx, b);
    const startedA = await adapter.startRestore(ctx, preparedA, a);
    // B's explore session is older than A's restore session, which is about the same site: a first start
    // must not take it for its own (found by the fault drills: B "succeeded" with no restore of its own).
    const startedB = await adapter.startRestore(ctx, preparedB, b);
    expect(restoreSessions(startedA.ref)).toHaveLength(1);
    expect(restoreSessions(startedB.ref)).toHaveLength(1);
    expect(restoreSessions(startedB.ref)).not.toEqual(restoreSessions(startedA.ref));
    // A start interrupted after Veeam accepted it, started again from the prepared ref: A's session is
    // adopted, no third restore is made.
    await s.control.clearCalls();
    const resumed = await adapter.startRestore(ctx, preparedA, a, { resuming: true });
    expect(restoreSessions(resumed.ref)).toEqual(restoreSessions(startedA.ref));
    expect((await s.control.calls()).filter((c) => c.method === 'POST' && /restore/i.test(c.path) && !/explore/i.test(c.path))).toEqual([]);
  });

  it("reconciling a job whose start never reached Veeam finds nothing, though another job's restore of the same site is there (held by that job)", async () => {
    const s = await veeamSetup();
    const adapter = s.adapter();
    const ctx = {};
    const a = await restoreRequest(s, adapter, 1);
    const b = { ...a, clientRef: randomUUID() };
    // A is prepared (its explore session exists) and its worker dies before the restore action; B restores the site.
    const preparedA = await adapter.prepareRestore(ctx, a);
    const startedB = await adapter.startRestore(ctx, await adapter.prepareRestore(ctx, b), b);
    const heldByB = new Set(restoreSessions(startedB.ref));
    const asked: string[][] = [];
    const heldByOthers = async (ids: string[]) => {
      asked.push(ids);
      return new Set(ids.filter((id) => heldByB.has(id)));
    };
    // Found by the fault drills: A "succeeded" with B's restore session as its own.
    expect(await adapter.findRestore(ctx, a, preparedA, { heldByOthers })).toBeUndefined();
    expect(asked.flat()).toEqual(expect.arrayContaining([...heldByB]));
    const resumed = await adapter.startRestore(ctx, preparedA, a, { resuming: true, heldByOthers });
    expect(restoreSessions(resumed.ref)).toHaveLength(1);
    expect(restoreSessions(resumed.ref)).not.toEqual([...heldByB]);
  });
});

describe('veeam conformance hooks', () => {
  const ctx = {};
  const runsOf = async (s: ConformanceSetup, policyRef: string) =>
    (await s.adapter().listBackupRuns!(ctx, { policyRef, itemRefs: [] })).items;

  it('settle() leaves every protected item, one added later too, with a successful listed run and a restore point', async () => {
    const s = await veeamSetup();
    const adapter = s.adapter();
    const [a, b, c] = s.items(3);
    const { policy } = await adapter.createPolicy(ctx, { workload: s.workload, displayName: 'settle', items: [a, b] });
    await s.settle();
    await adapter.addProtectedItems(ctx, policy.vendorRef, [c]);
    await s.settle();
    const refs = (await adapter.listProtectedItems(ctx, policy.vendorRef)).items.map((i) => i.vendorRef);
    expect(refs).toHaveLength(3);
    const runs = await runsOf(s, policy.vendorRef);
    for (const ref of refs) {
      expect(runs.some((r) => r.status === 'succeeded' && r.items?.some((i) => i.itemRef === ref && i.status === 'succeeded'))).toBe(true);
      expect((await adapter.listRestorePoints(ctx, { protectedItemRefs: [ref] })).items.length).toBeGreaterThan(0);
    }
  });

  it("failBackups() makes the items' next runs fail, the other items' still succeed", async () => {
    const s = await veeamSetup();
    const adapter = s.adapter();
    const { policy } = await adapter.createPolicy(ctx, { workload: s.workload, displayName: 'failing', items: s.items(2) });
    await s.settle();
    const [bad, good] = (await adapter.listProtectedItems(ctx, policy.vendorRef)).items.map((i) => i.vendorRef);
    await s.failBackups!([bad]);
    await s.settle();
    const [newest] = await runsOf(s, policy.vendorRef);
    expect(newest).toMatchObject({ status: 'failed', vendorStatus: 'Failed' });
    expect(newest.items).toEqual([
      { itemRef: bad, status: 'failed', error: expect.objectContaining({ code: 'VENDOR_ERROR', vendorCode: 'Error' }) },
      { itemRef: good, status: 'succeeded' },
    ]);
  });
});
