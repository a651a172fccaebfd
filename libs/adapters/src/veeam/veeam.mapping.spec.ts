import { nextOffset } from './veeam.client';
import { parseVeeamError } from './veeam.errors';
import {
  decodeOperation,
  editOf,
  encodeOperation,
  itemProgress,
  itemRef,
  jobItemFor,
  jobObjects,
  objectOutcomes,
  runStatusOf,
  toBackupRun,
  overallState,
  parseItemRef,
  restorePointQuery,
  splitPath,
  toProtectedItem,
  toRepositoryUsage,
  toRestorePoint,
  toRestoreProgress,
  toVendorPolicy,
  workloadOfItem,
} from './veeam.mapping';
import type { RESTJob, RESTJobSession, RESTLogItem, RESTRestorePoint, RESTRestoreSession, RESTRestoreSessionEvent } from './veeam.types';

// seed 002 §Create Restore Session for Backup Repository, 201 sample (RESTRestoreSession).
const SEED_SESSION: RESTRestoreSession = {
  id: '00000000-0000-0000-0000-000000000000',
  name: 'string',
  type: 'Vex',
  creationTime: '2019-08-24T14:15:22Z',
  endTime: '2019-08-24T14:15:22Z',
  state: 'Working',
  result: 'Success',
};
// vendor OpenAPI RESTJob properties with the spec's example values.
const JOB: RESTJob = {
  backupType: 'SelectedItems',
  id: '5f0c1c44-0000-4000-a000-000000000001',
  organizationId: '00000000-0000-0000-0000-000000000000',
  repositoryId: '00000000-0000-0000-0000-000000000000',
  name: 'Daily SharePoint',
  lastRun: '2019-08-24T14:15:22Z',
  nextRun: '2019-08-25T14:15:22Z',
  lastBackup: '2019-08-24T14:15:22Z',
  isEnabled: true,
  lastStatus: 'Success',
};
const SITE = {
  id: 'site-1',
  url: 'https://contoso.sharepoint.com/sites/Sales',
  title: 'Sales',
  name: 'Sales',
  isCloud: true,
  isPersonal: false,
};
const USER = { id: 'user-1', displayName: 'Adele Vance', name: 'adele@contoso.onmicrosoft.com', type: 'User' as const };

const event = (status: RESTRestoreSessionEvent['status'], extra: Partial<RESTRestoreSessionEvent> = {}): RESTRestoreSessionEvent => ({
  id: `e-${status}`,
  type: 'Restore',
  status,
  message: `${status} message`,
  startTime: '2019-08-24T14:15:22Z',
  order: 1,
  ...extra,
});
const ENTRY = { sessionId: SEED_SESSION.id, restorePointRef: 'rp-1', protectedItemRef: 'job:Site:site-1' };

describe('veeam mapping', () => {
  it('round-trips protected item refs and refuses foreign ones', () => {
    const ref = itemRef(JOB.id, 'Site', SITE.id);
    expect(ref).toBe(`${JOB.id}:Site:site-1`);
    expect(parseItemRef(ref)).toEqual({ jobId: JOB.id, type: 'Site', entityId: 'site-1' });
    expect(parseItemRef(`${JOB.id}:User:a:b`)).toEqual({ jobId: JOB.id, type: 'User', entityId: 'a:b' });
    expect(parseItemRef('item-0')).toBeUndefined();
    expect(parseItemRef(`${JOB.id}:Group:g`)).toBeUndefined();
  });

  it('builds job items with the fields the spec requires', () => {
    // spec RESTJobSite: id, url, title, isCloud, isPersonal are required.
    expect(jobItemFor('sharepoint', SITE)).toEqual({ type: 'Site', site: SITE });
    expect(jobItemFor('exchange', USER)).toEqual({
      type: 'User',
      user: { id: 'user-1', displayName: 'Adele Vance', name: 'adele@contoso.onmicrosoft.com' },
      mailbox: true,
    });
    expect(jobItemFor('onedrive', USER)).toMatchObject({ type: 'User', oneDrive: true });
    expect(jobItemFor('onedrive', USER).mailbox).toBeUndefined();
  });

  it.each([
    [{ type: 'Site', site: SITE }, 'sharepoint'],
    [{ type: 'User', user: USER, mailbox: true, oneDrive: true }, 'exchange'],
    [{ type: 'User', user: USER, archiveMailbox: true }, 'exchange'],
    [{ type: 'User', user: USER, oneDrive: true }, 'onedrive'],
    [{ type: 'Team', team: { id: 't', displayName: 'T', mail: 't@x' } }, 'teams'],
    [{ type: 'PersonalSites' }, undefined],
  ] as const)('reads the workload of job item %j as %s', (item, workload) => {
    expect(workloadOfItem(item as never)).toBe(workload);
  });

  it('builds the whole RESTEditBackupJob of a job as read, read-only fields and item links left out', () => {
    const item = { id: 'i1', type: 'Site' as const, site: SITE, _links: { self: { href: '/v8/Jobs/j/SelectedItems/i1' } } };
    const schedulePolicy = { type: 'Periodically' as const, periodicallyEvery: 'Hours4' };
    expect(editOf({ ...JOB, isEnabled: false, schedulePolicy }, { name: 'New', selectedItems: [item], excludedItems: [] })).toEqual({
      name: 'New',
      backupType: 'SelectedItems',
      repositoryId: JOB.repositoryId,
      isEnabled: false,
      schedulePolicy,
      selectedItems: [{ id: 'i1', type: 'Site', site: SITE }],
      excludedItems: [],
    });
    expect(editOf({ ...JOB, backupType: 'EntireOrganization' }, { selectedItems: [], excludedItems: [] })).not.toHaveProperty(
      'selectedItems',
    );
  });

  it("maps a repository and its backed-up organizations (seed 002 samples) to the organization's usage", () => {
    // seed 002 §Get Backup Repositories / §Get Backed-Up Organizations sample values.
    const repo = { id: '00000000-0000-0000-0000-000000000000', name: 'string', capacityBytes: 0, freeSpaceBytes: 0, isLongTerm: true };
    const org = '11111111-1111-4111-a111-111111111111';
    expect(
      toRepositoryUsage(repo, org, [
        { id: 'other', usedSpaceBytes: 5 },
        { id: org, name: 'contoso', usedSpaceBytes: 42, localCacheUsedSpaceBytes: 1, objectStorageUsedSpaceBytes: 40 },
      ]),
    ).toEqual({
      repositoryRef: repo.id,
      name: 'string',
      capacityBytes: 0,
      freeSpaceBytes: 0,
      longTerm: true,
      usedBytes: 42,
      objectStorageUsedBytes: 40,
    });
    expect(toRepositoryUsage({ id: 'r' }, org, [])).toEqual({ repositoryRef: 'r', name: 'r', longTerm: false, usedBytes: 0 });
  });

  it('maps a job to a policy, keeping the raw status', () => {
    expect(toVendorPolicy(JOB, 'sharepoint')).toEqual({
      vendorRef: JOB.id,
      workload: 'sharepoint',
      displayName: 'Daily SharePoint',
      active: true,
      vendorStatus: 'Success',
    });
    expect(toVendorPolicy({ ...JOB, isEnabled: false, lastStatus: null }, 'exchange')).toMatchObject({
      active: false,
      vendorStatus: 'Disabled',
    });
  });

  it('counts an item protected once its job has a successful backup', () => {
    const item = { id: 'ji-1', type: 'Site' as const, site: SITE };
    expect(toProtectedItem(JOB, item, 'sharepoint')).toEqual({
      vendorRef: `${JOB.id}:Site:site-1`,
      kind: 'site',
      externalId: 'site-1',
      vendorStatus: 'Success',
      protected: true,
    });
    expect(toProtectedItem({ ...JOB, lastBackup: null, lastStatus: null }, item, 'sharepoint')).toMatchObject({
      protected: false,
      vendorStatus: 'NotRun',
    });
    expect(toProtectedItem({ ...JOB, lastStatus: 'Failed' }, item, 'sharepoint')?.protected).toBe(false);
    expect(toProtectedItem(JOB, { type: 'User', user: USER, mailbox: true }, 'exchange')?.kind).toBe('mailbox');
    expect(toProtectedItem(JOB, { type: 'PartialOrganization' }, 'exchange')).toBeUndefined();
  });

  it("queries restore points by job and entity, widening Veeam's exclusive from/to to an inclusive window", () => {
    const from = new Date('2026-01-01T00:00:00.000Z');
    const to = new Date('2026-01-02T00:00:00.000Z');
    expect(restorePointQuery({ jobId: 'j', type: 'Site', entityId: 's' }, from, to)).toEqual({
      jobId: 'j',
      siteId: 's',
      from: '2025-12-31T23:59:59.999Z',
      to: '2026-01-02T00:00:00.001Z',
    });
    expect(restorePointQuery({ jobId: 'j', type: 'User', entityId: 'u' })).toEqual({
      jobId: 'j',
      userId: 'u',
      from: undefined,
      to: undefined,
    });
  });

  it('maps a restore point (spec RESTRestorePoint example) with tags', () => {
    const rp: RESTRestorePoint = {
      id: 'rp-1',
      isDeleted: false,
      repositoryId: '00000000-0000-0000-0000-000000000000',
      backupTime: '2019-08-24T14:15:22Z',
      jobId: JOB.id,
      isExchange: false,
      isSharePoint: true,
      isOneDrive: false,
      isTeams: false,
      isLongTermCopy: false,
      isCopy: true,
      isRetrieved: false,
      immutabilityExpiresOn: null,
    } as RESTRestorePoint;
    expect(toRestorePoint(rp, 'ref')).toEqual({
      vendorRef: 'rp-1',
      protectedItemRef: 'ref',
      pointInTime: new Date('2019-08-24T14:15:22Z'),
      tags: ['sharepoint', 'copy'],
    });
    expect(toRestorePoint({ ...rp, immutabilityExpiresOn: '2030-01-01T00:00:00Z' }, 'ref').expiresAt).toEqual(
      new Date('2030-01-01T00:00:00Z'),
    );
  });

  const RESTORE: RESTRestoreSession = { ...SEED_SESSION, id: 'restore-1', name: 'Restore site Sales' };
  const read = (explore: Partial<RESTRestoreSession>, restores: Array<Partial<RESTRestoreSession>>, events: RESTRestoreSessionEvent[]) => ({
    explore: { ...SEED_SESSION, ...explore },
    restores: restores.map((r) => ({ ...RESTORE, ...r })),
    events,
  });

  it.each([
    ['Working', [], [], 'pending'],
    ['Stopped', [], [], 'cancelled'],
    // Events in the explore session are not the item's: only its restore sessions count.
    ['Working', [], [event('Success')], 'pending'],
    ['Working', [{ state: 'Working' }], [], 'running'],
    ['Working', [{ state: 'Working' }], [event('Running')], 'running'],
    ['Working', [{ state: 'Stopped' }], [event('Success', { itemSizeBytes: 10 })], 'succeeded'],
    ['Working', [{ state: 'Stopped', result: 'Warning' }], [event('Warning')], 'succeeded'],
    ['Working', [{ state: 'Stopped' }, { state: 'Stopped' }], [event('Success'), event('Failed')], 'failed'],
    ['Working', [{ state: 'Stopped' }], [event('Skipped')], 'failed'],
    ['Stopped', [{ state: 'Stopped' }], [event('Cancelled')], 'cancelled'],
    ['Working', [{ state: 'Stopped', result: 'Failed' }], [], 'failed'],
    ['Working', [{ state: 'Stopped', result: 'Success' }], [event('Success', { type: 'View' })], 'succeeded'],
  ] as const)('explore %s, restore sessions %j, events %j: the item is %s', (state, restores, events, status) => {
    const r = read({ state }, [...restores], [...events]);
    expect(itemProgress(ENTRY, restores.length ? r : { ...r, events: [] }).status).toBe(status);
  });

  it("carries the failed event's message and the restored bytes", () => {
    expect(itemProgress(ENTRY, read({}, [{ state: 'Stopped' }], [event('Failed')]))).toMatchObject({
      errorCode: 'RESTORE_FAILED',
      vendorCode: 'Failed',
      errorMessage: 'Failed message',
      restorePointRef: 'rp-1',
    });
    expect(
      itemProgress(
        ENTRY,
        read({}, [{ state: 'Stopped' }], [event('Success', { itemSizeBytes: 7 }), event('Warning', { itemSizeBytes: 3 })]),
      ).restoredBytes,
    ).toBe(10);
  });

  it.each([
    [[], 'pending'],
    [['pending', 'pending'], 'pending'],
    [['pending', 'succeeded'], 'running'],
    [['running', 'succeeded'], 'running'],
    [['succeeded', 'succeeded'], 'succeeded'],
    [['succeeded', 'failed'], 'partiallySucceeded'],
    [['succeeded', 'cancelled'], 'partiallySucceeded'],
    [['cancelled', 'cancelled'], 'cancelled'],
    [['failed', 'cancelled'], 'failed'],
  ] as const)('items %j make the restore %s', (statuses, state) => {
    expect(overallState(statuses.map((status) => ({ status })))).toBe(state);
  });

  it("builds progress with the restore sessions' raw state (the explore session's before the start) and an error when failed", () => {
    const p = toRestoreProgress([ENTRY], [read({}, [{ state: 'Stopped', result: 'Failed' }], [event('Failed')])]);
    expect(p).toMatchObject({ state: 'failed', vendorStatus: 'Stopped/Failed', error: { code: 'RESTORE_FAILED', vendorCode: 'Failed' } });
    expect(toRestoreProgress([ENTRY], [read({}, [], [])])).toMatchObject({ state: 'pending', vendorStatus: 'Working/Success' });
  });

  it('round-trips the operation ref and reads a bare list of session ids', () => {
    const started = { ...ENTRY, sessionId: 's2', restoreSessionIds: ['r1', 'r2'] };
    const ref = encodeOperation([ENTRY, started], 'sharepoint');
    // vendorRef names the explore sessions, before and after the start alike.
    expect(ref.vendorRef).toBe(`${SEED_SESSION.id},s2`);
    expect(decodeOperation(ref)).toEqual([ENTRY, started]);
    expect(decodeOperation({ vendorRef: 'a,b' })).toEqual([
      { sessionId: 'a', restorePointRef: '', protectedItemRef: '' },
      { sessionId: 'b', restorePointRef: '', protectedItemRef: '' },
    ]);
  });

  it('reads the three error shapes', () => {
    // seed 002 "default" sample
    expect(parseVeeamError(500, { message: 'string', errorCode: 'ProxyOffline', stackTrace: 'string' })).toEqual({
      vendorCode: 'ProxyOffline',
      message: 'string',
    });
    expect(parseVeeamError(400, { error: 'invalid_grant', error_description: 'The user name or password is incorrect.' })).toEqual({
      vendorCode: 'invalid_grant',
      message: 'The user name or password is incorrect.',
    });
    expect(parseVeeamError(401, { message: 'Authorization has been denied for this request.', errorCode: null })).toEqual({
      vendorCode: 'Http401',
      message: 'Authorization has been denied for this request.',
    });
    expect(parseVeeamError(429, 'API calls quota exceeded! maximum admitted 25 per Minute.')).toEqual({
      vendorCode: 'Http429',
      message: 'API calls quota exceeded! maximum admitted 25 per Minute.',
    });
    expect(parseVeeamError(502, undefined)).toEqual({ vendorCode: 'Http502', message: 'HTTP 502' });
  });

  it('splits restore paths, a trailing slash marking a folder', () => {
    expect(splitPath('Documents/Reports/Q1.xlsx')).toEqual({ segments: ['Documents', 'Reports', 'Q1.xlsx'], folder: false });
    expect(splitPath('/Documents/Reports/')).toEqual({ segments: ['Documents', 'Reports'], folder: true });
  });

  it('pages by offset + limit until a short page, whatever the HAL links say', () => {
    expect(nextOffset({ offset: 0, limit: 30, results: new Array(30), _links: { self: {}, next: { href: '?offset=30' } } }, 30)).toBe(30);
    // The spec's _links is an open dictionary: a full page without `next` may still have a successor.
    expect(nextOffset({ offset: 30, limit: 30, results: new Array(30), _links: { self: {} } }, 30)).toBe(60);
    expect(nextOffset({ offset: 0, limit: 30, results: new Array(30) }, 30)).toBe(30);
    expect(nextOffset({ offset: 0, limit: 30, results: new Array(5), _links: { next: { href: '?offset=30' } } }, 30)).toBeUndefined();
    expect(nextOffset({ offset: 60, limit: 30, results: [] }, 30)).toBeUndefined();
    // A server that answers fewer per page than asked: the page size it names counts.
    expect(nextOffset({ offset: 0, limit: 1000, results: new Array(1000) }, 10_000)).toBe(1000);
  });
});

describe('backup runs (job sessions)', () => {
  // spec RESTJobSession.status enum, every value.
  it.each([
    ['Success', 'succeeded'],
    ['Warning', 'warning'],
    ['Failed', 'failed'],
    ['Running', 'running'],
    ['Queued', 'queued'],
    ['Stopped', 'failed'],
    ['NotConfigured', 'failed'],
    ['Disconnected', 'failed'],
  ])('session status %s is %s', (status, ours) => {
    expect(runStatusOf({ status, endTime: '2026-01-01T00:02:00Z' })).toBe(ours);
  });

  it('an unknown status is failed once the session has ended, running before', () => {
    expect(runStatusOf({ status: 'Paused', endTime: null })).toBe('running');
    expect(runStatusOf({ status: 'Paused', endTime: '2026-01-01T00:02:00Z' })).toBe('failed');
  });

  const session: RESTJobSession = {
    id: 's1',
    jobId: 'j1',
    creationTime: '2026-01-01T00:00:00Z',
    endTime: '2026-01-01T00:02:00Z',
    status: 'Failed',
    details: 'Job finished with 1 error.',
    progress: 1,
    statistics: { processedObjects: 120, transferredDataBytes: 5_000_000 },
  };

  it('maps a session field by field; an ended failure carries the details', () => {
    expect(toBackupRun(session)).toEqual({
      vendorRef: 's1',
      policyRef: 'j1',
      status: 'failed',
      vendorStatus: 'Failed',
      startedAt: new Date('2026-01-01T00:00:00Z'),
      endedAt: new Date('2026-01-01T00:02:00Z'),
      itemsProcessed: 120,
      bytesProcessed: 5_000_000,
      error: { code: 'VENDOR_ERROR', vendorCode: 'Failed', message: 'Job finished with 1 error.' },
    });
    const running = toBackupRun({ ...session, status: 'Running', endTime: null, details: '' });
    expect(running.endedAt).toBeUndefined();
    expect(running.error).toBeUndefined();
  });

  const site = (id: string, url: string) => ({ type: 'Site' as const, site: { id, url, title: id, isCloud: true, isPersonal: false } });
  const objects = jobObjects('j1', [
    site('a', 'https://x.sharepoint.com/sites/Sales'),
    site('b', 'https://x.sharepoint.com/sites/SalesEU'),
    { type: 'User', user: { id: 'u', name: 'adele@x.onmicrosoft.com', displayName: 'Adele' }, mailbox: true, oneDrive: true },
    { type: 'PartialOrganization', mailbox: true },
  ]);
  const log = (type: string, message: string, usn: number): RESTLogItem => ({ id: `l${usn}`, usn, type, message });

  it('names each selected object by its url / user name, organization-wide items not at all', () => {
    expect(objects.map((o) => o.itemRef)).toEqual([itemRef('j1', 'Site', 'a'), itemRef('j1', 'Site', 'b'), itemRef('j1', 'User', 'u')]);
  });

  it('matches log lines to objects by whole names: a url is not taken for a longer one it prefixes', () => {
    const out = objectOutcomes(
      objects,
      [
        log('Success', 'Job started at 2026-01-01, a daily run', 1),
        log('Success', 'Processed site: SalesEU (https://x.sharepoint.com/sites/SalesEU): 10 items', 2),
        log('Error', 'Failed to process site: Sales (https://x.sharepoint.com/sites/Sales). Error: Access is denied.', 3),
        log('Success', 'Processed mailbox: Adele (adele@x.onmicrosoft.com): 20 items', 4),
        log('Warning', 'Processed OneDrive: Adele (ADELE@x.onmicrosoft.com) with warnings', 5),
      ],
      true,
    );
    expect(out).toEqual([
      {
        itemRef: itemRef('j1', 'Site', 'a'),
        status: 'failed',
        error: {
          code: 'VENDOR_ERROR',
          vendorCode: 'Error',
          message: 'Failed to process site: Sales (https://x.sharepoint.com/sites/Sales). Error: Access is denied.',
        },
      },
      { itemRef: itemRef('j1', 'Site', 'b'), status: 'succeeded' },
      // A user's mailbox and OneDrive are two lines: the worse one wins.
      {
        itemRef: itemRef('j1', 'User', 'u'),
        status: 'warning',
        error: {
          code: 'VENDOR_ERROR',
          vendorCode: 'Warning',
          message: 'Processed OneDrive: Adele (ADELE@x.onmicrosoft.com) with warnings',
        },
      },
    ]);
  });

  it('leaves out objects no line names; ignores a stale Running line in an ended session and unknown line types', () => {
    const out = objectOutcomes(
      objects,
      [
        log('Running', 'Processing site: SalesEU (https://x.sharepoint.com/sites/SalesEU)', 1),
        log('Success', 'Processed site: SalesEU (https://x.sharepoint.com/sites/SalesEU)', 2),
        log('Debug', 'Processing mailbox: Adele (adele@x.onmicrosoft.com)', 3),
      ],
      true,
    );
    expect(out).toEqual([{ itemRef: itemRef('j1', 'Site', 'b'), status: 'succeeded' }]);
    expect(
      objectOutcomes(objects, [log('Running', 'Processing site: SalesEU (https://x.sharepoint.com/sites/SalesEU)', 1)], false),
    ).toEqual([{ itemRef: itemRef('j1', 'Site', 'b'), status: 'running' }]);
  });
});
