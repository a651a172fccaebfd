import { randomBytes, randomUUID } from 'node:crypto';
import { StaticErrorCatalog, systemClock } from '@bg/domain';
import { AZURE_DATAPROTECTION_ERROR_CATALOG } from '@bg/platform/migrations/data/azure-dataprotection.catalog';
import { AZURE_FIXTURE, azureStorageAccounts } from '../../../../apps/sandbox/src/azure-dataprotection/azure.fixtures';
import type { RunningSandbox } from '../../../../apps/sandbox/src/sandbox.server';
import { SandboxControl, startTestSandbox } from '../../../../test/support/sandbox';
import type { BackupVendorPort } from '../port/backup-vendor.port';
import type { AdapterConfig, CallContext, Page, VendorBackupRun } from '../port/port.types';
import { createAdapter } from '../registry';
import { AzureDpClient } from './azure-dataprotection.client';

const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * Protection health of the Azure adapter against the Azure sandbox over HTTPS: backup runs read from the
 * vault's backup jobs, on-demand backups through BackupInstances_AdhocBackup, item state from
 * currentProtectionState. Vendor time moves only by the sandbox clock.
 */
describe('AzureDataProtectionAdapter protection health against the sandbox', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });
  const ctx: CallContext = { requestId: 'azure-health-spec' };

  async function setup(config: Record<string, unknown> = {}) {
    const tenantId = randomUUID();
    const subscriptionId = randomUUID();
    const control = new SandboxControl(sandbox.origin, 'azure', tenantId);
    await control.configure({ tokenLifetimeSeconds: 30 * 86_400, asyncRetryAfterSeconds: 0, ...config });
    const adapterConfig: AdapterConfig = {
      connectionId: randomUUID(),
      endpoint: `${sandbox.origin}/azure/management`,
      credentials: {
        tenantId,
        clientId: randomUUID(),
        clientSecret: randomBytes(24).toString('base64url'),
        authorityHost: `${sandbox.origin}/azure/login`,
        subscriptionId,
        resourceGroup: AZURE_FIXTURE.resourceGroup,
        vaultName: AZURE_FIXTURE.vaultName,
      },
      clock: systemClock,
      catalog: new StaticErrorCatalog(AZURE_DATAPROTECTION_ERROR_CATALOG),
    };
    const adapter = createAdapter('azure-dataprotection', adapterConfig);
    const accounts = azureStorageAccounts(subscriptionId).slice(0, 10);
    const items = (from: number, n: number) =>
      accounts.slice(from, from + n).map((a) => ({ kind: 'storageAccount' as const, externalId: a.id, displayName: a.name }));
    /** A policy through the port with `n` accounts from `from`, its instance names. */
    const protect = async (name: string, from: number, n: number) => {
      const { policy, items: held } = await adapter.createPolicy(ctx, { workload: 'azureBlob', displayName: name, items: items(from, n) });
      expect(held.every((i) => i.protected)).toBe(true);
      return { policyRef: policy.vendorRef, refs: held.map((i) => i.vendorRef) };
    };
    return { control, adapter, adapterConfig, protect };
  }

  async function allRuns(adapter: BackupVendorPort, policyRef: string, itemRefs: string[], since?: Date) {
    const runs: VendorBackupRun[] = [];
    let page: string | undefined;
    let pages = 0;
    do {
      const res: Page<VendorBackupRun> = await adapter.listBackupRuns!(ctx, { policyRef, itemRefs, since }, page);
      runs.push(...res.items);
      page = res.next;
      pages += 1;
    } while (page);
    return { runs, pages };
  }

  it('declares per-item runs and per-item on-demand backups, and creates policies with a daily backup rule', async () => {
    const { adapter, control, protect } = await setup();
    expect(adapter.capabilities.operations).toEqual(expect.arrayContaining(['backupRun.list', 'backup.start']));
    expect(adapter.capabilities.health).toMatchObject({ backupRuns: 'perItem', onDemandBackup: 'item', defaultRpoMinutes: 26 * 60 });
    await protect('daily', 0, 1);
    const put = (await control.calls()).find((c) => c.method === 'PUT' && c.path.includes('/backupPolicies/'))!;
    expect((put.body as any).properties.policyRules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          objectType: 'AzureBackupRule',
          name: 'BackupDaily',
          dataStore: { dataStoreType: 'VaultStore', objectType: 'DataStoreInfoBase' },
          trigger: expect.objectContaining({
            objectType: 'ScheduleBasedTriggerContext',
            schedule: { repeatingTimeIntervals: ['R/2024-01-01T02:00:00+00:00/P1D'] },
          }),
        }),
      ]),
    );
  });

  it("lists the policy's items' scheduled backup jobs as runs, reading the vault's jobs once per page whatever the item count", async () => {
    const { adapter, control, protect } = await setup({ pageSize: 3 });
    const a = await protect('policy a', 0, 3);
    const b = await protect('policy b', 3, 1);
    expect((await allRuns(adapter, a.policyRef, a.refs)).runs).toEqual([]);
    await control.advanceClock(25 * HOUR);
    await control.clearCalls();
    const { runs, pages } = await allRuns(adapter, a.policyRef, a.refs);
    const jobCalls = (await control.calls()).filter((c) => c.path.includes('/backupJobs'));
    expect(pages).toBe(2);
    expect(jobCalls).toHaveLength(pages);
    expect(runs.map((r) => r.itemRef).sort()).toEqual([...a.refs].sort());
    for (const run of runs) {
      expect(run).toMatchObject({
        vendorRef: expect.stringMatching(/^[0-9a-f-]{36}$/),
        policyRef: a.policyRef,
        status: 'succeeded',
        vendorStatus: 'Completed',
        onDemand: false,
        bytesProcessed: expect.any(Number),
      });
      expect(run.startedAt!.toISOString()).toMatch(/T02:00:00\.000Z$/);
      expect(run.endedAt!.getTime() - run.startedAt!.getTime()).toBe(10 * MIN);
      expect(run.error).toBeUndefined();
    }
    expect((await allRuns(adapter, b.policyRef, b.refs)).runs.map((r) => r.itemRef)).toEqual(b.refs);
    const after = new Date(runs[0].startedAt!.getTime() + 1);
    expect((await allRuns(adapter, a.policyRef, a.refs, after)).runs).toEqual([]);
    await control.clearCalls();
    expect(await adapter.listBackupRuns!(ctx, { policyRef: a.policyRef, itemRefs: [] })).toEqual({ items: [] });
    expect(await control.calls()).toEqual([]);
  });

  it('reports failing backups as failed runs with the mapped error, warnings as warning runs, and suspended backups as unprotected items', async () => {
    const { adapter, control, protect } = await setup();
    const { policyRef, refs } = await protect('faults', 0, 4);
    await control.configure({ failBackupsOf: [refs[0]], warnBackupsOf: [refs[1]], suspendBackupsOf: [refs[2]] });
    await control.advanceClock(25 * HOUR);
    const byItem = new Map((await allRuns(adapter, policyRef, refs)).runs.map((r) => [r.itemRef, r]));
    expect(byItem.get(refs[0])).toMatchObject({
      status: 'failed',
      vendorStatus: 'Failed',
      error: { code: 'PERMISSION_DENIED', vendorCode: 'UserErrorMissingRequiredPermissions', message: expect.any(String) },
    });
    expect(byItem.get(refs[0])!.bytesProcessed).toBeUndefined();
    expect(byItem.get(refs[1])).toMatchObject({
      status: 'warning',
      vendorStatus: 'CompletedWithWarnings',
      error: { vendorCode: 'UserErrorBlobsSkipped' },
    });
    expect(byItem.has(refs[2])).toBe(false);
    expect(byItem.get(refs[3])).toMatchObject({ status: 'succeeded' });
    const items = new Map((await adapter.listProtectedItems(ctx, policyRef)).items.map((i) => [i.vendorRef, i]));
    expect(items.get(refs[0])).toMatchObject({ vendorStatus: 'ProtectionError', protected: true });
    expect(items.get(refs[0])!.error).toBeUndefined();
    expect(items.get(refs[0])!.unprotected).toBeUndefined();
    expect(items.get(refs[2])).toMatchObject({ vendorStatus: 'BackupSchedulesSuspended', unprotected: true });
    expect(items.get(refs[3])).toMatchObject({ vendorStatus: 'ProtectionConfigured', protected: true });
    expect(items.get(refs[3])!.unprotected).toBeUndefined();
  });

  it('starts an on-demand backup of one instance with the policy rule, follows the operation to the job and the job to its end', async () => {
    const { adapter, control, protect } = await setup({ adhocAcceptDurationMs: 30_000 });
    const { policyRef, refs } = await protect('on demand', 0, 1);
    await control.clearCalls();
    const started = await adapter.startBackup!(ctx, { clientRef: randomUUID(), policyRef, itemRef: refs[0] });
    const post = (await control.calls()).find((c) => c.method === 'POST')!;
    expect(post.path).toMatch(new RegExp(`/backupInstances/${refs[0]}/backup$`));
    expect(post.body).toEqual({ backupRuleOptions: { ruleName: 'BackupDaily', triggerOption: { retentionTagOverride: 'Default' } } });
    expect(started.run).toMatchObject({ vendorRef: '', itemRef: refs[0], status: 'queued', onDemand: true });
    expect(await adapter.getBackupRun!(ctx, started.ref)).toMatchObject({ status: 'queued', itemRef: refs[0] });
    await control.advanceClock(31_000);
    const running = await adapter.getBackupRun!(ctx, started.ref);
    expect(running).toMatchObject({ status: 'running', vendorRef: expect.stringMatching(/^[0-9a-f-]{36}$/), itemRef: refs[0] });
    const again = await adapter.startBackup!(ctx, { clientRef: randomUUID(), policyRef, itemRef: refs[0] }).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'NOT_ALLOWED_IN_STATE', vendorCode: 'AnotherOperationInProgress', retryable: false });
    await control.advanceClock(10 * MIN);
    const done = await adapter.getBackupRun!(ctx, started.ref);
    expect(done).toMatchObject({ status: 'succeeded', vendorStatus: 'Completed', vendorRef: running.vendorRef, onDemand: true, policyRef });
    const listed = (await allRuns(adapter, policyRef, refs)).runs;
    expect(listed).toEqual([expect.objectContaining({ vendorRef: running.vendorRef, onDemand: true, status: 'succeeded' })]);
  });

  it('ends a failing on-demand backup failed, and refuses one for a policy without a backup rule before calling Azure', async () => {
    const { adapter, adapterConfig, control, protect } = await setup();
    const { policyRef, refs } = await protect('failing', 0, 1);
    await control.configure({ failBackupsOf: refs });
    const started = await adapter.startBackup!(ctx, { clientRef: randomUUID(), policyRef, itemRef: refs[0] });
    await control.advanceClock(11 * MIN);
    expect(await adapter.getBackupRun!(ctx, started.ref)).toMatchObject({
      status: 'failed',
      error: { code: 'PERMISSION_DENIED', vendorCode: 'UserErrorMissingRequiredPermissions' },
    });

    // An operational-only policy (continuous backup, no AzureBackupRule), made directly through ARM.
    const client = new AzureDpClient(adapterConfig);
    const accounts = azureStorageAccounts(adapterConfig.credentials.subscriptionId);
    await client.putPolicy(ctx, 'operational', {
      properties: {
        objectType: 'BackupPolicy',
        datasourceTypes: ['Microsoft.Storage/storageAccounts/blobServices'],
        policyRules: [
          {
            objectType: 'AzureRetentionRule',
            name: 'Default',
            isDefault: true,
            lifecycles: [
              {
                deleteAfter: { objectType: 'AbsoluteDeleteOption', duration: 'P30D' },
                sourceDataStore: { dataStoreType: 'OperationalStore', objectType: 'DataStoreInfoBase' },
              },
            ],
          },
        ],
      },
    });
    const [held] = await adapter.addProtectedItems(ctx, 'operational', [
      { kind: 'storageAccount', externalId: accounts[5].id, displayName: accounts[5].name },
    ]);
    await control.clearCalls();
    const refused = await adapter.startBackup!(ctx, { clientRef: randomUUID(), policyRef: 'operational', itemRef: held.vendorRef }).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'NOT_ALLOWED_IN_STATE', retryable: false });
    expect((await control.calls()).filter((c) => c.method === 'POST')).toEqual([]);
    await client.close();
  });
  it('keeps an instance whose protection was stopped listed as unprotected, and refuses its on-demand backup', async () => {
    const { adapter, adapterConfig, control, protect } = await setup();
    const { policyRef, refs } = await protect('stopped', 0, 2);
    const client = new AzureDpClient(adapterConfig);
    await client.request(ctx, 'POST', `${client.vaultId}/backupInstances/${refs[0]}/stopProtection`, {}, [202]);
    await client.close();
    await control.advanceClock(25 * 3_600_000);
    const items = new Map((await adapter.listProtectedItems(ctx, policyRef)).items.map((i) => [i.vendorRef, i]));
    expect(items.get(refs[0])).toMatchObject({ vendorStatus: 'ProtectionStopped', unprotected: true });
    expect(items.get(refs[1])?.unprotected).toBeUndefined();
    expect((await allRuns(adapter, policyRef, refs)).runs.map((r) => r.itemRef)).toEqual([refs[1]]);
    const refused = await adapter.startBackup!(ctx, { clientRef: randomUUID(), policyRef, itemRef: refs[0] }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'NOT_ALLOWED_IN_STATE', vendorCode: 'UserErrorBackupInstanceNotProtected', retryable: false });
  });
  it("follows the ad-hoc backup's operation in the official examples' URL form too (vault-context status, instance result)", async () => {
    const { adapter, control, protect } = await setup({ asyncUrlForm: 'examples' });
    const { policyRef, refs } = await protect('examples form', 0, 1);
    const started = await adapter.startBackup!(ctx, { clientRef: randomUUID(), policyRef, itemRef: refs[0] });
    expect(started.ref.extra?.asyncOperationUrl).toMatch(/\/backupVaults\/[^/]+\/operationStatus\//);
    expect(started.ref.extra?.locationUrl).toMatch(new RegExp(`/backupInstances/${refs[0]}/operationResults/`));
    await control.advanceClock(10 * MIN);
    expect(await adapter.getBackupRun!(ctx, started.ref)).toMatchObject({ status: 'succeeded', itemRef: refs[0], onDemand: true });
  });
});
