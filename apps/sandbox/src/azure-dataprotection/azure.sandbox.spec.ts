import type { RunningSandbox } from '../sandbox.server';
import { AZURE_FIXTURE, azureStorageAccounts } from './azure.fixtures';
import { API, AzureTestClient, BLOB, startAzureSandbox } from './azure.test-helpers';
import { parseBody, RestoreRequestSchema } from './azure.validation';

describe('Azure Data Protection sandbox', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startAzureSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const client = async (config: Record<string, unknown> = {}) => {
    const c = new AzureTestClient(sandbox.origin);
    await c.configure({ asyncRetryAfterSeconds: 0, tokenLifetimeSeconds: 30 * 86_400, ...config });
    await c.login();
    return c;
  };

  describe('Entra login', () => {
    it('serves an openid configuration whose token endpoint and issuer are on the sandbox', async () => {
      const c = new AzureTestClient(sandbox.origin);
      const res = await c.raw('GET', `/login/${c.tenantId}/v2.0/.well-known/openid-configuration`);
      expect(res.status).toBe(200);
      expect(res.body.token_endpoint).toBe(`${sandbox.origin}/azure/login/${c.tenantId}/oauth2/v2.0/token`);
      expect(new URL(res.body.issuer).host).toBe(new URL(sandbox.origin).host);
      expect(res.body).toEqual(expect.objectContaining({ authorization_endpoint: expect.any(String), jwks_uri: expect.any(String) }));
    });

    it('refuses a short secret or one starting with "bad" with AADSTS7000215 invalid_client', async () => {
      const c = new AzureTestClient(sandbox.origin);
      for (const secret of ['short', 'bad-secret-0123456789']) {
        const res = await c.requestToken({
          grant_type: 'client_credentials',
          client_id: c.clientId,
          client_secret: secret,
          scope: 'https://management.azure.com/.default',
        });
        expect(res.status).toBe(401);
        expect(res.body.error).toBe('invalid_client');
        expect(res.body.error_codes).toEqual([7000215]);
        expect(res.body.error_description).toMatch(/^AADSTS7000215:/);
      }
    });

    it('refuses a scope other than ARM .default and a grant other than client_credentials', async () => {
      const c = new AzureTestClient(sandbox.origin);
      const base = { grant_type: 'client_credentials', client_id: c.clientId, client_secret: 'sandbox-secret-0123456789' };
      const scope = await c.requestToken({ ...base, scope: 'https://graph.microsoft.com/.default' });
      expect(scope.status).toBe(400);
      expect(scope.body.error).toBe('invalid_scope');
      const grant = await c.requestToken({ ...base, grant_type: 'password', scope: 'https://management.azure.com/.default' });
      expect(grant.body.error).toBe('unsupported_grant_type');
    });
  });

  describe('ARM front door', () => {
    it('refuses a missing token (AuthenticationFailed), a forged one and an expired one', async () => {
      const c = await client({ tokenLifetimeSeconds: 600 });
      const none = await c.raw('GET', `/management${c.vaultPath}?${API}`);
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('AuthenticationFailed');
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
      const forged = await c.arm('GET', c.vaultPath, undefined, { authorization: `Bearer ${c.token!.slice(0, -4)}AAAA` });
      expect(forged.body.error.code).toBe('InvalidAuthenticationToken');
      expect((await c.arm('GET', c.vaultPath)).status).toBe(200);
      await c.advance(601_000);
      const expired = await c.arm('GET', c.vaultPath);
      expect(expired.status).toBe(401);
      expect(expired.body.error.code).toBe('ExpiredAuthenticationToken');
    });

    it('requires api-version and refuses versions it does not serve', async () => {
      const c = await client();
      const missing = await c.arm('GET', `${c.vaultPath}?foo=1`);
      expect(missing.status).toBe(400);
      expect(missing.body.error.code).toBe('MissingApiVersionParameter');
      const old = await c.arm('GET', `${c.vaultPath}?api-version=2019-01-01`);
      expect(old.status).toBe(400);
      expect(old.body.error.code).toBe('NoRegisteredProviderFound');
      expect(old.body.error.message).toBe(
        "No registered resource provider found for location 'westus' and API version '2019-01-01' for type 'backupVaults'. The supported api-versions are '2021-01-01, 2024-04-01, 2025-01-01, 2025-07-01'. The supported locations are 'westus'.",
      );
      const child = await c.arm('GET', `${c.vaultPath}/backupInstances?api-version=2022-02-02`);
      expect(child.body.error.message).toMatch(/for type 'backupVaults\/backupInstances'\./);
      const malformed = await c.arm('GET', `${c.vaultPath}?api-version=latest`);
      expect(malformed.status).toBe(400);
      expect(malformed.body.error).toEqual({
        code: 'InvalidApiVersionParameter',
        message: "The api-version 'latest' is invalid. The supported versions are '2021-01-01, 2024-04-01, 2025-01-01, 2025-07-01'.",
      });
    });

    it("serves seed 004's api-version 2021-01-01 beside the swagger's 2024-04-01, and echoes it in operation URLs", async () => {
      const c = await client();
      for (const v of ['2021-01-01', '2024-04-01', '2025-01-01', '2025-07-01'])
        expect((await c.arm('GET', `${c.vaultPath}?api-version=${v}`)).status).toBe(200);
      await c.arm('PUT', `${c.vaultPath}/backupPolicies/pol-v21?api-version=2021-01-01`, c.policyBody());
      const res = await c.arm('POST', `${c.vaultPath}/validateForBackup?api-version=2021-01-01`, {
        backupInstance: c.backupInstance(11, 'pol-v21'),
      });
      expect(res.status).toBe(202);
      expect(res.headers.get('azure-asyncoperation')).toMatch(/\?api-version=2021-01-01$/);
      expect((await c.arm('GET', res.headers.get('azure-asyncoperation')!)).body.status).toBe('Succeeded');
    });

    it('sends x-ms-ratelimit-remaining headers and throttles with 429 + Retry-After when a bucket is empty', async () => {
      const c = await client({ readBucket: 3, readRefillPerSecond: 1, writeBucket: 5 });
      const first = await c.arm('GET', c.vaultPath);
      expect(first.headers.get('x-ms-ratelimit-remaining-subscription-reads')).toBe('2');
      expect(first.headers.get('x-ms-request-id')).toBeTruthy();
      await c.arm('GET', c.vaultPath);
      await c.arm('GET', c.vaultPath);
      const throttled = await c.arm('GET', c.vaultPath);
      expect(throttled.status).toBe(429);
      expect(throttled.body.error.code).toBe('SubscriptionRequestsThrottled');
      expect(throttled.headers.get('retry-after')).toBe('1');
      // writes have their own bucket
      const write = await c.arm('PUT', `${c.vaultPath}/backupPolicies/pol-a`, c.policyBody());
      expect(write.status).toBe(200);
      expect(write.headers.get('x-ms-ratelimit-remaining-subscription-writes')).toBe('4');
      await c.advance(1000);
      expect((await c.arm('GET', c.vaultPath)).status).toBe(200);
    });

    it('answers an unknown vault with ResourceNotFound and an unknown resource group with ResourceGroupNotFound', async () => {
      const c = await client();
      const vault = await c.arm('GET', c.vaultPath.replace(AZURE_FIXTURE.vaultName, 'nope'));
      expect(vault.status).toBe(404);
      expect(vault.body.error.code).toBe('ResourceNotFound');
      const rg = await c.arm('GET', c.vaultPath.replace(AZURE_FIXTURE.resourceGroup, 'rg-nope'));
      expect(rg.body.error.code).toBe('ResourceGroupNotFound');
    });

    it('writes injected faults as CloudError bodies', async () => {
      const c = await client();
      await c.control('POST', '/faults', { status: 503, retryAfterSeconds: 7, path: 'backupPolicies' });
      const res = await c.arm('GET', `${c.vaultPath}/backupPolicies`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(res.body.error.code).toBe('ServiceUnavailable');
    });
  });

  describe('policies', () => {
    it('creates, reads, lists with nextLink paging and deletes blob policies', async () => {
      const c = await client({ pageSize: 2 });
      for (const n of ['pol-a', 'pol-b', 'pol-c'])
        expect((await c.arm('PUT', `${c.vaultPath}/backupPolicies/${n}`, c.policyBody())).status).toBe(200);
      const one = await c.arm('GET', `${c.vaultPath}/backupPolicies/pol-b`);
      expect(one.body.id).toBe(`${c.vaultPath}/backupPolicies/pol-b`);
      expect(one.body.properties.datasourceTypes).toEqual([BLOB]);
      const page1 = await c.arm('GET', `${c.vaultPath}/backupPolicies`);
      expect(page1.body.value.map((p: any) => p.name)).toEqual(['pol-a', 'pol-b']);
      const page2 = await c.arm('GET', page1.body.nextLink);
      expect(page2.body.value.map((p: any) => p.name)).toEqual(['pol-c']);
      expect(page2.body.nextLink).toBeUndefined();
      expect((await c.arm('DELETE', `${c.vaultPath}/backupPolicies/pol-c`)).status).toBe(200);
      expect((await c.arm('GET', `${c.vaultPath}/backupPolicies/pol-c`)).status).toBe(404);
      expect((await c.arm('DELETE', `${c.vaultPath}/backupPolicies/pol-c`)).status).toBe(204);
    });

    it('refuses misspelt fields, unknown discriminators and unknown enum values', async () => {
      const c = await client();
      const body = c.policyBody() as any;
      const misspelt = { properties: { ...body.properties, datasourceType: [BLOB] } };
      const r1 = await c.arm('PUT', `${c.vaultPath}/backupPolicies/pol-x`, misspelt);
      expect(r1.status).toBe(400);
      expect(r1.body.error.code).toBe('InvalidRequestContent');
      const badStore = structuredClone(body);
      badStore.properties.policyRules[0].lifecycles[0].sourceDataStore.dataStoreType = 'HotStore';
      expect((await c.arm('PUT', `${c.vaultPath}/backupPolicies/pol-x`, badStore)).body.error.code).toBe('InvalidRequestContent');
      const badRule = structuredClone(body);
      badRule.properties.policyRules[0].objectType = 'RetentionRule';
      expect((await c.arm('PUT', `${c.vaultPath}/backupPolicies/pol-x`, badRule)).status).toBe(400);
      const tooLong = c.policyBody(400);
      const r4 = await c.arm('PUT', `${c.vaultPath}/backupPolicies/pol-x`, tooLong);
      expect(r4.body.error.code).toBe('BMSUserErrorInvalidInput');
      expect(r4.body.error.additionalInfo[0]).toEqual(
        expect.objectContaining({ type: 'UserFacingError', info: expect.objectContaining({ isUserError: true, isRetryable: false }) }),
      );
      const badName = await c.arm('PUT', `${c.vaultPath}/backupPolicies/${encodeURIComponent('my policy')}`, body);
      expect(badName.body.error.code).toBe('BMSUserErrorInvalidInput');
    });

    it('refuses to delete a policy in use with UserErrorDppPolicyObjectInUse', async () => {
      const c = await client();
      await c.protect('pol-used', [1]);
      const res = await c.arm('DELETE', `${c.vaultPath}/backupPolicies/pol-used`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('UserErrorDppPolicyObjectInUse');
    });
  });

  describe('backup instances (seed 004 configure backup)', () => {
    it('validateForBackup answers 202 with Azure-AsyncOperation, Location and Retry-After, then Succeeded', async () => {
      const c = await client({ asyncRetryAfterSeconds: 10, validateDurationMs: 5000 });
      await c.arm('PUT', `${c.vaultPath}/backupPolicies/pol-v`, c.policyBody());
      const res = await c.arm('POST', `${c.vaultPath}/validateForBackup`, { backupInstance: c.backupInstance(3, 'pol-v') });
      expect(res.status).toBe(202);
      expect(res.headers.get('retry-after')).toBe('10');
      const status = res.headers.get('azure-asyncoperation')!;
      const location = res.headers.get('location')!;
      expect(status).toMatch(
        new RegExp(
          `/subscriptions/${c.subscriptionId}/providers/Microsoft.DataProtection/locations/westus/operationStatus/[A-Za-z0-9_-]+=*\\?api-version=2024-04-01$`,
        ),
      );
      const pending = await c.arm('GET', status);
      // seed 004 §Track response: the running operation, spelt as the service spells it
      expect(pending.body).toEqual({
        id: new URL(status).pathname.replace(/^\/azure\/management/, ''),
        name: new URL(status).pathname.split('/').pop(),
        status: 'Inprogress',
        startTime: expect.any(String),
        endTime: '0001-01-01T00:00:00',
      });
      expect((await c.arm('GET', location)).status).toBe(202);
      await c.advance(5000);
      const done = await c.arm('GET', status);
      expect(done.body).toEqual(expect.objectContaining({ status: 'Succeeded', endTime: expect.any(String) }));
      const result = await c.arm('GET', location);
      expect(result.status).toBe(200);
      expect(result.body.objectType).toBe('OperationJobExtendedInfo');
    });

    it('fails the validation operation with UserErrorMissingRequiredPermissions for an account without roles', async () => {
      const c = await client();
      await c.arm('PUT', `${c.vaultPath}/backupPolicies/pol-p`, c.policyBody());
      const bi = c.backupInstance(1, 'pol-p') as any;
      const noperm = azureStorageAccounts(c.subscriptionId).find((a) => a.name === AZURE_FIXTURE.noPermissionAccount)!;
      bi.dataSourceInfo.resourceID = noperm.id;
      const res = await c.arm('POST', `${c.vaultPath}/validateForBackup`, { backupInstance: bi });
      const op = await c.arm('GET', res.headers.get('azure-asyncoperation')!);
      expect(op.body.status).toBe('Failed');
      expect(op.body.error.code).toBe('UserErrorMissingRequiredPermissions');
      expect(op.body.error.additionalInfo[0].info).toEqual(expect.objectContaining({ isRetryable: false, isUserError: false }));
      // seed 004 §Track response: the innerError names the vault's identity, the missing action and the account's scope.
      const principal = (await c.arm('GET', c.vaultPath)).body.identity.principalId;
      expect(Object.keys(op.body.error).sort()).toEqual(['additionalInfo', 'code', 'message']);
      expect(Object.keys(op.body.error.additionalInfo[0].info).sort()).toEqual(
        ['code', 'innerError', 'isRetryable', 'isUserError', 'message', 'properties', 'recommendedAction', 'target'].sort(),
      );
      expect(op.body.error.additionalInfo[0].info.innerError).toEqual({
        code: 'UserErrorMissingRequiredPermissions',
        additionalInfo: {
          DetailedNonLocalisedMessage: `Validate for Protection failed. Exception Message: The client '${principal}' with object id '${principal}' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/read' over scope '${noperm.id}/providers/Microsoft.Authorization' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
        },
      });
      const result = await c.arm('GET', res.headers.get('location')!);
      expect(result.status).toBe(400);
      expect(result.body.error.code).toBe('UserErrorMissingRequiredPermissions');
    });

    it('creates an instance with 201 ConfiguringProtection that turns ProtectionConfigured on the clock', async () => {
      const c = await client({ protectionDurationMs: 30_000 });
      await c.arm('PUT', `${c.vaultPath}/backupPolicies/pol-i`, c.policyBody());
      const put = await c.arm('PUT', `${c.vaultPath}/backupInstances/bgblob02-x`, { properties: c.backupInstance(2, 'pol-i') });
      expect(put.status).toBe(201);
      // seed 004 §Example responses to configure backup request: the locations/… form, no Location header
      expect(put.headers.get('azure-asyncoperation')).toMatch(
        new RegExp(
          `^https://[^/]+/azure/management/subscriptions/${c.subscriptionId}/providers/Microsoft.DataProtection/locations/westus/operationStatus/[A-Za-z0-9_-]+=*\\?api-version=2024-04-01$`,
        ),
      );
      expect(put.headers.get('location')).toBeNull();
      expect(put.headers.get('retry-after')).toBe('0');
      const running = await c.arm('GET', put.headers.get('azure-asyncoperation')!);
      expect(running.body).toMatchObject({ status: 'Inprogress', endTime: '0001-01-01T00:00:00' });
      expect(put.body.properties).toEqual(
        expect.objectContaining({ currentProtectionState: 'ConfiguringProtection', provisioningState: 'Provisioning' }),
      );
      await c.advance(30_000);
      const got = await c.arm('GET', `${c.vaultPath}/backupInstances/bgblob02-x`);
      expect(got.body.properties.protectionStatus.status).toBe('ProtectionConfigured');
      expect((await c.arm('GET', put.headers.get('azure-asyncoperation')!)).body.status).toBe('Succeeded');
    });

    it('fails the PUT operation of a failProtectionOf account: ConfiguringProtectionFailed with the UserFacingError', async () => {
      const c = await client({ protectionDurationMs: 1000, failProtectionOf: ['bgblob12'] });
      await c.arm('PUT', `${c.vaultPath}/backupPolicies/pol-f`, c.policyBody());
      const validate = await c.arm('POST', `${c.vaultPath}/validateForBackup`, { backupInstance: c.backupInstance(12, 'pol-f') });
      expect((await c.arm('GET', validate.headers.get('azure-asyncoperation')!)).body.status).toBe('Succeeded');
      const put = await c.arm('PUT', `${c.vaultPath}/backupInstances/bgblob12-f`, { properties: c.backupInstance(12, 'pol-f') });
      expect(put.status).toBe(201);
      expect(put.body.properties.currentProtectionState).toBe('ConfiguringProtection');
      await c.advance(1000);
      const op = await c.arm('GET', put.headers.get('azure-asyncoperation')!);
      expect(op.body).toMatchObject({ status: 'Failed', error: { code: 'UserErrorMissingRequiredPermissions' } });
      expect(op.body.endTime).not.toBe('0001-01-01T00:00:00');
      const bi = await c.arm('GET', `${c.vaultPath}/backupInstances/bgblob12-f`);
      expect(bi.body.properties).toMatchObject({
        currentProtectionState: 'ConfiguringProtectionFailed',
        provisioningState: 'Failed',
        protectionErrorDetails: { code: 'UserErrorMissingRequiredPermissions', isRetryable: false },
      });
    });

    it('protects a storage account of another subscription of the tenant, once across subscriptions (seed 004 §Key entities)', async () => {
      const c = await client();
      const other = new AzureTestClient(sandbox.origin);
      (other as any).tenantId = c.tenantId;
      (other as any).token = c.token;
      await c.arm('PUT', `${c.vaultPath}/backupPolicies/pol-x`, c.policyBody());
      await other.arm('PUT', `${other.vaultPath}/backupPolicies/pol-x`, other.policyBody());
      const bi = c.backupInstance(13, 'pol-x') as any;
      bi.dataSourceInfo.resourceID = other.storageId(13);
      const put = await c.arm('PUT', `${c.vaultPath}/backupInstances/cross-sub`, { properties: bi });
      expect(put.status).toBe(201);
      expect(put.body.properties.dataSourceInfo.resourceID).toBe(other.storageId(13));
      const again = other.backupInstance(13, 'pol-x');
      const refused = await other.arm('POST', `${other.vaultPath}/validateForBackup`, { backupInstance: again });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('UserErrorDppDatasourceAlreadyProtected');
    });

    it('refuses a second protection of the same storage account with UserErrorDppDatasourceAlreadyProtected (seed 004)', async () => {
      const c = await client();
      await c.protect('pol-d', [4]);
      const res = await c.arm('POST', `${c.vaultPath}/validateForBackup`, { backupInstance: c.backupInstance(4, 'pol-d') });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('UserErrorDppDatasourceAlreadyProtected');
      expect(res.body.error.additionalInfo[0].type).toBe('UserFacingError');
      const put = await c.arm('PUT', `${c.vaultPath}/backupInstances/other-name`, { properties: c.backupInstance(4, 'pol-d') });
      expect(put.body.error.code).toBe('UserErrorDppDatasourceAlreadyProtected');
    });

    it('binds property names in any casing as ARM does, and still refuses unknown names and storage accounts', async () => {
      const c = await client();
      await c.arm('PUT', `${c.vaultPath}/backupPolicies/pol-s`, c.policyBody());
      const bi = c.backupInstance(5, 'pol-s') as any;
      const { dataSourceInfo, policyInfo, ...rest } = bi;
      const shouting = Object.fromEntries(Object.entries(dataSourceInfo).map(([k, v]) => [k.toUpperCase(), v]));
      const lower = await c.arm('PUT', `${c.vaultPath}/backupInstances/x`, {
        Properties: { ...rest, datasourceinfo: shouting, POLICYINFO: { PolicyId: policyInfo.policyId } },
        TAGS: { 'Cost-Center': 'A' },
      });
      expect(lower.status).toBe(201);
      // Answered in the spec's casing; tag names are data and keep theirs.
      expect(lower.body.properties.dataSourceInfo).toMatchObject({ resourceID: c.storageId(5), datasourceType: BLOB });
      expect(lower.body.properties.policyInfo.policyId).toBe(policyInfo.policyId);
      expect(lower.body.tags).toEqual({ 'Cost-Center': 'A' });
      const misspelt = await c.arm('PUT', `${c.vaultPath}/backupInstances/y`, {
        properties: { ...rest, dataSourceInfos: dataSourceInfo, policyInfo },
      });
      expect(misspelt.status).toBe(400);
      expect(misspelt.body.error.code).toBe('InvalidRequestContent');
      const restoreCase = await c.arm('POST', `${c.vaultPath}/backupInstances/x/findRestorableTimeRanges`, {
        SourceDataStoreType: 'OperationalStore',
      });
      expect(restoreCase.status).toBe(200);
      bi.dataSourceInfo.resourceID = bi.dataSourceInfo.resourceID.replace('bgblob05', 'missing99');
      const unknown = await c.arm('PUT', `${c.vaultPath}/backupInstances/x`, { properties: bi });
      expect(unknown.status).toBe(404);
    });

    it('deletes an instance with 202 + Azure-AsyncOperation and frees the storage account', async () => {
      const c = await client();
      const [name] = await c.protect('pol-r', [6]);
      const del = await c.arm('DELETE', `${c.vaultPath}/backupInstances/${name}`);
      expect(del.status).toBe(202);
      expect(del.headers.get('azure-asyncoperation')).toBeTruthy();
      expect(del.headers.get('x-ms-ratelimit-remaining-subscription-deletes')).toBeTruthy();
      expect((await c.arm('GET', `${c.vaultPath}/backupInstances/${name}`)).status).toBe(404);
      expect((await c.arm('DELETE', `${c.vaultPath}/backupInstances/${name}`)).status).toBe(204);
      expect((await c.arm('POST', `${c.vaultPath}/validateForBackup`, { backupInstance: c.backupInstance(6, 'pol-r') })).status).toBe(202);
    });
  });

  describe('restore', () => {
    const restoreBody = (c: AzureTestClient, n: number, at: string, extra: Record<string, unknown> = {}) => ({
      objectType: 'AzureBackupRecoveryTimeBasedRestoreRequest',
      recoveryPointTime: at,
      sourceDataStoreType: 'OperationalStore',
      sourceResourceId: c.storageId(n),
      restoreTargetInfo: {
        objectType: 'RestoreTargetInfo',
        recoveryOption: 'FailIfExists',
        restoreLocation: 'westus',
        datasourceInfo: (c.backupInstance(n, 'x') as any).dataSourceInfo,
      },
      ...extra,
    });

    it('finds restorable ranges once protected, validates, restores and tracks the job to Completed', async () => {
      const c = await client({ protectionDurationMs: 1000, restoreDurationMs: 60_000 });
      const [name] = await c.protect('pol-rs', [7]);
      const bi = `${c.vaultPath}/backupInstances/${name}`;
      const before = await c.arm('POST', `${bi}/findRestorableTimeRanges`, { sourceDataStoreType: 'OperationalStore' });
      expect(before.body.properties.restorableTimeRanges).toEqual([]);
      await c.advance(3_600_000);
      const ranges = await c.arm('POST', `${bi}/findRestorableTimeRanges`, { sourceDataStoreType: 'OperationalStore' });
      const [range] = ranges.body.properties.restorableTimeRanges;
      expect(range.objectType).toBe('RestorableTimeRange');
      const at = new Date(Date.parse(range.endTime) - 60_000).toISOString();
      const validate = await c.arm('POST', `${bi}/validateRestore`, { restoreRequestObject: restoreBody(c, 7, at) });
      expect(validate.status).toBe(202);
      expect((await c.arm('GET', validate.headers.get('azure-asyncoperation')!)).body.status).toBe('Succeeded');
      const restore = await c.arm('POST', `${bi}/restore`, restoreBody(c, 7, at));
      expect(restore.status).toBe(202);
      const result = await c.arm('GET', restore.headers.get('location')!);
      const jobId = result.body.jobId;
      expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
      const running = await c.arm('GET', `${c.vaultPath}/backupJobs/${jobId}`);
      expect(running.body.properties).toEqual(
        expect.objectContaining({ operation: 'Restore', status: 'Started', dataSourceId: c.storageId(7) }),
      );
      await c.advance(60_000);
      const done = await c.arm('GET', `${c.vaultPath}/backupJobs/${jobId}`);
      expect(done.body.properties.status).toBe('Completed');
      expect(done.body.properties.extendedInfo.sourceRecoverPoint.recoveryPointTime).toBe(at);
      const list = await c.arm('GET', `${c.vaultPath}/backupJobs`);
      expect(list.body.value.map((j: any) => j.name)).toContain(jobId);
    });

    it('binds restore requests in any casing, through the objectType unions', async () => {
      const at = new Date().toISOString();
      const shout = (v: unknown): unknown =>
        Array.isArray(v)
          ? v.map(shout)
          : v && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k[0].toUpperCase() + k.slice(1).toLowerCase(), shout(x)]))
            : v;
      const c = new AzureTestClient(sandbox.origin);
      const body = restoreBody(c, 8, at) as any;
      body.restoreTargetInfo = {
        ...body.restoreTargetInfo,
        objectType: 'ItemLevelRestoreTargetInfo',
        restoreCriteria: [
          { objectType: 'RangeBasedItemLevelRestoreCriteria', minMatchingValue: 'invoices/', maxMatchingValue: 'invoices0' },
        ],
      };
      const parsed = parseBody(RestoreRequestSchema, shout(body));
      expect(parsed).toEqual(body);
    });

    it('refuses a time outside the ranges, another target account, a recovery point id and unknown containers', async () => {
      const c = await client({ protectionDurationMs: 0 });
      const [name] = await c.protect('pol-rf', [8]);
      const bi = `${c.vaultPath}/backupInstances/${name}`;
      await c.advance(60_000);
      const early = await c.arm('POST', `${bi}/restore`, restoreBody(c, 8, '2001-01-01T00:00:00Z'));
      expect(early.body.error.code).toBe('UserErrorRestorePointInTimeNotInRange');
      const now = new Date(Date.now() + 30_000).toISOString();
      const other = restoreBody(c, 8, now) as any;
      other.restoreTargetInfo.datasourceInfo.resourceID = c.storageId(9);
      expect((await c.arm('POST', `${bi}/restore`, other)).body.error.code).toBe('BMSUserErrorInvalidInput');
      const rp = { ...restoreBody(c, 8, now), objectType: 'AzureBackupRecoveryPointBasedRestoreRequest', recoveryPointId: 'abc' } as any;
      delete rp.recoveryPointTime;
      expect((await c.arm('POST', `${bi}/restore`, rp)).status).toBe(404);
      const items = restoreBody(c, 8, now) as any;
      items.restoreTargetInfo = {
        ...items.restoreTargetInfo,
        objectType: 'ItemLevelRestoreTargetInfo',
        restoreCriteria: [{ objectType: 'RangeBasedItemLevelRestoreCriteria', minMatchingValue: 'nosuch/a', maxMatchingValue: 'nosuch/b' }],
      };
      expect((await c.arm('POST', `${bi}/restore`, items)).body.error.code).toBe('BMSUserErrorInvalidInput');
      items.restoreTargetInfo.restoreCriteria = [
        { objectType: 'RangeBasedItemLevelRestoreCriteria', minMatchingValue: 'invoices/2024', maxMatchingValue: 'invoices/2024-0' },
      ];
      expect((await c.arm('POST', `${bi}/restore`, items)).status).toBe(202);
      const badOption = restoreBody(c, 8, now) as any;
      badOption.restoreTargetInfo.recoveryOption = 'Overwrite';
      expect((await c.arm('POST', `${bi}/restore`, badOption)).body.error.code).toBe('InvalidRequestContent');
    });

    it('keeps stuck jobs InProgress and ends failRestores jobs Failed with UserFacingError details', async () => {
      const c = await client({ protectionDurationMs: 0, stuckJobs: true });
      const [name] = await c.protect('pol-st', [10]);
      await c.advance(60_000);
      const at = new Date(Date.now() + 30_000).toISOString();
      const stuck = await c.arm('POST', `${c.vaultPath}/backupInstances/${name}/restore`, restoreBody(c, 10, at));
      const stuckJob = (await c.arm('GET', stuck.headers.get('location')!)).body.jobId;
      await c.configure({ stuckJobs: false, failRestores: true });
      const failed = await c.arm('POST', `${c.vaultPath}/backupInstances/${name}/restore`, restoreBody(c, 10, at));
      const failedJob = (await c.arm('GET', failed.headers.get('location')!)).body.jobId;
      await c.advance(3_600_000);
      expect((await c.arm('GET', `${c.vaultPath}/backupJobs/${stuckJob}`)).body.properties.status).toBe('InProgress');
      const f = await c.arm('GET', `${c.vaultPath}/backupJobs/${failedJob}`);
      expect(f.body.properties.status).toBe('Failed');
      expect(f.body.properties.errorDetails[0]).toEqual(expect.objectContaining({ isRetryable: false, isUserError: true }));
    });
  });

  it("keeps tenants apart: one tenant cannot see another tenant's policies in the same subscription id", async () => {
    const a = await client();
    const b = await client();
    (b as any).subscriptionId = a.subscriptionId;
    await a.arm('PUT', `${a.vaultPath}/backupPolicies/pol-only-a`, a.policyBody());
    expect((await b.arm('GET', `${b.vaultPath}/backupPolicies/pol-only-a`)).status).toBe(404);
    expect((await a.calls()).some((x) => x.path.endsWith('/backupPolicies/pol-only-a') && x.method === 'PUT')).toBe(true);
  });
});
