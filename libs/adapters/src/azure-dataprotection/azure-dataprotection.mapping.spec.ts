import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { StaticErrorCatalog } from '@bg/domain';
import { AZURE_DATAPROTECTION_ERROR_CATALOG } from '@bg/platform/migrations/data/azure-dataprotection.catalog';
import { classifyCloudError } from './azure-dataprotection.errors';
import {
  aggregateRestore,
  backupRuleNameOf,
  backupRunStatusOf,
  blobBackupInstance,
  blobPolicyBody,
  decodePolicyName,
  encodePolicyName,
  fromOperationRef,
  instanceNameFor,
  isBackupJob,
  isBeingRemoved,
  jobItemStatus,
  jobToBackupRun,
  jobToItemProgress,
  operationalRetentionOf,
  parseRestorePointRef,
  parseStorageAccountId,
  pathToRange,
  policyNameOfInstance,
  rangesToRestorePoints,
  restorePointRef,
  restoreRequestBody,
  retentionDaysOf,
  toOperationRef,
  toVendorItem,
  toVendorPolicy,
} from './azure-dataprotection.mapping';
import type { BackupInstanceResource, CloudError } from './azure-dataprotection.types';

const catalog = new StaticErrorCatalog(AZURE_DATAPROTECTION_ERROR_CATALOG);
/** The official x-ms-examples kept beside the sandbox's swagger. */
const example = (name: string) =>
  JSON.parse(readFileSync(resolve(__dirname, '../../../../apps/sandbox/specs/azure-dataprotection/examples', `${name}.json`), 'utf8'));
const SUB = 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxxx';
// seed 004 §Key entities / §Prepare the request to configure backup
const STORAGE = `/subscriptions/${SUB}/resourceGroups/RG-BlobBackup/providers/Microsoft.Storage/storageAccounts/msblobbackup`;
const POLICY_ID = `/subscriptions/${SUB}/resourceGroups/TestBkpVaultRG/providers/Microsoft.DataProtection/backupVaults/testBkpVault/backupPolicies/BlobBackup-Policy`;

// seed 004 §Example responses to configure backup request (201 Created body)
const SEED_201_BODY: BackupInstanceResource = {
  id: `/subscriptions/${SUB}/resourceGroups/TestBkpVaultRG/providers/Microsoft.DataProtection/backupVaults/testBkpVault/backupInstances/msblobbackup-f2df34eb-5628-4570-87b2-0331d797c67d`,
  name: 'msblobbackup-f2df34eb-5628-4570-87b2-0331d797c67d',
  type: 'Microsoft.DataProtection/backupVaults/backupInstances',
  properties: {
    friendlyName: 'msblobbackup',
    dataSourceInfo: {
      resourceID: STORAGE,
      resourceUri: '',
      datasourceType: 'Microsoft.Storage/storageAccounts/blobServices',
      resourceName: 'msblobbackup',
      resourceType: 'Microsoft.Storage/storageAccounts',
      resourceLocation: 'westus',
      objectType: 'Datasource',
    },
    policyInfo: { policyId: POLICY_ID },
    protectionStatus: { status: 'ConfiguringProtection' },
    currentProtectionState: 'ConfiguringProtection',
    provisioningState: 'Provisioning',
    objectType: 'BackupInstance',
  },
};

// seed 004 §Error response (400 BadRequest body)
const SEED_ALREADY_PROTECTED: CloudError = {
  error: {
    additionalInfo: [
      {
        type: 'UserFacingError',
        info: {
          message: `Datasource is already protected under the Backup vault /subscriptions/${SUB}/resourceGroups/TestBkpVaultRG/providers/Microsoft.DataProtection/backupVaults/testBkpVault.`,
          recommendedAction: [
            'Delete the backup instance msblobbackuptemp from the Backup vault ... to re-protect the datasource in any other vault.',
          ],
          code: 'UserErrorDppDatasourceAlreadyProtected',
          target: '',
          isRetryable: false,
          isUserError: false,
        },
      },
    ],
    code: 'UserErrorDppDatasourceAlreadyProtected',
    message: `Datasource is already protected under the Backup vault /subscriptions/${SUB}/resourceGroups/TestBkpVaultRG/providers/Microsoft.DataProtection/backupVaults/testBkpVault.`,
    target: null,
  },
};

describe('azure-dataprotection mapping', () => {
  describe('policy names', () => {
    it.each([
      ['conformance policy', 'conformance-20-policy'],
      ['BlobBackup-Policy', 'BlobBackup-2d-Policy'],
      ['Café 1', 'Caf-e9--20-1'],
      ['abc', 'abc'],
    ])('encodes %j reversibly as %j', (display, name) => {
      expect(encodePolicyName(display)).toBe(name);
      expect(decodePolicyName(name)).toBe(display);
    });

    it('leaves names it did not make as they are, and refuses names outside 3..150 characters', () => {
      expect(decodePolicyName('BlobPolicy1')).toBe('BlobPolicy1');
      expect(decodePolicyName('my-policy')).toBe('my-policy');
      expect(encodePolicyName('ab')).toBeUndefined();
      expect(encodePolicyName('x'.repeat(151))).toBeUndefined();
      expect(encodePolicyName(' '.repeat(38))).toBeUndefined();
    });

    it('builds the operational blob policy az dataprotection generates (AzureRetentionRule Default, OperationalStore) plus a daily vaulted rule', () => {
      expect(blobPolicyBody(30)).toEqual({
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
                {
                  deleteAfter: { objectType: 'AbsoluteDeleteOption', duration: 'P30D' },
                  sourceDataStore: { dataStoreType: 'VaultStore', objectType: 'DataStoreInfoBase' },
                },
              ],
            },
            {
              objectType: 'AzureBackupRule',
              name: 'BackupDaily',
              backupParameters: { objectType: 'AzureBackupParams', backupType: 'Discrete' },
              dataStore: { dataStoreType: 'VaultStore', objectType: 'DataStoreInfoBase' },
              trigger: {
                objectType: 'ScheduleBasedTriggerContext',
                schedule: { repeatingTimeIntervals: ['R/2024-01-01T02:00:00+00:00/P1D'] },
                taggingCriteria: [{ isDefault: true, taggingPriority: 99, tagInfo: { tagName: 'Default' } }],
              },
            },
          ],
        },
      });
      expect(backupRuleNameOf(blobPolicyBody(30))).toBe('BackupDaily');
      // PolicyCRUD_CreateOrUpdateBackupPolicy: the rule an ad-hoc backup names
      expect(backupRuleNameOf(example('PolicyCRUD_CreateOrUpdateBackupPolicy').parameters.parameters)).toBe('BackupWeekly');
      const operationalOnly = blobPolicyBody(30);
      operationalOnly.properties.policyRules = operationalOnly.properties.policyRules.slice(0, 1);
      expect(backupRuleNameOf(operationalOnly)).toBeUndefined();
      expect(retentionDaysOf(undefined)).toBe(30);
      expect(retentionDaysOf({ operationalRetentionDays: 360 })).toBe(360);
      expect(retentionDaysOf({ operationalRetentionDays: 361 })).toMatch(/1 to 360/);
    });

    it('compares policies by datasource types and operational retention (a retried create adopts its policy)', () => {
      expect(operationalRetentionOf(blobPolicyBody(30))).toBe('Microsoft.Storage/storageAccounts/blobServices|P30D');
      expect(operationalRetentionOf(blobPolicyBody(7))).not.toBe(operationalRetentionOf(blobPolicyBody(30)));
      expect(
        operationalRetentionOf({ properties: { objectType: 'BackupPolicy', datasourceTypes: ['OssDB'], policyRules: [] } }),
      ).toBeUndefined();
    });

    it('shows blob policies as always-active azureBlob policies and hides others', () => {
      expect(toVendorPolicy({ name: 'conformance-20-policy', properties: blobPolicyBody().properties })).toEqual({
        vendorRef: 'conformance-20-policy',
        workload: 'azureBlob',
        displayName: 'conformance policy',
        active: true,
        vendorStatus: 'Available',
      });
      expect(
        toVendorPolicy({ name: 'OSSDBPolicy', properties: { objectType: 'BackupPolicy', datasourceTypes: ['OssDB'], policyRules: [] } }),
      ).toBeUndefined();
    });
  });

  describe('backup instances', () => {
    it('builds the seed 004 configure-backup request for a storage account', () => {
      expect(blobBackupInstance(STORAGE, POLICY_ID, 'westUS')).toEqual({
        objectType: 'BackupInstance',
        dataSourceInfo: {
          datasourceType: 'Microsoft.Storage/storageAccounts/blobServices',
          objectType: 'Datasource',
          resourceID: STORAGE,
          resourceLocation: 'westUS',
          resourceName: 'msblobbackup',
          resourceType: 'Microsoft.Storage/storageAccounts',
          resourceUri: '',
        },
        policyInfo: { policyId: POLICY_ID },
      });
    });

    it('reads the seed 004 201 body as a storage account not yet protected', () => {
      expect(toVendorItem(SEED_201_BODY, catalog)).toEqual({
        vendorRef: 'msblobbackup-f2df34eb-5628-4570-87b2-0331d797c67d',
        kind: 'storageAccount',
        externalId: STORAGE,
        vendorStatus: 'ConfiguringProtection',
        protected: false,
      });
      expect(policyNameOfInstance(SEED_201_BODY)).toBe('BlobBackup-Policy');
      const configured = structuredClone(SEED_201_BODY);
      configured.properties.currentProtectionState = 'ProtectionConfigured';
      expect(toVendorItem(configured, catalog).protected).toBe(true);
    });

    it('carries a failed protection as a per-item error mapped through the catalog', () => {
      const failed = structuredClone(SEED_201_BODY);
      failed.properties.currentProtectionState = 'ConfiguringProtectionFailed';
      failed.properties.protectionErrorDetails = {
        code: 'UserErrorMissingRequiredPermissions',
        message: 'Appropriate permissions to perform the operation is missing.',
        isRetryable: false,
        isUserError: false,
      };
      expect(toVendorItem(failed, catalog).error).toEqual({
        code: 'PERMISSION_DENIED',
        vendorCode: 'UserErrorMissingRequiredPermissions',
        message: 'Appropriate permissions to perform the operation is missing.',
      });
    });

    it('parses storage account ids and names instances after the account, stably', () => {
      expect(parseStorageAccountId(STORAGE)).toEqual({ subscriptionId: SUB, resourceGroup: 'RG-BlobBackup', name: 'msblobbackup' });
      expect(parseStorageAccountId('/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/disks/z')).toBeUndefined();
      expect(instanceNameFor(STORAGE)).toMatch(/^msblobbackup-[0-9a-f]{12}$/);
      expect(instanceNameFor(STORAGE.toUpperCase().replace('MSBLOBBACKUP', 'msblobbackup'))).toBe(instanceNameFor(STORAGE));
    });
  });

  describe('protection state', () => {
    const inState = (state: string): BackupInstanceResource => ({
      ...SEED_201_BODY,
      properties: { ...SEED_201_BODY.properties, currentProtectionState: state, protectionStatus: { status: state } },
    });
    it.each([
      ['ProtectionConfigured', true, undefined],
      ['ProtectionError', true, undefined],
      ['BackupSchedulesSuspended', true, true],
      ['ProtectionStopped', true, true],
      ['NotProtected', false, true],
      ['ConfiguringProtection', false, undefined],
    ])('maps currentProtectionState %s to protected %s, unprotected %s', (state, isProtected, unprotected) => {
      const item = toVendorItem(inState(state), catalog);
      expect(item).toMatchObject({ vendorStatus: state, protected: isProtected });
      expect(item.unprotected).toBe(unprotected);
      expect(item.error).toBeUndefined();
    });
    it('keeps a stopped instance listed (it still holds its datasource) and hides soft-deleting ones', () => {
      expect(isBeingRemoved(inState('ProtectionStopped'))).toBe(false);
      expect(isBeingRemoved(inState('SoftDeleting'))).toBe(true);
      expect(isBeingRemoved(inState('SoftDeleted'))).toBe(true);
    });
  });

  describe('backup runs', () => {
    it.each([
      ['Started', 'running'],
      ['InProgress', 'running'],
      ['Completed', 'succeeded'],
      ['Success', 'succeeded'],
      ['Succeeded', 'succeeded'],
      ['CompletedWithWarnings', 'warning'],
      ['SuccessWithWarning', 'warning'],
      ['Failed', 'failed'],
      ['Cancelled', 'failed'],
      ['Rehydrating', undefined],
    ])('maps job status %s to %s', (status, expected) => {
      expect(backupRunStatusOf(status)).toBe(expected);
    });

    it('reads the JobCRUD_GetJob example as a running scheduled run of its backup instance', () => {
      const job = example('JobCRUD_GetJob').responses['200'].body;
      expect(isBackupJob(job)).toBe(true);
      expect(jobToBackupRun(job, catalog)).toEqual({
        vendorRef: '3c60cb49-63e8-4b21-b9bd-26277b3fdfae',
        policyRef: 'jakavetdailypolicy',
        itemRef: '28460a9d-707a-45f3-ace6-b16284c2900e',
        status: 'running',
        vendorStatus: 'Started',
        startedAt: new Date('2021-03-17T03:00:03.7604146Z'),
        onDemand: false,
      });
    });

    it("reads JobCRUD_ListJobs' finished job, and keeps an unknown status running with its vendorStatus", () => {
      const jobs = example('JobCRUD_ListJobs').responses['200'].body.value;
      const done = jobs.find((j: any) => j.properties.status === 'Succeeded');
      expect(jobToBackupRun(done, catalog)).toMatchObject({ status: 'succeeded', vendorStatus: 'Succeeded' });
      const odd = { ...done, properties: { ...done.properties, status: 'Rehydrating' } };
      expect(jobToBackupRun(odd, catalog)).toMatchObject({ status: 'running', vendorStatus: 'Rehydrating' });
      expect(jobToBackupRun(odd, catalog).endedAt).toBeUndefined();
    });

    it("maps a failed job's first errorDetails entry and a warning job's warningDetails", () => {
      const base = example('JobCRUD_GetJob').responses['200'].body;
      const failed = {
        ...base,
        properties: {
          ...base.properties,
          status: 'Failed',
          endTime: '2021-03-17T03:10:00Z',
          errorDetails: [
            { code: 'UserErrorMissingRequiredPermissions', message: 'Appropriate permissions to perform the operation is missing.' },
          ],
        },
      };
      expect(jobToBackupRun(failed, catalog)).toMatchObject({
        status: 'failed',
        endedAt: new Date('2021-03-17T03:10:00Z'),
        error: {
          code: 'PERMISSION_DENIED',
          vendorCode: 'UserErrorMissingRequiredPermissions',
          message: 'Appropriate permissions to perform the operation is missing.',
        },
      });
      const bare = { ...failed, properties: { ...failed.properties, errorDetails: undefined } };
      expect(jobToBackupRun(bare, catalog).error).toEqual({ code: 'VENDOR_ERROR', message: 'The backup job ended Failed' });
      const warned = {
        ...base,
        properties: {
          ...base.properties,
          status: 'CompletedWithWarnings',
          extendedInfo: { dataTransferredInBytes: 42, warningDetails: [{ warning: { code: 'SomeBlobsSkipped', message: 'skipped' } }] },
        },
      };
      expect(jobToBackupRun(warned, catalog)).toMatchObject({
        status: 'warning',
        bytesProcessed: 42,
        error: { code: 'VENDOR_ERROR', vendorCode: 'SomeBlobsSkipped', message: 'skipped' },
      });
      const restore = { ...base, properties: { ...base.properties, operationCategory: 'Restore' } };
      expect(isBackupJob(restore)).toBe(false);
    });
  });

  describe('restore points and restores', () => {
    it('turns each restorable time range into a point at its end, within [from, to]', () => {
      const ranges = [{ startTime: '2021-07-01T00:00:00Z', endTime: '2021-07-08T12:00:00Z' }];
      const [p] = rangesToRestorePoints('bi-1', ranges);
      expect(p).toEqual({
        vendorRef: 'bi-1|2021-07-08T12:00:00.000Z',
        protectedItemRef: 'bi-1',
        pointInTime: new Date('2021-07-08T12:00:00Z'),
        tags: ['continuous', 'rangeStart:2021-07-01T00:00:00Z'],
      });
      expect(parseRestorePointRef(p.vendorRef)).toEqual({ instanceName: 'bi-1', at: new Date('2021-07-08T12:00:00Z') });
      expect(parseRestorePointRef(restorePointRef('a|b', new Date(0)))?.instanceName).toBe('a|b');
      expect(rangesToRestorePoints('bi-1', ranges, new Date('2022-01-01T00:00:00Z'))).toEqual([]);
    });

    it('turns paths into [prefix, successor) blob ranges; a bare container covers its blobs only', () => {
      expect(pathToRange('invoices')).toEqual({
        objectType: 'RangeBasedItemLevelRestoreCriteria',
        minMatchingValue: 'invoices/',
        maxMatchingValue: 'invoices0',
      });
      expect(pathToRange('/invoices/2024/')).toEqual({
        objectType: 'RangeBasedItemLevelRestoreCriteria',
        minMatchingValue: 'invoices/2024/',
        maxMatchingValue: 'invoices/20240',
      });
      expect(pathToRange('logs/app.log')).toMatchObject({ minMatchingValue: 'logs/app.log', maxMatchingValue: 'logs/app.loh' });
    });

    it('restores the original storage account to a point in time, item-level when paths are given', () => {
      const at = new Date('2021-07-08T12:00:00Z');
      const whole = restoreRequestBody(SEED_201_BODY, at, 'westus');
      expect(whole).toEqual({
        objectType: 'AzureBackupRecoveryTimeBasedRestoreRequest',
        recoveryPointTime: '2021-07-08T12:00:00.000Z',
        sourceDataStoreType: 'OperationalStore',
        sourceResourceId: STORAGE,
        restoreTargetInfo: {
          objectType: 'RestoreTargetInfo',
          recoveryOption: 'FailIfExists',
          restoreLocation: 'westus',
          datasourceInfo: { ...SEED_201_BODY.properties.dataSourceInfo },
        },
      });
      const items = restoreRequestBody(SEED_201_BODY, at, 'westus', ['invoices']);
      expect(items.restoreTargetInfo).toMatchObject({
        objectType: 'ItemLevelRestoreTargetInfo',
        restoreCriteria: [pathToRange('invoices')],
      });
    });

    it('keeps the operation URLs of each item in the ref, and reads them back', () => {
      const items = [
        {
          restorePointRef: 'bi|t',
          instanceName: 'bi',
          asyncOperationUrl:
            'https://management.azure.com/subscriptions/s/providers/Microsoft.DataProtection/locations/westus/operationStatus/ZTA4==?api-version=2024-04-01',
          locationUrl: 'https://x/l',
        },
      ];
      const ref = toOperationRef(items);
      expect(ref.vendorRef).toBe('ZTA4==');
      expect(fromOperationRef(JSON.parse(JSON.stringify(ref)))).toEqual(items);
      expect(toOperationRef([{ restorePointRef: 'r', instanceName: 'bi', jobId: 'job-1' }]).vendorRef).toBe('job-1');
    });

    it.each([
      ['Started', 'running'],
      ['InProgress', 'running'],
      ['Completed', 'succeeded'],
      ['Success', 'succeeded'],
      ['SuccessWithWarning', 'succeeded'],
      ['CompletedWithWarnings', 'succeeded'],
      ['Failed', 'failed'],
      ['Cancelled', 'cancelled'],
      ['SomethingNew', 'running'],
    ])('maps job status %s to %s', (status, expected) => {
      expect(jobItemStatus(status)).toBe(expected);
    });

    it("maps a failed job's UserFacingError to the item, and aggregates items", () => {
      const failed = jobToItemProgress(
        'rp',
        {
          status: 'Failed',
          errorDetails: [{ code: 'UserErrorRestoreTargetAlreadyExists', message: 'exists', isRetryable: false, isUserError: true }],
        },
        catalog,
      );
      expect(failed).toEqual({
        restorePointRef: 'rp',
        status: 'failed',
        vendorStatus: 'Failed',
        errorCode: 'RESTORE_FAILED',
        vendorCode: 'UserErrorRestoreTargetAlreadyExists',
        errorMessage: 'exists',
      });
      const ok = jobToItemProgress('rp2', { status: 'Completed', extendedInfo: { dataTransferredInBytes: 42 } }, catalog);
      expect(ok).toEqual({ restorePointRef: 'rp2', status: 'succeeded', vendorStatus: 'Completed', restoredBytes: 42 });
      expect(aggregateRestore([ok, failed])).toBe('partiallySucceeded');
      expect(aggregateRestore([ok, { restorePointRef: 'x', status: 'running' }])).toBe('running');
      expect(aggregateRestore([{ restorePointRef: 'x', status: 'pending' }])).toBe('pending');
      expect(aggregateRestore([ok])).toBe('succeeded');
    });
  });

  describe('CloudError classification', () => {
    it('maps the seed 004 400 body to ALREADY_PROTECTED, not retryable', () => {
      expect(classifyCloudError(catalog, 400, SEED_ALREADY_PROTECTED.error)).toEqual({
        code: 'ALREADY_PROTECTED',
        retryable: false,
        vendorCode: 'UserErrorDppDatasourceAlreadyProtected',
        message: SEED_ALREADY_PROTECTED.error!.additionalInfo![0].info!.message,
      });
    });

    const userFacing = (code: string, isRetryable: boolean, isUserError: boolean): CloudError['error'] => ({
      code,
      message: 'm',
      additionalInfo: [{ type: 'UserFacingError', info: { code, message: 'm', isRetryable, isUserError } }],
    });

    it('lets isRetryable decide for a known code, and classifies unknown codes from the flags', () => {
      expect(classifyCloudError(catalog, 500, userFacing('CloudInternalError', false, false))).toMatchObject({
        code: 'VENDOR_ERROR',
        retryable: false,
      });
      expect(classifyCloudError(catalog, 400, userFacing('UserErrorNew', true, false))).toMatchObject({
        code: 'VENDOR_ERROR',
        retryable: true,
      });
      expect(classifyCloudError(catalog, 500, userFacing('UserErrorNew', false, true))).toMatchObject({
        code: 'INVALID_REQUEST',
        retryable: false,
      });
      expect(classifyCloudError(catalog, 400, userFacing('UserErrorNew', false, true))).toMatchObject({
        code: 'INVALID_REQUEST',
        retryable: false,
      });
    });

    it('keeps throttling and unavailability retryable whatever the flags say; ARM codes without flags use the catalog', () => {
      expect(classifyCloudError(catalog, 429, userFacing('SubscriptionRequestsThrottled', false, false))).toMatchObject({
        code: 'THROTTLED',
        retryable: true,
      });
      expect(classifyCloudError(catalog, 503, userFacing('Whatever', false, true))).toMatchObject({
        code: 'VENDOR_UNAVAILABLE',
        retryable: true,
      });
      expect(classifyCloudError(catalog, 404, { code: 'ResourceNotFound', message: 'gone' })).toEqual({
        code: 'NOT_FOUND',
        retryable: false,
        vendorCode: 'ResourceNotFound',
        message: 'gone',
      });
      expect(classifyCloudError(catalog, 502, undefined)).toMatchObject({ code: 'VENDOR_UNAVAILABLE', retryable: true });
    });
  });
});
