import { randomBytes, randomUUID } from 'node:crypto';
import { StaticErrorCatalog, systemClock } from '@bg/domain';
import {
  createAdapter,
  type AdapterConfig,
  type BackupVendorPort,
  type CallContext,
  type VendorBackupRun,
  type VendorCallRecord,
} from '@bg/adapters';
import { AzureDpClient } from '../../libs/adapters/src/azure-dataprotection/azure-dataprotection.client';
import { blobBackupInstance } from '../../libs/adapters/src/azure-dataprotection/azure-dataprotection.mapping';
import { AZURE_DATAPROTECTION_ERROR_CATALOG } from '@bg/platform/migrations/data/azure-dataprotection.catalog';
import type { RunningSandbox } from '../../apps/sandbox/src/sandbox.server';
import { AZURE_FIXTURE, azureStorageAccounts } from '../../apps/sandbox/src/azure-dataprotection/azure.fixtures';
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

const HOUR = 3600 * 1000;

/** A fresh Entra tenant (sandbox scope) and subscription per setup, with the fixture vault bv-sandbox. */
export async function azureSetup(config: Record<string, unknown> = {}): Promise<ConformanceSetup> {
  const tenantId = randomUUID();
  const subscriptionId = randomUUID();
  const origin = sandbox.origin;
  const control = new SandboxControl(origin, 'azure', tenantId);
  // Tokens live a day (less than the 25 hours after which the shared suite expects a token refused).
  // Retry-After 0 keeps the validateForBackup / validateRestore polling of every test fast.
  await control.configure({ tokenLifetimeSeconds: 24 * 3600, asyncRetryAfterSeconds: 0, ...config });
  const credentials = {
    tenantId,
    clientId: randomUUID(),
    clientSecret: randomBytes(24).toString('base64url'),
    authorityHost: `${origin}/azure/login`,
    subscriptionId,
    resourceGroup: AZURE_FIXTURE.resourceGroup,
    vaultName: AZURE_FIXTURE.vaultName,
  };
  const adapterConfig: AdapterConfig = {
    connectionId: randomUUID(),
    endpoint: `${origin}/azure/management`,
    credentials,
    clock: systemClock,
    catalog: new StaticErrorCatalog(AZURE_DATAPROTECTION_ERROR_CATALOG),
  };
  const accounts = azureStorageAccounts(subscriptionId).filter((a) => a.name !== AZURE_FIXTURE.noPermissionAccount);
  const failing: string[] = [];
  return {
    vendor: 'azure-dataprotection',
    requestIdHeader: 'x-ms-client-request-id',
    config: adapterConfig,
    control,
    adapter: (creds) => createAdapter('azure-dataprotection', { ...adapterConfig, credentials: creds ?? credentials }),
    workload: 'azureBlob',
    items: (n) => {
      if (n > accounts.length) throw new Error(`the Azure sandbox has ${accounts.length} storage accounts per subscription`);
      return accounts.slice(0, n).map((a) => ({ kind: 'storageAccount' as const, externalId: a.id, displayName: a.name }));
    },
    badCredentials: { ...credentials, clientSecret: `bad-${randomBytes(12).toString('hex')}` },
    // 25 hours of vendor time: every protected instance's daily BackupDaily job (02:00 UTC, 10 min) has run
    // and finished, restores finish (60 s); protection (1 s) the adapter already waits for. Tokens (24 h)
    // expire on the way: the adapter takes a new one on the 401.
    settle: async () => {
      await control.advanceClock(25 * HOUR);
    },
    // The sandbox's per-instance fault: their backup jobs end Failed (UserErrorMissingRequiredPermissions).
    failBackups: async (itemRefs) => {
      failing.push(...itemRefs);
      await control.configure({ failBackupsOf: [...failing] });
    },
    pageSize: async (n) => {
      await control.configure({ pageSize: n });
    },
  };
}

describeAdapterConformance('azure-dataprotection', azureSetup);

/** Azure-only behaviour (the shared suite stays vendor-blind). */
describe('azure-dataprotection adapter against the Azure sandbox', () => {
  const recording = (): { ctx: CallContext; records: VendorCallRecord[] } => {
    const records: VendorCallRecord[] = [];
    return { ctx: { requestId: randomUUID(), onVendorCall: (r) => records.push(r) }, records };
  };
  const ctx = { requestId: 'azure-spec' };
  const armPath = (p: string) => p.replace(/^\/management/, '');

  it('gets its token from Entra with the client secret; a refused secret is AUTH_FAILED with the AADSTS code', async () => {
    const s = await azureSetup();
    const e = await s
      .adapter(s.badCredentials)
      .verify(ctx)
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'AUTH_FAILED', vendorCode: 'AADSTS7000215', retryable: false });
    await s.control.clearCalls();
    const { ctx: c1, records } = recording();
    await s.adapter().verify(c1);
    const tenant = s.config.credentials.tenantId;
    expect((await s.control.calls()).map((c) => [c.method, c.path.replace(tenant, '{tenant}'), c.status])).toEqual([
      ['GET', '/login/{tenant}/v2.0/.well-known/openid-configuration', 200],
      ['POST', '/login/{tenant}/oauth2/v2.0/token', 200],
      [
        'GET',
        `/management/subscriptions/${s.config.credentials.subscriptionId}/resourceGroups/${AZURE_FIXTURE.resourceGroup}/providers/Microsoft.DataProtection/backupVaults/${AZURE_FIXTURE.vaultName}`,
        200,
      ],
    ]);
    expect(records.map((r) => r.status)).toEqual([200, 200, 200]);
    const token = (await s.control.calls())[1].body as Record<string, string>;
    expect(token).toMatchObject({
      grant_type: 'client_credentials',
      scope: 'https://management.azure.com/.default',
      client_id: s.config.credentials.clientId,
    });
  });

  it('on an expired token: one 401 ExpiredAuthenticationToken, a new token, the same request again', async () => {
    const s = await azureSetup();
    const adapter = s.adapter();
    await adapter.verify(ctx);
    await s.control.advanceClock(25 * HOUR);
    await s.control.clearCalls();
    await expect(adapter.verify(ctx)).resolves.toMatchObject({ ok: true });
    const calls = (await s.control.calls()).map((c) => [
      c.method,
      c.path.replace(s.config.credentials.tenantId, '{tenant}').replace(/\/subscriptions\/.*$/, '/subscriptions/…'),
      c.status,
    ]);
    expect(calls).toEqual([
      ['GET', '/management/subscriptions/…', 401],
      ['GET', '/login/{tenant}/v2.0/.well-known/openid-configuration', 200],
      ['POST', '/login/{tenant}/oauth2/v2.0/token', 200],
      ['GET', '/management/subscriptions/…', 200],
    ]);
  });

  it('retries a 401 only once, then AUTH_FAILED with the ARM code', async () => {
    const s = await azureSetup();
    const adapter = s.adapter();
    await adapter.verify(ctx);
    await s.control.injectFault({
      method: 'GET',
      path: '^/management/',
      status: 401,
      count: 5,
      body: { error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' } },
    });
    await s.control.clearCalls();
    const e = await adapter.verify(ctx).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'AUTH_FAILED', vendorCode: 'InvalidAuthenticationToken', httpStatus: 401, retryable: false });
    expect((await s.control.calls()).filter((c) => c.path.startsWith('/management/'))).toHaveLength(2);
  });

  it('protects an account as seed 004 does: validateForBackup 202, poll operationStatus and Location, PUT 201, poll its operation', async () => {
    const s = await azureSetup();
    const adapter = s.adapter();
    await s.control.clearCalls();
    const { items } = await adapter.createPolicy(ctx, { workload: 'azureBlob', displayName: 'seed 004', items: s.items(1) });
    expect(items).toEqual([
      expect.objectContaining({ externalId: s.items(1)[0].externalId, vendorStatus: 'ProtectionConfigured', protected: true }),
    ]);
    expect(items[0].error).toBeUndefined();
    const calls = (await s.control.calls())
      .filter((c) => c.path.startsWith('/management/'))
      .map((c) => [
        c.method,
        armPath(c.path)
          .replace(/^\/subscriptions\/[^/]+/, '')
          .replace(/operation(Status|Results)\/[^/]+$/, 'operation$1/{id}'),
        c.status,
        c.query?.['api-version'],
      ]);
    const vault = `/resourceGroups/${AZURE_FIXTURE.resourceGroup}/providers/Microsoft.DataProtection/backupVaults/${AZURE_FIXTURE.vaultName}`;
    expect(calls).toEqual([
      ['GET', `${vault}/backupPolicies/seed-20-004`, 404, '2024-04-01'],
      ['PUT', `${vault}/backupPolicies/seed-20-004`, 200, '2024-04-01'],
      ['GET', vault, 200, '2024-04-01'],
      ['GET', `${vault}/backupInstances`, 200, '2024-04-01'],
      // The policy backs up to the vault daily: the instance names the account's containers (BlobContainers_List).
      [
        'GET',
        '/resourceGroups/rg-storage/providers/Microsoft.Storage/storageAccounts/bgblob01/blobServices/default/containers',
        200,
        '2023-05-01',
      ],
      ['POST', `${vault}/validateForBackup`, 202, '2024-04-01'],
      ['GET', '/providers/Microsoft.DataProtection/locations/westus/operationStatus/{id}', 200, '2024-04-01'],
      ['GET', '/providers/Microsoft.DataProtection/locations/westus/operationResults/{id}', 200, '2024-04-01'],
      ['PUT', expect.stringMatching(new RegExp(`^${vault}/backupInstances/bgblob01-[0-9a-f]{12}$`)), 201, '2024-04-01'],
      // seed 004 §Responses to configure backup request: the PUT's Azure-AsyncOperation until Succeeded, then the instance
      ...Array(calls.length - 10).fill([
        'GET',
        '/providers/Microsoft.DataProtection/locations/westus/operationStatus/{id}',
        200,
        '2024-04-01',
      ]),
      ['GET', expect.stringMatching(new RegExp(`^${vault}/backupInstances/bgblob01-[0-9a-f]{12}$`)), 200, '2024-04-01'],
    ]);
    expect(calls.length).toBeGreaterThan(9);
    const put = (await s.control.calls()).find((c) => c.method === 'PUT' && c.path.includes('/backupInstances/'))!;
    expect(put.body).toEqual({
      properties: expect.objectContaining({
        objectType: 'BackupInstance',
        dataSourceInfo: expect.objectContaining({
          datasourceType: 'Microsoft.Storage/storageAccounts/blobServices',
          resourceID: s.items(1)[0].externalId,
        }),
        policyInfo: expect.objectContaining({
          policyParameters: {
            backupDatasourceParametersList: [
              { objectType: 'BlobBackupDatasourceParameters', containersList: [...AZURE_FIXTURE.containers] },
            ],
          },
        }),
      }),
    });
  });

  it('refuses a vaulted backup instance that names no containers, or one the account does not have (sandbox: BMSUserErrorInvalidInput)', async () => {
    const s = await azureSetup();
    const adapter = s.adapter();
    const { policy } = await adapter.createPolicy(ctx, { workload: 'azureBlob', displayName: 'vaulted', items: [] });
    const client = new AzureDpClient(s.config);
    const account = s.items(1)[0].externalId;
    const policyId = `${client.vaultId}/backupPolicies/${policy.vendorRef}`;
    const instance = (containers?: string[]) => ({
      backupInstance: blobBackupInstance(account, policyId, AZURE_FIXTURE.location, undefined, containers),
    });
    for (const containers of [undefined, ['no-such-container']]) {
      const e = await client.validateForBackup(ctx, instance(containers)).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toMatchObject({ code: 'INVALID_REQUEST', vendorCode: 'BMSUserErrorInvalidInput' });
    }
  });

  it("follows operation URLs in the official examples' forms too (vault context, resource group, backup instance)", async () => {
    const s = await azureSetup({ asyncUrlForm: 'examples', validateDurationMs: 500, restoreDurationMs: 1000 });
    const adapter = s.adapter();
    const { policy, items } = await adapter.createPolicy(ctx, { workload: 'azureBlob', displayName: 'examples', items: s.items(1) });
    expect(items[0]).toMatchObject({ protected: true, vendorStatus: 'ProtectionConfigured' });
    await s.settle();
    const [point] = (await adapter.listRestorePoints(ctx, { protectedItemRefs: [items[0].vendorRef] })).items;
    const req = {
      clientRef: randomUUID(),
      workload: 'azureBlob' as const,
      destination: 'original' as const,
      items: [
        {
          restorePointRef: point.vendorRef,
          protectedItemRef: items[0].vendorRef,
          externalId: items[0].externalId,
          pointInTime: point.pointInTime,
        },
      ],
    };
    const { ref } = await adapter.startRestore(ctx, await adapter.prepareRestore(ctx, req), req);
    await s.settle();
    expect((await adapter.getRestore(ctx, ref)).state).toBe('succeeded');
    await adapter.deletePolicy(ctx, policy.vendorRef);
    const vault = `/resourceGroups/${AZURE_FIXTURE.resourceGroup}/providers/Microsoft.DataProtection`;
    const polled = new Set(
      (await s.control.calls())
        .filter((c) => /\/operation(Status|Results)\//.test(c.path))
        .map((c) =>
          armPath(c.path)
            .replace(/^\/subscriptions\/[^/]+/, '')
            .replace(/backupInstances\/[^/]+\//, 'backupInstances/{bi}/')
            .replace(/\/[^/]+$/, '/{id}'),
        ),
    );
    expect([...polled].sort()).toEqual(
      [
        `${vault}/backupVaults/${AZURE_FIXTURE.vaultName}/operationStatus/{id}`,
        `${vault}/operationResults/{id}`,
        `${vault}/backupVaults/${AZURE_FIXTURE.vaultName}/backupInstances/{bi}/operationResults/{id}`,
      ].sort(),
    );
  });

  it('waits Retry-After between polls of a running validation (202 + Retry-After: 1)', async () => {
    const s = await azureSetup({ asyncRetryAfterSeconds: 1, validateDurationMs: 0, protectionDurationMs: 0 });
    const adapter = s.adapter();
    const { policy } = await adapter.createPolicy(ctx, { workload: 'azureBlob', displayName: 'polling', items: [] });
    await s.control.clearCalls();
    const started = Date.now();
    const [item] = await adapter.addProtectedItems(ctx, policy.vendorRef, s.items(1));
    expect(item.error).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    // One poll each of the validation's and the PUT's operation, each after its Retry-After.
    const statusPolls = (await s.control.calls()).filter((c) => c.path.includes('/operationStatus/'));
    expect(statusPolls).toHaveLength(2);
    expect(new Set(statusPolls.map((c) => c.path)).size).toBe(2);
  });

  it('reports a failed validation operation per item: UserErrorMissingRequiredPermissions -> PERMISSION_DENIED', async () => {
    const s = await azureSetup();
    const adapter = s.adapter();
    const noperm = azureStorageAccounts(s.config.credentials.subscriptionId).find((a) => a.name === AZURE_FIXTURE.noPermissionAccount)!;
    const [ok, denied] = (
      await adapter.createPolicy(ctx, {
        workload: 'azureBlob',
        displayName: 'perms',
        items: [...s.items(1), { kind: 'storageAccount', externalId: noperm.id }],
      })
    ).items;
    expect(ok.error).toBeUndefined();
    expect(denied).toMatchObject({
      externalId: noperm.id,
      protected: false,
      error: { code: 'PERMISSION_DENIED', vendorCode: 'UserErrorMissingRequiredPermissions' },
    });
    // No backup instance was created for it.
    expect((await s.control.calls()).filter((c) => c.method === 'PUT' && c.path.includes(noperm.name))).toEqual([]);
  });

  it('surfaces a failed PUT operation (ConfiguringProtectionFailed) as a normalized error on the item at once', async () => {
    const s = await azureSetup({ failProtectionOf: ['bgblob02'] });
    const [good, failing] = s.items(2);
    const adapter = s.adapter();
    const { policy, items } = await adapter.createPolicy(ctx, {
      workload: 'azureBlob',
      displayName: 'configure fails',
      items: [good, failing],
    });
    expect(items.find((i) => i.externalId === good.externalId)).toMatchObject({ protected: true, vendorStatus: 'ProtectionConfigured' });
    const failed = items.find((i) => i.externalId === failing.externalId)!;
    expect(failed).toMatchObject({
      vendorRef: expect.stringMatching(/^bgblob02-[0-9a-f]{12}$/),
      protected: false,
      vendorStatus: 'ConfiguringProtectionFailed',
      error: { code: 'PERMISSION_DENIED', vendorCode: 'UserErrorMissingRequiredPermissions' },
    });
    // The instance exists at Azure in that state: the item keeps its ref, so it can be removed.
    const listed = (await adapter.listProtectedItems(ctx, policy.vendorRef)).items.find((i) => i.externalId === failing.externalId);
    expect(listed).toMatchObject({ vendorRef: failed.vendorRef, vendorStatus: 'ConfiguringProtectionFailed' });
  });

  it("maps the seed's 400 UserErrorDppDatasourceAlreadyProtected (another vault) to a per-item ALREADY_PROTECTED", async () => {
    const s = await azureSetup();
    const adapter = s.adapter();
    const [account] = s.items(1);
    // A second vault protects the account first (same subscription, another vault).
    const other = createAdapter('azure-dataprotection', { ...s.config, credentials: { ...s.config.credentials, vaultName: 'bv-other' } });
    const vaultUrl = `${s.config.endpoint}/subscriptions/${s.config.credentials.subscriptionId}/resourceGroups/${AZURE_FIXTURE.resourceGroup}/providers/Microsoft.DataProtection/backupVaults/bv-other?api-version=2024-04-01`;
    const put = await fetch(vaultUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await bearer(s)}` },
      body: JSON.stringify({
        location: 'westus',
        identity: { type: 'SystemAssigned' },
        properties: { storageSettings: [{ datastoreType: 'VaultStore', type: 'LocallyRedundant' }] },
      }),
    });
    expect(put.status).toBe(201);
    await other.createPolicy(ctx, { workload: 'azureBlob', displayName: 'first vault', items: [account] });
    const { items } = await adapter.createPolicy(ctx, { workload: 'azureBlob', displayName: 'second vault', items: [account] });
    expect(items[0]).toMatchObject({
      protected: false,
      error: { code: 'ALREADY_PROTECTED', vendorCode: 'UserErrorDppDatasourceAlreadyProtected' },
    });
  });

  it('deletes a policy by stopping protection of its instances first (Azure refuses a policy in use)', async () => {
    const s = await azureSetup();
    const adapter = s.adapter();
    const { policy, items } = await adapter.createPolicy(ctx, { workload: 'azureBlob', displayName: 'in use', items: s.items(1) });
    await s.control.clearCalls();
    await adapter.deletePolicy(ctx, policy.vendorRef);
    const writes = (await s.control.calls())
      .filter((c) => c.method === 'DELETE')
      .map((c) => [c.path.split('/').slice(-2).join('/'), c.status]);
    expect(writes).toEqual([
      [`backupInstances/${items[0].vendorRef}`, 202],
      [`backupPolicies/${policy.vendorRef}`, 200],
    ]);
    // A policy Azure still counts as in use: UserErrorDppPolicyObjectInUse -> NOT_ALLOWED_IN_STATE.
    const { policy: other } = await adapter.createPolicy(ctx, { workload: 'azureBlob', displayName: 'still in use', items: [] });
    await s.control.injectFault({
      method: 'DELETE',
      path: 'backupPolicies',
      status: 400,
      body: {
        error: {
          code: 'UserErrorDppPolicyObjectInUse',
          message: 'Cannot delete the backup policy as one or more backup instances have been configured for protection with this policy.',
        },
      },
    });
    const e = await adapter.deletePolicy(ctx, other.vendorRef).catch((x: unknown) => x);
    expect(e).toMatchObject({
      code: 'NOT_ALLOWED_IN_STATE',
      vendorCode: 'UserErrorDppPolicyObjectInUse',
      httpStatus: 400,
      retryable: false,
    });
  });

  it('adopts its own policy on a retried create, and refuses a different policy of the same name with CONFLICT', async () => {
    const s = await azureSetup();
    const adapter = s.adapter();
    const first = await adapter.createPolicy(ctx, {
      workload: 'azureBlob',
      displayName: 'twice',
      items: [],
      settings: { operationalRetentionDays: 14 },
    });
    const again = await adapter.createPolicy(ctx, {
      workload: 'azureBlob',
      displayName: 'twice',
      items: [],
      settings: { operationalRetentionDays: 14 },
    });
    expect(again.policy.vendorRef).toBe(first.policy.vendorRef);
    const e = await adapter.createPolicy(ctx, { workload: 'azureBlob', displayName: 'twice', items: [] }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'CONFLICT', retryable: false });
    const bad = await adapter
      .createPolicy(ctx, { workload: 'azureBlob', displayName: 'long', items: [], settings: { operationalRetentionDays: 400 } })
      .catch((x: unknown) => x);
    expect(bad).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    const puts = (await s.control.calls()).filter((c) => c.method === 'PUT');
    expect(puts).toHaveLength(1);
    expect((puts[0].body as any).properties.policyRules[0].lifecycles[0].deleteAfter.duration).toBe('P14D');
  });

  it('uses the UserFacingError flags: an unknown code with isRetryable true is a retryable VENDOR_ERROR', async () => {
    const s = await azureSetup();
    const adapter = s.adapter();
    await adapter.verify(ctx);
    await s.control.injectFault({
      method: 'GET',
      status: 400,
      count: 1,
      body: {
        error: {
          code: 'UserErrorSomethingTransient',
          message: 'Try again',
          additionalInfo: [
            { type: 'UserFacingError', info: { code: 'UserErrorSomethingTransient', isRetryable: true, isUserError: false } },
          ],
        },
      },
    });
    const e = await adapter.verify(ctx).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'VENDOR_ERROR', vendorCode: 'UserErrorSomethingTransient', retryable: true, httpStatus: 400 });
  });

  it('honours ARM throttling: 429 SubscriptionRequestsThrottled is THROTTLED, and no call of that type before Retry-After', async () => {
    const s = await azureSetup({ readBucket: 2, readRefillPerSecond: 0.01 });
    const adapter = s.adapter();
    const { ctx: c1, records } = recording();
    await adapter.verify(c1);
    await adapter.verify(c1);
    const e = await adapter.verify(c1).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'THROTTLED', vendorCode: 'SubscriptionRequestsThrottled', httpStatus: 429, retryable: true });
    expect((e as { retryAfterMs: number }).retryAfterMs).toBeGreaterThanOrEqual(1000);
    const before = records.length;
    const again = await adapter.verify(c1).catch((x: unknown) => x);
    expect(again).toMatchObject({ code: 'THROTTLED', retryable: true });
    expect(records.length).toBe(before);
    const reads = (await s.control.calls()).filter((c) => c.method === 'GET' && c.path.startsWith('/management/'));
    expect(reads.map((c) => c.status)).toEqual([200, 200, 429]);
  });

  it('records the x-ms-ratelimit-remaining-subscription-* budget ARM reports per operation type', async () => {
    // No refill: the budget left is the count of calls, not how long this machine took between them (reads refill 25/s).
    const s = await azureSetup({
      readBucket: 50,
      writeBucket: 20,
      deleteBucket: 9,
      readRefillPerSecond: 0,
      writeRefillPerSecond: 0,
      deleteRefillPerSecond: 0,
    });
    const client = new AzureDpClient(s.config);
    await client.getVault(ctx);
    await client.getVault(ctx);
    await client.putPolicy(ctx, 'budget', {
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
                deleteAfter: { objectType: 'AbsoluteDeleteOption', duration: 'P7D' },
                sourceDataStore: { dataStoreType: 'OperationalStore', objectType: 'DataStoreInfoBase' },
              },
            ],
          },
        ],
      },
    });
    await client.deletePolicy(ctx, 'budget');
    expect(client.rateLimitRemaining).toEqual({ reads: 48, writes: 19, deletes: 8 });
    await client.close();
  });

  it('restores a prefix range at a point in time: validateRestore, restore, operation -> job -> Completed', async () => {
    const s = await azureSetup();
    const adapter = s.adapter();
    const { policy } = await adapter.createPolicy(ctx, { workload: 'azureBlob', displayName: 'restore', items: s.items(1) });
    await s.settle();
    const [item] = (await adapter.listProtectedItems(ctx, policy.vendorRef)).items;
    expect(item).toMatchObject({ protected: true, vendorStatus: 'ProtectionConfigured' });
    const [point] = (await adapter.listRestorePoints(ctx, { protectedItemRefs: [item.vendorRef] })).items;
    const req = {
      clientRef: randomUUID(),
      workload: 'azureBlob' as const,
      destination: 'original' as const,
      items: [
        {
          restorePointRef: point.vendorRef,
          protectedItemRef: item.vendorRef,
          externalId: item.externalId,
          pointInTime: point.pointInTime,
          paths: ['invoices/2024/'],
        },
      ],
    };
    await s.control.clearCalls();
    const ref = await adapter.prepareRestore(ctx, req);
    const { ref: started } = await adapter.startRestore(ctx, ref, req);
    const bodies = (await s.control.calls()).filter((c) => c.method === 'POST').map((c) => c.body as any);
    expect(bodies[0].restoreRequestObject).toEqual(bodies[1]);
    expect(bodies[1]).toMatchObject({
      objectType: 'AzureBackupRecoveryTimeBasedRestoreRequest',
      sourceDataStoreType: 'OperationalStore',
      recoveryPointTime: point.pointInTime.toISOString(),
      restoreTargetInfo: {
        objectType: 'ItemLevelRestoreTargetInfo',
        recoveryOption: 'FailIfExists',
        restoreCriteria: [
          { objectType: 'RangeBasedItemLevelRestoreCriteria', minMatchingValue: 'invoices/2024/', maxMatchingValue: 'invoices/20240' },
        ],
      },
    });
    expect((await adapter.getRestore(ctx, started)).state).toBe('running');
    await s.settle();
    const done = await adapter.getRestore(ctx, started);
    expect(done).toMatchObject({
      state: 'succeeded',
      vendorStatus: 'Completed',
      items: [{ restorePointRef: point.vendorRef, status: 'succeeded', restoredBytes: expect.any(Number) }],
    });
  });

  it("ends a failed restore job failed, with the job's UserFacingError mapped per item", async () => {
    const s = await azureSetup({ failRestores: true });
    const adapter = s.adapter();
    const { policy } = await adapter.createPolicy(ctx, { workload: 'azureBlob', displayName: 'failing', items: s.items(1) });
    await s.settle();
    const [item] = (await adapter.listProtectedItems(ctx, policy.vendorRef)).items;
    const [point] = (await adapter.listRestorePoints(ctx, { protectedItemRefs: [item.vendorRef] })).items;
    const req = {
      clientRef: randomUUID(),
      workload: 'azureBlob' as const,
      destination: 'original' as const,
      items: [
        { restorePointRef: point.vendorRef, protectedItemRef: item.vendorRef, externalId: item.externalId, pointInTime: point.pointInTime },
      ],
    };
    const { ref } = await adapter.startRestore(ctx, await adapter.prepareRestore(ctx, req), req);
    await s.settle();
    const done = await adapter.getRestore(ctx, ref);
    expect(done).toMatchObject({
      state: 'failed',
      vendorStatus: 'Failed',
      error: { code: 'RESTORE_FAILED', vendorCode: 'UserErrorRestoreTargetAlreadyExists' },
    });
    expect(done.items![0]).toMatchObject({
      status: 'failed',
      errorCode: 'RESTORE_FAILED',
      vendorCode: 'UserErrorRestoreTargetAlreadyExists',
    });
  });

  it("finds a restore whose ref was lost by matching the vault's restore jobs (instance + point in time)", async () => {
    const s = await azureSetup();
    const adapter = s.adapter();
    const { policy } = await adapter.createPolicy(ctx, { workload: 'azureBlob', displayName: 'lost ref', items: s.items(1) });
    await s.settle();
    const [item] = (await adapter.listProtectedItems(ctx, policy.vendorRef)).items;
    const [point] = (await adapter.listRestorePoints(ctx, { protectedItemRefs: [item.vendorRef] })).items;
    const req = {
      clientRef: randomUUID(),
      workload: 'azureBlob' as const,
      destination: 'original' as const,
      items: [
        { restorePointRef: point.vendorRef, protectedItemRef: item.vendorRef, externalId: item.externalId, pointInTime: point.pointInTime },
      ],
    };
    const prepared = await adapter.prepareRestore(ctx, req);
    await adapter.startRestore(ctx, prepared, req);
    const found = await adapter.findRestore(ctx, req, prepared);
    expect(found?.progress.state).toBe('running');
    expect(found?.ref.vendorRef).toMatch(/^[0-9a-f-]{36}$/);
    await s.settle();
    expect((await adapter.getRestore(ctx, found!.ref)).state).toBe('succeeded');
  });

  /** Every run of `itemRefs` the adapter lists, following pages. */
  const runsOf = async (adapter: BackupVendorPort, policyRef: string, itemRefs: string[]) => {
    const runs: VendorBackupRun[] = [];
    let page: string | undefined;
    do {
      const res = await adapter.listBackupRuns!(ctx, { policyRef, itemRefs }, page);
      runs.push(...res.items);
      page = res.next;
    } while (page);
    return runs;
  };
  const newestByItem = (runs: VendorBackupRun[]) => {
    const newest = new Map<string, VendorBackupRun>();
    for (const r of runs) {
      const cur = newest.get(r.itemRef!);
      if (!cur || cur.startedAt! < r.startedAt!) newest.set(r.itemRef!, r);
    }
    return newest;
  };

  it('settle() leaves every protected item, also one added later, with a successful scheduled backup run', async () => {
    const s = await azureSetup();
    const adapter = s.adapter();
    const { policy, items } = await adapter.createPolicy(ctx, { workload: 'azureBlob', displayName: 'health', items: s.items(2) });
    await s.settle();
    const [late] = await adapter.addProtectedItems(ctx, policy.vendorRef, s.items(3).slice(2));
    await s.settle();
    const refs = [...items, late].map((i) => i.vendorRef);
    const runs = await runsOf(adapter, policy.vendorRef, refs);
    for (const ref of refs) {
      expect(runs.filter((r) => r.itemRef === ref && r.status === 'succeeded' && r.onDemand === false).length).toBeGreaterThanOrEqual(1);
    }
  });

  it('failBackups(): after settle() the newest run of those items failed with the mapped error; the others still succeed', async () => {
    const s = await azureSetup();
    const adapter = s.adapter();
    const { policy, items } = await adapter.createPolicy(ctx, { workload: 'azureBlob', displayName: 'failing', items: s.items(3) });
    await s.settle();
    const refs = items.map((i) => i.vendorRef);
    await s.failBackups!([refs[0]]);
    await s.settle();
    const newest = newestByItem(await runsOf(adapter, policy.vendorRef, refs));
    expect(newest.get(refs[0])).toMatchObject({
      status: 'failed',
      vendorStatus: 'Failed',
      error: { code: 'PERMISSION_DENIED', vendorCode: 'UserErrorMissingRequiredPermissions' },
    });
    expect([newest.get(refs[1])?.status, newest.get(refs[2])?.status]).toEqual(['succeeded', 'succeeded']);
    const held = new Map((await adapter.listProtectedItems(ctx, policy.vendorRef)).items.map((i) => [i.vendorRef, i]));
    expect(held.get(refs[0])).toMatchObject({ vendorStatus: 'ProtectionError', protected: true });
    expect(held.get(refs[1])).toMatchObject({ vendorStatus: 'ProtectionConfigured' });
  });

  it('refuses restores to a new destination and more than 10 prefix ranges before calling Azure', async () => {
    const s = await azureSetup();
    const adapter = s.adapter();
    const { ctx: c1, records } = recording();
    const item = {
      restorePointRef: 'x|2024-01-01T00:00:00.000Z',
      protectedItemRef: 'x',
      externalId: s.items(1)[0].externalId,
      pointInTime: new Date(),
    };
    const toNew = await adapter
      .prepareRestore(c1, { clientRef: 'a', workload: 'azureBlob', destination: 'new', items: [item] })
      .catch((x: unknown) => x);
    expect(toNew).toMatchObject({ code: 'UNSUPPORTED_BY_VENDOR', vendor: 'azure-dataprotection' });
    const paths = Array.from({ length: 11 }, (_, i) => `logs/p${i}`);
    const tooMany = await adapter
      .prepareRestore(c1, { clientRef: 'b', workload: 'azureBlob', destination: 'original', items: [{ ...item, paths }] })
      .catch((x: unknown) => x);
    expect(tooMany).toMatchObject({ code: 'LIMIT_EXCEEDED', retryable: false });
    expect(records).toEqual([]);
  });
});

/** A raw ARM token for tests that set up sandbox resources the port does not create (another vault). */
async function bearer(s: ConformanceSetup): Promise<string> {
  const c = s.config.credentials;
  const res = await fetch(`${c.authorityHost}/${c.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: c.clientId,
      client_secret: c.clientSecret,
      scope: 'https://management.azure.com/.default',
    }).toString(),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}
