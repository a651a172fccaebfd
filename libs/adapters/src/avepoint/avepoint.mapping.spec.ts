import { StaticErrorCatalog } from '@bg/domain';
import { AVEPOINT_ERROR_CATALOG } from '@bg/platform/migrations/data/avepoint.catalog';
import type { RestoreRequest } from '../port/port.types';
import { VendorError } from '../port/vendor-error';
import { avepointResponseError, parseAvePointError } from './avepoint.errors';
import { parseAvePointCredentials } from './avepoint.credentials';
import {
  backupJobToRestorePoints,
  backupJobToRun,
  checkTargetPaths,
  formatRecoveryDateTime,
  jobToProgress,
  parseTargetPath,
  toRestoreJobRequest,
} from './avepoint.mapping';
import type { Job } from './avepoint.types';

const catalog = new StaticErrorCatalog(AVEPOINT_ERROR_CATALOG);
const clock = { now: () => new Date('2026-02-27T03:56:10Z') };

function restoreRequest(
  overrides: Partial<RestoreRequest> = {},
  paths = ['Documents/Shared/Reports/2026', 'Documents/Shared/Budget.xlsx'],
): RestoreRequest {
  return {
    clientRef: 'rj_1',
    workload: 'sharepoint',
    destination: 'original',
    items: [
      {
        restorePointRef: 'IB1|https://contoso.sharepoint.com/sites/Finance',
        protectedItemRef: 'https://contoso.sharepoint.com/sites/Finance',
        externalId: 'https://contoso.sharepoint.com/sites/Finance',
        pointInTime: new Date('2026-02-27T03:54:22Z'),
        paths,
      },
    ],
    ...overrides,
  };
}

function expectRefusal(fn: () => unknown, code: string, message?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VendorError);
    expect((e as VendorError).code).toBe(code);
    expect((e as VendorError).retryable).toBe(false);
    if (message) expect((e as VendorError).message).toMatch(message);
    return;
  }
  throw new Error(`expected a ${code} refusal`);
}

describe('AvePoint mapping: restore request', () => {
  it('builds the seed 001 SharePoint sample body field by field', () => {
    expect(toRestoreJobRequest(restoreRequest())).toEqual({
      serviceType: 1,
      recoveryDateTime: '2026-02-27T03:54:22Z',
      siteRestoreScope: {
        siteUrl: 'https://contoso.sharepoint.com/sites/Finance',
        restoreTargets: [
          { libraryName: 'Documents', folders: [{ relativePath: 'Shared/Reports/2026' }], files: [{ relativePath: 'Shared/Budget.xlsx' }] },
        ],
      },
    });
  });

  it('builds the seed 001 OneDrive sample body', () => {
    const req = restoreRequest({ workload: 'onedrive' }, ['Documents/Shared/Reports/2026']);
    req.items[0].externalId = 'alexw@contoso.onmicrosoft.com';
    expect(toRestoreJobRequest(req)).toEqual({
      serviceType: 2,
      recoveryDateTime: '2026-02-27T03:54:22Z',
      oneDriveRestoreScope: {
        oneDriveUpn: 'alexw@contoso.onmicrosoft.com',
        restoreTargets: [{ libraryName: 'Documents', folders: [{ relativePath: 'Shared/Reports/2026' }] }],
      },
    });
  });

  it('maps teams to serviceType 6 and groups paths per library', () => {
    const body = toRestoreJobRequest(
      restoreRequest({ workload: 'teams' }, ['Documents/a.txt', 'Site Assets/logo.png', 'Documents/Folder/']),
    );
    expect(body.serviceType).toBe(6);
    expect(body.siteRestoreScope!.restoreTargets).toEqual([
      { libraryName: 'Documents', files: [{ relativePath: 'a.txt' }], folders: [{ relativePath: 'Folder' }] },
      { libraryName: 'Site Assets', files: [{ relativePath: 'logo.png' }] },
    ]);
  });

  it('maps the groups workload (a Microsoft 365 Group site) to serviceType 3 with a siteRestoreScope', () => {
    const group = 'https://contoso.sharepoint.com/sites/Group01';
    const req = restoreRequest({ workload: 'groups' }, ['Documents/Shared/Budget.xlsx']);
    req.items[0] = { ...req.items[0], externalId: group, protectedItemRef: group };
    expect(toRestoreJobRequest(req)).toEqual({
      serviceType: 3,
      recoveryDateTime: '2026-02-27T03:54:22Z',
      siteRestoreScope: { siteUrl: group, restoreTargets: [{ libraryName: 'Documents', files: [{ relativePath: 'Shared/Budget.xlsx' }] }] },
    });
  });

  it('formats recoveryDateTime as yyyy-MM-ddTHH:mm:ssZ, rounding a fraction up so the point stays inside the bound', () => {
    expect(formatRecoveryDateTime(new Date('2026-02-27T03:54:22.000Z'))).toBe('2026-02-27T03:54:22Z');
    expect(formatRecoveryDateTime(new Date('2026-02-27T03:54:22.001Z'))).toBe('2026-02-27T03:54:23Z');
  });

  it('tells files from folders: an extension is a file, a trailing slash or none is a folder', () => {
    expect(parseTargetPath('/Documents/Shared/Budget.xlsx')).toEqual({
      libraryName: 'Documents',
      relativePath: 'Shared/Budget.xlsx',
      kind: 'file',
    });
    expect(parseTargetPath('Documents/Shared/Reports/2026')).toEqual({
      libraryName: 'Documents',
      relativePath: 'Shared/Reports/2026',
      kind: 'folder',
    });
    expect(parseTargetPath('Documents/Releases/v1.2/')).toEqual({
      libraryName: 'Documents',
      relativePath: 'Releases/v1.2',
      kind: 'folder',
    });
    expectRefusal(() => parseTargetPath('Documents'), 'INVALID_REQUEST', /<library>\/<path>/);
  });

  it('refuses 21 paths with LIMIT_EXCEEDED and accepts 20', () => {
    const paths = (n: number) => Array.from({ length: n }, (_, i) => `Documents/Bulk/file${i}.txt`);
    expect(() => toRestoreJobRequest(restoreRequest({}, paths(20)))).not.toThrow();
    expectRefusal(() => toRestoreJobRequest(restoreRequest({}, paths(21))), 'LIMIT_EXCEEDED', /at most 20/);
  });

  it('refuses a parent folder with its child (case-insensitive, same library) with INVALID_REQUEST', () => {
    expectRefusal(
      () => checkTargetPaths(['Documents/Shared', 'Documents/shared/Budget.xlsx'].map(parseTargetPath)),
      'INVALID_REQUEST',
      /parent and its child/,
    );
    expect(() => checkTargetPaths(['Documents/Shared', 'Site Assets/Shared/Budget.xlsx'].map(parseTargetPath))).not.toThrow();
    expect(() => checkTargetPaths(['Documents/Shared', 'Documents/SharedOther/x.txt'].map(parseTargetPath))).not.toThrow();
  });

  it('refuses what one AvePoint job cannot hold, before any call', () => {
    expectRefusal(() => toRestoreJobRequest(restoreRequest({}, [])), 'INVALID_REQUEST', /files and folders only/);
    const two = restoreRequest();
    two.items.push({ ...two.items[0] });
    expectRefusal(() => toRestoreJobRequest(two), 'LIMIT_EXCEEDED', /one site or OneDrive per job/);
    expectRefusal(() => toRestoreJobRequest(restoreRequest({ destination: 'new' })), 'UNSUPPORTED_BY_VENDOR');
    expectRefusal(() => toRestoreJobRequest(restoreRequest({ workload: 'exchange' })), 'UNSUPPORTED_BY_VENDOR', /exchange/);
    const od = restoreRequest({ workload: 'onedrive' });
    expectRefusal(() => toRestoreJobRequest(od), 'INVALID_REQUEST', /UPN/);
  });
});

describe('AvePoint mapping: jobs', () => {
  // retrieve-job-details.md §Response Sample
  const finished: Job = {
    id: 'FB20241015105312327583',
    state: 'Finished',
    startTime: '2024-12-02T07:52:25Z',
    finishTime: '2024-12-02T07:53:04Z',
    duration: '0.011',
    backupDetails: { totalNumber: 16, failedNumber: 0, successfulNumber: 14, skippedNumber: 2 },
    jobErrors: [],
  };

  it.each([
    ['In Progress', {}, 'running'],
    ['Finished', {}, 'succeeded'],
    ['Finished with Exception', { failedNumber: 0 }, 'succeeded'],
    ['Finished with Exception', { failedNumber: 2, successfulNumber: 14 }, 'partiallySucceeded'],
    ['Partially Finished', { failedCount: 1, successfulCount: 1, totalCount: 2 }, 'partiallySucceeded'],
    ['Failed', { failedNumber: 2 }, 'failed'],
    ['in progress', {}, 'running'],
    ['FINISHED', {}, 'succeeded'],
  ])('maps state "%s" %j to %s', (state, details, expected) => {
    const p = jobToProgress({ id: 'RS1', state, backupDetails: details }, 'rp');
    expect(p.state).toBe(expected);
    expect(p.vendorStatus).toBe(state);
  });

  it.each(['Stopped', 'Canceled', 'Waiting', ''])(
    'surfaces the undocumented state text "%s" as a failed job with VENDOR_ERROR, not as running',
    (state) => {
      const p = jobToProgress(
        { id: 'RS1', state, backupDetails: { totalNumber: 16, failedNumber: 0, successfulNumber: 14, skippedNumber: 2 } },
        'rp-1',
      );
      const message = expect.stringMatching(
        /documentation does not name; the outcome is unknown \(objects: 16 total, 14 successful, 0 failed, 2 skipped\)/,
      );
      expect(p).toEqual({
        state: 'failed',
        vendorStatus: state || '(none)',
        items: [
          {
            restorePointRef: 'rp-1',
            status: 'failed',
            vendorStatus: state || '(none)',
            errorCode: 'VENDOR_ERROR',
            vendorCode: 'UndocumentedJobState',
            errorMessage: message,
          },
        ],
        error: { code: 'VENDOR_ERROR', vendorCode: 'UndocumentedJobState', message },
      });
      if (state) expect(p.error?.message).toContain(`"${state}"`);
    },
  );

  it('reports the item and the job errors of a failed job', () => {
    const p = jobToProgress(
      {
        id: 'RS1',
        state: 'Failed',
        backupDetails: { totalNumber: 1, failedNumber: 1 },
        jobErrors: [{ isErrorCode: false, value: 'No backup data is available before the recovery date time.', url: '', number: 1 }],
      },
      'rp-1',
    );
    expect(p.items).toEqual([
      {
        restorePointRef: 'rp-1',
        status: 'failed',
        vendorStatus: 'Failed',
        errorCode: 'RESTORE_FAILED',
        errorMessage: 'No backup data is available before the recovery date time.',
      },
    ]);
    expect(p.error).toEqual({ code: 'RESTORE_FAILED', message: 'No backup data is available before the recovery date time.' });
  });

  it('turns a finished backup job into one restore point per item at its finish time', () => {
    const points = backupJobToRestorePoints(finished, ['https://contoso.sharepoint.com/sites/Finance', 'alexw@contoso.onmicrosoft.com']);
    expect(points).toEqual([
      {
        vendorRef: 'FB20241015105312327583|https://contoso.sharepoint.com/sites/Finance',
        protectedItemRef: 'https://contoso.sharepoint.com/sites/Finance',
        pointInTime: new Date('2024-12-02T07:53:04Z'),
        tags: ['backupJob', 'state:Finished'],
      },
      {
        vendorRef: 'FB20241015105312327583|alexw@contoso.onmicrosoft.com',
        protectedItemRef: 'alexw@contoso.onmicrosoft.com',
        pointInTime: new Date('2024-12-02T07:53:04Z'),
        tags: ['backupJob', 'state:Finished'],
      },
    ]);
    expect(backupJobToRestorePoints({ ...finished, state: 'In Progress', finishTime: undefined }, ['x'])).toEqual([]);
    expect(backupJobToRestorePoints({ ...finished, state: 'Failed' }, ['x'])).toEqual([]);
  });
});

describe('AvePoint errors', () => {
  const res = (status: number, body: unknown, headers: Record<string, string> = {}) => ({ status, body, headers, requestId: undefined });

  it('maps the seed 400 sample to INVALID_REQUEST with field, message and request id', () => {
    const e = avepointResponseError(
      res(400, {
        statusCode: 400,
        message: 'Bad Request',
        errors: [{ code: 'InvalidParameter', field: 'SiteRestoreScope', message: "'Site Restore Scope' must not be empty." }],
        requestId: '0HNEVHLNSPSEJ:00000009',
        timestamp: '2026-02-27T03:55:10.8742191Z',
        traceId: '00-8b1d1d01485c1a7bbcc88bd48b05ed7-ecfba726763bda2a-00',
      }),
      catalog,
      clock,
      'POST',
      'restore job submission',
    );
    expect(e).toMatchObject({
      code: 'INVALID_REQUEST',
      vendor: 'avepoint',
      vendorCode: 'InvalidParameter',
      httpStatus: 400,
      retryable: false,
      vendorRequestId: '0HNEVHLNSPSEJ:00000009',
    });
    expect(e.message).toContain("SiteRestoreScope: 'Site Restore Scope' must not be empty.");
  });

  it('maps the seed 429 sample to CONCURRENCY_LIMIT, retryable', () => {
    const e = avepointResponseError(
      res(429, {
        statusCode: 429,
        message: 'There are already 3 restore/export jobs running, cannot start new restore job.',
        requestId: '0HNEVHLNSPSEJ:00000010',
        timestamp: '2026-02-27T03:56:10.8742191Z',
        traceId: '00-9b1d1d01485c1a7bbcc88bd48b05ed7-ecfba726763bda2a-00',
      }),
      catalog,
      clock,
      'POST',
      'restore job submission',
      'restoreSubmission',
    );
    expect(e).toMatchObject({
      code: 'CONCURRENCY_LIMIT',
      vendorCode: 'TooManyRunningJobs',
      httpStatus: 429,
      retryable: true,
      vendorRequestId: '0HNEVHLNSPSEJ:00000010',
    });
  });

  it.each([
    [
      'the seed wording with another limit',
      { statusCode: 429, message: 'There are already 5 restore/export jobs running, cannot start new restore job.' },
    ],
    ['another wording', { statusCode: 429, message: 'Too many restore jobs are in progress.' }],
    ['no message', { statusCode: 429, message: '' }],
    ['a non-JSON body', '<html>429 Too Many Requests</html>'],
  ])('decides on the documented signal, not the text: a 429 to the restore submission with %s is CONCURRENCY_LIMIT', (_what, body) => {
    expect(avepointResponseError(res(429, body), catalog, clock, 'POST', 'restore job submission', 'restoreSubmission')).toMatchObject({
      code: 'CONCURRENCY_LIMIT',
      vendorCode: 'TooManyRunningJobs',
      retryable: true,
    });
    // The same text answering any other call is no refusal of a restore: THROTTLED.
    expect(avepointResponseError(res(429, body), catalog, clock, 'GET', 'job list')).toMatchObject({
      code: 'THROTTLED',
      vendorCode: 'Http429',
    });
  });

  it('maps another 429 to THROTTLED with Retry-After, a 500 to retryable VENDOR_ERROR, a non-JSON 503 to VENDOR_UNAVAILABLE', () => {
    expect(
      avepointResponseError(
        res(429, { statusCode: 429, message: 'Too Many Requests' }, { 'retry-after': '7' }),
        catalog,
        clock,
        'GET',
        'x',
      ),
    ).toMatchObject({ code: 'THROTTLED', vendorCode: 'Http429', retryable: true, retryAfterMs: 7000 });
    expect(
      avepointResponseError(res(500, { statusCode: 500, message: 'Internal Server Error' }), catalog, clock, 'POST', 'x'),
    ).toMatchObject({ code: 'VENDOR_ERROR', retryable: true, mayHaveApplied: true });
    expect(avepointResponseError(res(503, '<html>down</html>'), catalog, clock, 'GET', 'x')).toMatchObject({
      code: 'VENDOR_UNAVAILABLE',
      vendorCode: 'Http503',
      retryable: true,
      mayHaveApplied: false,
    });
  });

  it('parses an envelope without errors[] into Http<status>', () => {
    expect(parseAvePointError(404, { statusCode: 404, message: 'The job does not exist.', requestId: 'r1' })).toEqual({
      vendorCode: 'Http404',
      message: 'The job does not exist.',
      requestId: 'r1',
      field: undefined,
    });
  });
});

describe('AvePoint credentials', () => {
  it('appends /connect/token to the identity base, keeps a full token URL, and validates location', () => {
    expect(parseAvePointCredentials({ clientId: 'a', clientSecret: 's' }).tokenUrl).toBe(
      'https://identity.avepointonlineservices.com/connect/token',
    );
    expect(parseAvePointCredentials({ clientId: 'a', clientSecret: 's', identityEndpoint: 'https://x/avepoint/identity/' }).tokenUrl).toBe(
      'https://x/avepoint/identity/connect/token',
    );
    expect(
      parseAvePointCredentials({ clientId: 'a', clientSecret: 's', identityEndpoint: 'https://x/connect/token', location: 'EUR' }),
    ).toMatchObject({ tokenUrl: 'https://x/connect/token', location: 'EUR' });
    expectRefusal(() => parseAvePointCredentials({ clientId: 'a', clientSecret: 's', location: 'Mars' }), 'AUTH_FAILED', /location/);
    expectRefusal(() => parseAvePointCredentials({ clientId: 'a' }), 'AUTH_FAILED', /clientSecret/);
  });
});

describe('backupJobToRun', () => {
  // list-jobs.md §Response Sample, second job (a backup of 438 objects).
  const sample: Job = {
    id: 'EFB20241015105312828443',
    state: 'Finished',
    startTime: '2024-12-02T01:33:22Z',
    finishTime: '2024-12-02T01:34:10Z',
    duration: '0.014',
    backupDetails: { totalCount: 438, failedCount: 0, successfulCount: 438, skippedCount: 0 },
    jobErrors: [],
  };

  it('maps the docs sample field by field', () => {
    expect(backupJobToRun(sample)).toEqual({
      vendorRef: 'EFB20241015105312828443',
      status: 'succeeded',
      vendorStatus: 'Finished',
      startedAt: new Date('2024-12-02T01:33:22Z'),
      endedAt: new Date('2024-12-02T01:34:10Z'),
      itemsProcessed: 438,
    });
  });

  it.each([
    ['In Progress', { totalNumber: 438 }, 'running'],
    ['Finished', { failedNumber: 0, successfulNumber: 438 }, 'succeeded'],
    ['Finished', { failedNumber: 1, successfulNumber: 437 }, 'warning'],
    ['Finished with Exception', { failedNumber: 2, successfulNumber: 436 }, 'warning'],
    ['Finished with Exception', { failedNumber: 0, successfulNumber: 438 }, 'warning'],
    ['Partially Finished', { failedCount: 5, successfulCount: 433 }, 'warning'],
    ['Partially Finished', { failedCount: 438, successfulCount: 0 }, 'failed'],
    ['Failed', { failedNumber: 438, successfulNumber: 0 }, 'failed'],
    ['finished with exception', { failedNumber: 1 }, 'warning'],
  ])('maps the documented state "%s" %j to %s, keeping the text', (state, details, expected) => {
    const run = backupJobToRun({ ...sample, state, backupDetails: details });
    expect(run.status).toBe(expected);
    expect(run.vendorStatus).toBe(state);
    if (expected === 'succeeded') expect(run.error).toBeUndefined();
  });

  it('has no end time while In Progress, even if a finishTime is sent', () => {
    const run = backupJobToRun({ ...sample, state: 'In Progress' });
    expect(run).not.toHaveProperty('endedAt');
    expect(run).not.toHaveProperty('itemsProcessed');
    expect(run).not.toHaveProperty('error');
  });

  it('carries the job errors and the first error-code URL as vendorCode on a failed or warning run', () => {
    const run = backupJobToRun({
      ...sample,
      state: 'Failed',
      backupDetails: { totalNumber: 3, failedNumber: 3, successfulNumber: 0, skippedNumber: 0 },
      jobErrors: [
        { isErrorCode: false, value: 'Some items are locked.', url: '', number: 2 },
        { isErrorCode: true, value: 'Access is denied.', url: 'https://example.test/error/CB-403', number: 3 },
      ],
    });
    expect(run).toMatchObject({ status: 'failed', itemsProcessed: 0 });
    expect(run.error).toEqual({
      code: 'VENDOR_ERROR',
      vendorCode: 'https://example.test/error/CB-403',
      message:
        'AvePoint backup job Failed (objects: 3 total, 0 successful, 3 failed, 0 skipped): Some items are locked. (x2); Access is denied. (x3)',
    });
    const warned = backupJobToRun({ ...sample, state: 'Finished with Exception', jobErrors: [{ value: 'Locked.', number: 1 }] });
    expect(warned.error).toEqual({ code: 'VENDOR_ERROR', message: expect.stringContaining('Locked.') });
  });

  it.each(['Stopped', 'Canceled', ''])('surfaces the undocumented finished state "%s" as failed with UndocumentedJobState', (state) => {
    const run = backupJobToRun({ ...sample, state });
    expect(run).toMatchObject({
      status: 'failed',
      vendorStatus: state || '(none)',
      endedAt: new Date('2024-12-02T01:34:10Z'),
      error: { code: 'VENDOR_ERROR', vendorCode: 'UndocumentedJobState', message: expect.stringContaining('does not name') },
    });
  });

  it('keeps an undocumented state without finishTime running (e.g. "Waiting"), text kept', () => {
    const run = backupJobToRun({ ...sample, state: 'Waiting', finishTime: null });
    expect(run).toMatchObject({ status: 'running', vendorStatus: 'Waiting', startedAt: new Date('2024-12-02T01:33:22Z') });
    expect(run).not.toHaveProperty('error');
    expect(run).not.toHaveProperty('endedAt');
  });
});
