import type { RestoreRequest } from '../port/port.types';
import {
  GRAPH_WORKLOADS,
  artifactItemStatus,
  groupRuleExpression,
  toVendorPolicyRule,
  policyIsActive,
  restorePointTags,
  latestRestorePointSearch,
  restorePointsQuery,
  restoreSessionBody,
  restoreState,
  toRestoreProgress,
  toVendorPolicy,
  toVendorProtectedItem,
  toVendorRestorePoint,
  unitDeltaOutcome,
  unitToAdd,
  unitToRemove,
  workloadFromODataType,
} from './graph.mapping';
import type { ProtectionUnitDeltaResult, RestoreArtifactBase, RestorePoint, RestoreSessionBase } from './graph.types';

const sp = GRAPH_WORKLOADS.sharepoint;
const mapCode = (code: string, status: number): string =>
  (
    ({
      'ArtifactCannotBeRestored|200': 'RESTORE_FAILED',
      'UnknownError|200': 'VENDOR_ERROR',
      'QuotaExceeded|200': 'QUOTA_EXCEEDED',
    }) as Record<string, string>
  )[`${code}|${status}`] ?? 'VENDOR_ERROR';

describe('graph mapping: protection policies', () => {
  // backuprestoreroot-list-protectionpolicies, example response (shortened to the fields we read)
  const listed = [
    {
      '@odata.type': '#microsoft.graph.sharePointProtectionPolicy',
      id: 'b218eb4a-ea72-42bd-8f0b-d0bbf794bec7',
      displayName: 'SharePoint Protection Policy',
      status: 'inactive',
    },
    {
      '@odata.type': '#microsoft.graph.exchangeProtectionPolicy',
      id: '945457dc-4bb2-4815-bef3-8628ebd1952e',
      displayName: 'Exchange Protection Policy',
      status: 'active',
    },
    {
      '@odata.type': '#microsoft.graph.oneDriveForBusinessProtectionPolicy',
      id: '785457dc-4bb2-4815-bef3-8628ebd1952e',
      displayName: 'OneDrive Protection',
      status: 'updating',
    },
  ];

  it('recognises the workload from @odata.type, case-insensitively', () => {
    expect(listed.map((p) => workloadFromODataType(p['@odata.type'])?.workload)).toEqual(['sharepoint', 'exchange', 'onedrive']);
    // the create-session doc sample writes "sharepointRestoreSession"
    expect(workloadFromODataType('#microsoft.graph.sharepointRestoreSession')?.workload).toBe('sharepoint');
    expect(workloadFromODataType('#microsoft.graph.exchangeRestoreSession')?.workload).toBe('exchange');
    expect(workloadFromODataType(undefined)).toBeUndefined();
  });

  it('maps a listed policy field by field', () => {
    expect(toVendorPolicy(listed[0], 'sharepoint')).toEqual({
      vendorRef: 'b218eb4a-ea72-42bd-8f0b-d0bbf794bec7',
      workload: 'sharepoint',
      displayName: 'SharePoint Protection Policy',
      active: false,
      vendorStatus: 'inactive',
    });
    expect(toVendorPolicy(listed[1], 'exchange')).toMatchObject({
      vendorRef: '945457dc-4bb2-4815-bef3-8628ebd1952e',
      active: true,
      vendorStatus: 'active',
    });
  });

  it('reads activity from status, and from isEnabled only while updating', () => {
    expect(policyIsActive({ id: 'a', status: 'activeWithErrors' })).toBe(true);
    expect(policyIsActive({ id: 'a', status: 'inactive', isEnabled: true })).toBe(false);
    expect(policyIsActive({ id: 'a', status: 'updating', isEnabled: true })).toBe(true);
    expect(policyIsActive({ id: 'a', status: 'updating', isEnabled: false })).toBe(false);
  });
});

describe('graph mapping: protection units', () => {
  it('builds additions and removals as in the sharePointProtectionPolicy update sample', () => {
    expect(unitToAdd('contoso.sharepoint.com,bf6fb551-d508-4946-a439-b2a6154fc1d9,65a04b8b-1f44-442b-a1fc-9e5852fb946c', sp)).toEqual({
      siteId: 'contoso.sharepoint.com,bf6fb551-d508-4946-a439-b2a6154fc1d9,65a04b8b-1f44-442b-a1fc-9e5852fb946c',
    });
    expect(unitToAdd('845457dc-4bb2-4815-bef3-8628ebd1952e', GRAPH_WORKLOADS.onedrive)).toEqual({
      directoryObjectId: '845457dc-4bb2-4815-bef3-8628ebd1952e',
    });
    expect(unitToAdd('845457dc-4bb2-4815-bef3-8628ebd1952e', GRAPH_WORKLOADS.exchange)).toEqual({
      directoryObjectId: '845457dc-4bb2-4815-bef3-8628ebd1952e',
    });
    expect(unitToRemove('99954f18-c8ec-4b62-85bf-cdf3b70b140e')).toEqual({
      '@removed': { reason: 'changed' },
      id: '99954f18-c8ec-4b62-85bf-cdf3b70b140e',
    });
  });

  // sharepointprotectionpolicy-update, example response: an added unit, a removed unit, a refused removal
  const added: ProtectionUnitDeltaResult = {
    id: '89014d8c-71fe-4d00-a01a-31850bc5b32c',
    siteId: 'contoso.sharepoint.com,d9ecf079-9b13-4376-ac5d-f242dda55626,746dbcc1-fa2b-4120-b657-2670bae5bb6f',
    policyId: '845457dc-4bb2-4815-bef3-8628ebd1952e',
    status: 'protectRequested',
    error: null,
  };
  const removed: ProtectionUnitDeltaResult = {
    policyId: '845457dc-4bb2-4815-bef3-8628ebd1952e',
    id: '99954f18-c8ec-4b62-85bf-cdf3b70b140e',
    siteId: 'contoso.sharepoint.com,bf6fb551-d508-4946-a439-b2a6154fc1d9,65a04b8b-1f44-442b-a1fc-9e5852fbrtys',
    status: 'removeRequested',
    error: null,
  };
  const refused: ProtectionUnitDeltaResult = {
    '@contentId': '3467e382-71a9-4c07-bef7-bda97e09c0d2',
    '@Core.DataModificationException': {
      info: { code: 'Invalid', message: 'The identifier to be removed from the Protection Policy does not exist' },
      failedOperation: 'remove',
      responseCode: 409,
    },
    id: '4267e382-71a9-4c07-bef7-bda97e09c0d2',
  };

  it('maps a unit of the PATCH response to a protected item', () => {
    expect(toVendorProtectedItem(added, sp, mapCode)).toEqual({
      vendorRef: '89014d8c-71fe-4d00-a01a-31850bc5b32c',
      kind: 'site',
      externalId: 'contoso.sharepoint.com,d9ecf079-9b13-4376-ac5d-f242dda55626,746dbcc1-fa2b-4120-b657-2670bae5bb6f',
      vendorStatus: 'protectRequested',
      protected: false,
    });
    expect(toVendorProtectedItem({ ...added, status: 'protected' }, sp, mapCode).protected).toBe(true);
  });

  it("a unit's error (seed 000 §Get Protection unit, HTTP 200) fails that item with the catalog's code, even if it reads protected", () => {
    const quota = { code: 'QuotaExceeded', message: 'You have exceeded the backup quota.' };
    expect(toVendorProtectedItem({ ...added, status: 'protected', error: quota }, sp, mapCode)).toMatchObject({
      protected: false,
      error: { code: 'QUOTA_EXCEEDED', vendorCode: 'QuotaExceeded', message: 'You have exceeded the backup quota.' },
    });
  });

  it('reads per-unit outcomes: success, and the @Core.DataModificationException refusal', () => {
    expect(unitDeltaOutcome(added, sp)).toEqual({ unitId: added.id, externalId: added.siteId, status: 'protectRequested' });
    expect(unitDeltaOutcome(removed, sp)).toEqual({ unitId: removed.id, externalId: removed.siteId, status: 'removeRequested' });
    expect(unitDeltaOutcome(refused, sp)).toEqual({
      unitId: '4267e382-71a9-4c07-bef7-bda97e09c0d2',
      externalId: undefined,
      error: { vendorCode: 'Invalid', message: 'The identifier to be removed from the Protection Policy does not exist', httpStatus: 200 },
    });
  });

  it('reads a per-unit publicError (seed 000 §Patch Protection Policies: 200 ProtectionUnitAlreadyExists)', () => {
    const dup: ProtectionUnitDeltaResult = {
      siteId: 'contoso.sharepoint.com,1,2',
      error: { code: 'ProtectionUnitAlreadyExists', message: 'ProtectionUnit level error: ProtectionUnit already exists.' },
    };
    expect(unitDeltaOutcome(dup, sp)).toEqual({
      unitId: undefined,
      externalId: 'contoso.sharepoint.com,1,2',
      status: undefined,
      error: {
        vendorCode: 'ProtectionUnitAlreadyExists',
        message: 'ProtectionUnit level error: ProtectionUnit already exists.',
        httpStatus: 200,
      },
    });
  });

  it('keeps a mailbox unit keyed by directoryObjectId', () => {
    const unit = { id: 'u1', directoryObjectId: 'obj-1', email: 'a@contoso.com', status: 'unprotected' };
    expect(toVendorProtectedItem(unit, GRAPH_WORKLOADS.exchange, mapCode)).toEqual({
      vendorRef: 'u1',
      kind: 'mailbox',
      externalId: 'obj-1',
      vendorStatus: 'unprotected',
      protected: false,
      unprotected: true,
    });
  });

  it('reads every status in which Graph lists a unit but no longer backs it up as unprotected, and no other', () => {
    const of = (status: string) => toVendorProtectedItem({ id: 'u1', siteId: 's1', status }, GRAPH_WORKLOADS.sharepoint, mapCode);
    for (const status of ['unprotectRequested', 'unprotected', 'removeRequested', 'offboardRequested', 'offboarded']) {
      expect(of(status).unprotected).toBe(true);
    }
    for (const status of ['protectRequested', 'protected', 'cancelOffboardRequested', 'unknownFutureValue']) {
      expect(of(status).unprotected).toBeUndefined();
    }
  });
});

describe('graph mapping: restore points', () => {
  // backuprestoreroot-list-restorepoints, example response, first item
  const rp: RestorePoint = {
    '@odata.type': '#microsoft.graph.restorePoint',
    id: 'cdf4a823-sfde-ki2s-kmsj-clu2nsdkk2as',
    protectionDateTime: '2023-01-01T00:00:00Z',
    expirationDateTime: '2024-01-01T00:00:00Z',
    protectionUnit: {
      '@odata.type': '#microsoft.graph.siteProtectionUnit',
      id: '32514d8c-71fe-4d00-a01a-31850bc5b32c',
      siteId: 'contoso-jpn.sharepoint.com,da60e844-ba1d-49bc-b4d4-d5e36bae9019,0271110f-634f-4300-a841-3a8a2e851852',
      policyId: '9fec8e78-bce4-4aaf-ab1b-5451cc387264',
    },
    tags: 'fastRestore',
  };

  it('maps a restore point field by field', () => {
    expect(toVendorRestorePoint(rp, 'ignored-because-expanded')).toEqual({
      vendorRef: 'cdf4a823-sfde-ki2s-kmsj-clu2nsdkk2as',
      protectedItemRef: '32514d8c-71fe-4d00-a01a-31850bc5b32c',
      pointInTime: new Date('2023-01-01T00:00:00Z'),
      expiresAt: new Date('2024-01-01T00:00:00Z'),
      tags: ['fastRestore'],
    });
    expect(toVendorRestorePoint({ id: 'x', protectionDateTime: '2023-01-01T00:00:00Z' }, 'unit-1')).toEqual({
      vendorRef: 'x',
      protectedItemRef: 'unit-1',
      pointInTime: new Date('2023-01-01T00:00:00Z'),
      tags: [],
    });
  });

  it('reads restorePointTags as a flags list', () => {
    expect(restorePointTags('none')).toEqual([]);
    expect(restorePointTags('fastRestore, unknownFutureValue')).toEqual(['fastRestore', 'unknownFutureValue']);
  });

  it('queries one unit exactly as the List restorePoints doc shows: $expand on the unit id, $filter protectionDateTime lt', () => {
    expect(restorePointsQuery('d234cf54-e0fb-49b7-9c8a-5bcd1439e853', new Date('2024-05-12T10:01:00Z'))).toEqual({
      $expand: "protectionUnit($filter=id eq 'd234cf54-e0fb-49b7-9c8a-5bcd1439e853')",
      $filter: 'protectionDateTime lt 2024-05-12T10:01:00.000Z',
    });
  });

  it('searches the latest point of one unit in a period, without endDateTime when open-ended (restorePoint: search doc)', () => {
    expect(latestRestorePointSearch('u-1', new Date('2021-01-01T00:00:00Z'), new Date('2021-01-08T00:00:00Z'))).toEqual({
      protectionUnitIds: ['u-1'],
      protectionTimePeriod: { startDateTime: '2021-01-01T00:00:00.000Z', endDateTime: '2021-01-08T00:00:00.000Z' },
      restorePointPreference: 'latest',
    });
    expect(latestRestorePointSearch('u-1')).toEqual({
      protectionUnitIds: ['u-1'],
      protectionTimePeriod: { startDateTime: '1970-01-01T00:00:00.000Z' },
      restorePointPreference: 'latest',
    });
  });
});

describe('graph mapping: restore sessions', () => {
  const req: RestoreRequest = {
    clientRef: 'job-1',
    workload: 'sharepoint',
    destination: 'original',
    items: [
      { restorePointRef: '1f1fccc3-a642-4f61-bf49-f37b9a888279', protectedItemRef: 'u1', externalId: 's1', pointInTime: new Date(0) },
      { restorePointRef: '1f1fccc3-a642-4f61-bf49-f37b9a888280', protectedItemRef: 'u2', externalId: 's2', pointInTime: new Date(0) },
    ],
  };

  it('builds the create-session body of the docs sample (destination original = inPlace)', () => {
    // backuprestoreroot-post-sharepointrestoresessions, example request
    expect(restoreSessionBody(req, sp)).toEqual({
      siteRestoreArtifacts: [
        { restorePoint: { '@odata.id': '1f1fccc3-a642-4f61-bf49-f37b9a888279' }, destinationType: 'inPlace' },
        { restorePoint: { '@odata.id': '1f1fccc3-a642-4f61-bf49-f37b9a888280' }, destinationType: 'inPlace' },
      ],
    });
    expect(restoreSessionBody({ ...req, workload: 'exchange', destination: 'new' }, GRAPH_WORKLOADS.exchange)).toEqual({
      mailboxRestoreArtifacts: req.items.map((i) => ({ restorePoint: { '@odata.id': i.restorePointRef }, destinationType: 'new' })),
    });
  });

  it('maps every restoreSessionStatus (seed 003)', () => {
    expect(['draft', 'activating', 'active', 'completedWithError', 'completed', 'failed', 'unknownFutureValue'].map(restoreState)).toEqual([
      'pending',
      'running',
      'running',
      'partiallySucceeded',
      'succeeded',
      'failed',
      'failed',
    ]);
  });

  it('maps every artifactRestoreStatus', () => {
    expect(['added', 'scheduling', 'scheduled', 'inProgress', 'succeeded', 'failed'].map(artifactItemStatus)).toEqual([
      'pending',
      'pending',
      'pending',
      'running',
      'succeeded',
      'failed',
    ]);
  });

  // sharepointrestoresession-list-siterestoreartifacts, example response, plus one failed artifact
  const artifacts: RestoreArtifactBase[] = [
    {
      id: '959ba739-70b5-43c4-8c90-b2c22014f18a',
      destinationType: 'inPlace',
      status: 'succeeded',
      startDateTime: '2023-12-04T12:18:55.2117521Z',
      completionDateTime: '2023-12-04T13:22:12.7209691Z',
      restoredSiteId: '42f0e20e-748a-4444-80bb-d641d1865574',
      restoredSiteName: 'testsite101',
      restoredSiteWebUrl: 'https://a830edad9050849odb10gb.sharepoint.com/sites/testsite101R3',
      restorePoint: {
        id: 'c7e702b7-b5ee-4faf-9e43-5fd23b4fb0bf_1701648000_14_1',
        protectionDateTime: '2023-12-04T00:00:00Z',
        expirationDateTime: '2023-12-18T00:00:00Z',
      },
    },
    {
      id: '959ba739-70b5-43c4-8c90-b2c22014f18b',
      destinationType: 'inPlace',
      status: 'failed',
      error: {
        code: 'ArtifactCannotBeRestored',
        message:
          'The restore artifact is in an unexpected state such as preservation lock or TenantDivestiture which is blocking the restore.',
      },
      restorePoint: { id: '28684b23-7f38-44bc-91c0-a3c92758030d_1601648000_14_1' },
    },
  ];

  it('maps a terminal session with per-artifact results and catalog codes', () => {
    const session: RestoreSessionBase = { id: '61633878-8321-4950-bfaf-ed285bdd1461', status: 'completedWithError' };
    expect(toRestoreProgress(session, artifacts, mapCode)).toEqual({
      state: 'partiallySucceeded',
      vendorStatus: 'completedWithError',
      items: [
        { restorePointRef: 'c7e702b7-b5ee-4faf-9e43-5fd23b4fb0bf_1701648000_14_1', status: 'succeeded', vendorStatus: 'succeeded' },
        {
          restorePointRef: '28684b23-7f38-44bc-91c0-a3c92758030d_1601648000_14_1',
          status: 'failed',
          vendorStatus: 'failed',
          errorCode: 'RESTORE_FAILED',
          vendorCode: 'ArtifactCannotBeRestored',
          errorMessage:
            'The restore artifact is in an unexpected state such as preservation lock or TenantDivestiture which is blocking the restore.',
        },
      ],
    });
  });

  it('maps the create-session response (status activating) without items', () => {
    // backuprestoreroot-post-sharepointrestoresessions, example response
    const created: RestoreSessionBase = {
      '@odata.type': '#microsoft.graph.sharepointRestoreSession',
      id: '61633878-8321-4950-bfaf-ed285bdd1461',
      status: 'activating',
    };
    expect(toRestoreProgress(created, undefined, mapCode)).toEqual({ state: 'running', vendorStatus: 'activating' });
  });

  it('carries a session-level publicError', () => {
    const failed: RestoreSessionBase = { id: 's', status: 'failed', error: { code: 'UnknownError', message: 'Unknown Error Occurred.' } };
    expect(toRestoreProgress(failed, undefined, mapCode)).toEqual({
      state: 'failed',
      vendorStatus: 'failed',
      error: { code: 'VENDOR_ERROR', vendorCode: 'UnknownError', message: 'Unknown Error Occurred.' },
    });
  });
});

describe('graph inclusion rules mapping', () => {
  const mapCode = (code: string, status: number) =>
    code === 'ProtectionUnitAlreadyExists' && status === 200 ? 'ALREADY_PROTECTED' : 'VENDOR_ERROR';

  it('builds the group expression of the driveExpression examples (Graph docs driveProtectionRule)', () => {
    expect(groupRuleExpression(['d7f5150a-0c6f-4894-a6a1-6df77b26f375'])).toBe(
      "(memberOf -any (group.id -in ['d7f5150a-0c6f-4894-a6a1-6df77b26f375']))",
    );
    expect(groupRuleExpression(['a', 'b'])).toBe("(memberOf -any (group.id -in ['a', 'b']))");
  });

  it.each([
    ['draft', 'pending'],
    ['active', 'running'],
    ['updateRequested', 'running'],
    ['unknownFutureValue', 'running'],
    ['completed', 'completed'],
    ['completedWithErrors', 'completedWithErrors'],
    ['deleteRequested', 'deleting'],
  ])('maps protectionRuleStatus %s to %s', (status, state) => {
    expect(toVendorPolicyRule({ id: 'r', status }, mapCode)).toEqual({ vendorRef: 'r', state, vendorStatus: status });
  });

  it('carries the rule error (publicError) as a normalized error', () => {
    const rule = { id: 'r', status: 'completedWithErrors', error: { code: 'ProtectionUnitAlreadyExists', message: '1 already protected' } };
    expect(toVendorPolicyRule(rule, mapCode)).toEqual({
      vendorRef: 'r',
      state: 'completedWithErrors',
      vendorStatus: 'completedWithErrors',
      error: { code: 'ALREADY_PROTECTED', vendorCode: 'ProtectionUnitAlreadyExists', message: '1 already protected' },
    });
  });
});
