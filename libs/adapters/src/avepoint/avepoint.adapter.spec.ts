import { randomUUID } from 'node:crypto';
import selfsigned from 'selfsigned';
import { StaticErrorCatalog, systemClock } from '@bg/domain';
import { AVEPOINT_ERROR_CATALOG } from '@bg/platform/migrations/data/avepoint.catalog';
import { avepointSandboxSecret, tenantSlug } from '../../../../apps/sandbox/src/avepoint/avepoint.fixtures';
import type { RunningSandbox } from '../../../../apps/sandbox/src/sandbox.server';
import { SandboxControl, startTestSandbox } from '../../../../test/support/sandbox';
import type { AdapterConfig, RestoreRequest } from '../port/port.types';
import { VendorError } from '../port/vendor-error';
import { AvePointAdapter } from './avepoint.adapter';

/**
 * AvePoint-specific behaviour of the adapter against the AvePoint sandbox over HTTPS: the seed's path
 * rules, the 3-running-jobs refusal, Multi-Geo location, the envelope errors, token refresh, reconciliation.
 */
describe('AvePointAdapter against the sandbox', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });
  const ctx = {};

  function setup(extra: Record<string, string> = {}) {
    const clientId = `ap${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const config: AdapterConfig = {
      connectionId: `conn-${clientId}`,
      endpoint: `${sandbox.origin}/avepoint/api`,
      credentials: {
        clientId,
        clientSecret: avepointSandboxSecret(clientId),
        identityEndpoint: `${sandbox.origin}/avepoint/identity`,
        ...extra,
      },
      clock: systemClock,
      catalog: new StaticErrorCatalog(AVEPOINT_ERROR_CATALOG),
    };
    const slug = tenantSlug(clientId);
    return {
      clientId,
      slug,
      config,
      adapter: new AvePointAdapter(config),
      control: new SandboxControl(sandbox.origin, 'avepoint', clientId),
      site: (n = 'Site01') => `https://${slug}.sharepoint.com/sites/${n}`,
    };
  }

  function restore(externalId: string, paths: string[], overrides: Partial<RestoreRequest> = {}): RestoreRequest {
    return {
      clientRef: `rj_${randomUUID()}`,
      workload: 'sharepoint',
      destination: 'original',
      items: [
        {
          restorePointRef: `rp|${externalId}`,
          protectedItemRef: externalId,
          externalId,
          pointInTime: new Date(Date.now() + 3600_000),
          paths,
        },
      ],
      ...overrides,
    };
  }

  async function refusal(p: Promise<unknown>): Promise<VendorError> {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(VendorError);
      return e as VendorError;
    }
    throw new Error('expected a VendorError');
  }

  const posts = async (control: SandboxControl) =>
    (await control.calls()).filter((c) => c.method === 'POST' && c.path.includes('restore/jobs'));

  it('verifies a connection, and reports refused credentials as AUTH_FAILED', async () => {
    const s = setup();
    expect(await s.adapter.verify(ctx)).toMatchObject({ ok: true });
    const bad = new AvePointAdapter({ ...s.config, credentials: { ...s.config.credentials, clientSecret: 'wrong' } });
    expect(await refusal(bad.verify(ctx))).toMatchObject({
      code: 'AUTH_FAILED',
      vendorCode: 'invalid_client',
      httpStatus: 400,
      retryable: false,
    });
  });

  it('declares no policy, protected-item or cancel operations and raises UNSUPPORTED_BY_VENDOR for them', async () => {
    const s = setup();
    expect(s.adapter.capabilities.operations).toEqual(['restorePoint.list', 'restoreJob.create', 'backupRun.list']);
    for (const [op, call] of [
      ['policy.create', () => s.adapter.createPolicy(ctx, { workload: 'sharepoint', displayName: 'p', items: [] })],
      ['policy.list', () => s.adapter.listPolicies(ctx)],
      ['protectedItem.add', () => s.adapter.addProtectedItems(ctx, 'p', [])],
      ['restoreJob.cancel', () => s.adapter.cancelRestore(ctx, { vendorRef: 'RS1' })],
    ] as const) {
      const e = await refusal(call());
      expect(e).toMatchObject({ code: 'UNSUPPORTED_BY_VENDOR', vendor: 'avepoint', retryable: false });
      expect(e.message).toContain(op);
    }
    expect(await s.control.calls()).toEqual([]);
  });

  it('lists finished backup jobs as restore points of each item, paged, within [from, to]', async () => {
    const s = setup();
    await s.control.configure({ retentionDays: 70 });
    const refs = [s.site(), `user01@${s.slug}.onmicrosoft.com`];
    const first = await s.adapter.listRestorePoints(ctx, { protectedItemRefs: refs });
    expect(first.next).toBe('1');
    // 50 jobs of two items, less one job when the day's backup is still In Progress (not a restore point yet).
    expect([98, 100]).toContain(first.items.length);
    expect(first.items[0]).toMatchObject({
      protectedItemRef: refs[0],
      vendorRef: expect.stringMatching(/^IB\d{20}\|https:/),
      tags: expect.arrayContaining(['backupJob']),
    });
    const second = await s.adapter.listRestorePoints(ctx, { protectedItemRefs: refs }, first.next);
    expect(await refusal(s.adapter.listRestorePoints(ctx, { protectedItemRefs: refs }, 'garbage'))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect(second.next).toBeUndefined();
    expect(second.items.length).toBeGreaterThan(0);
    const from = new Date(Date.now() - 3 * 86_400_000);
    const recent = await s.adapter.listRestorePoints(ctx, { protectedItemRefs: [s.site()], from, to: new Date() });
    expect(recent.items.length).toBeGreaterThanOrEqual(2);
    expect(recent.items.length).toBeLessThanOrEqual(3);
    for (const p of recent.items) expect(p.pointInTime.getTime()).toBeGreaterThanOrEqual(from.getTime());
    const list = (await s.control.calls()).filter((c) => c.path.includes('cloudbackupjobs'));
    expect(list[0].query).toMatchObject({ jobType: '1', objectType: '0', pageIndex: '0', pageSize: '50' });
    expect(list[2].query).toMatchObject({ objectType: '2', startTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
  });

  it('restores files and folders from a restore point to a terminal state, sending the seed body', async () => {
    const s = setup();
    const [point] = (await s.adapter.listRestorePoints(ctx, { protectedItemRefs: [s.site('Finance')] })).items;
    const req = restore(s.site('Finance'), ['Documents/Shared/Reports/2026', 'Documents/Shared/Budget.xlsx']);
    req.items[0].pointInTime = point.pointInTime;
    req.items[0].restorePointRef = point.vendorRef;
    const prepared = await s.adapter.prepareRestore(ctx, req);
    expect(prepared.vendorRef).toBe('');
    const { ref, progress } = await s.adapter.startRestore(ctx, prepared, req);
    expect(ref.vendorRef).toMatch(/^RS\d{18}$/);
    expect(progress.state).toBe('running');
    const [post] = await posts(s.control);
    expect(post.body).toEqual({
      serviceType: 1,
      recoveryDateTime: point.pointInTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      siteRestoreScope: {
        siteUrl: s.site('Finance'),
        restoreTargets: [
          { libraryName: 'Documents', folders: [{ relativePath: 'Shared/Reports/2026' }], files: [{ relativePath: 'Shared/Budget.xlsx' }] },
        ],
      },
    });
    expect(await s.adapter.getRestore(ctx, ref)).toMatchObject({ state: 'running', vendorStatus: 'In Progress' });
    await s.control.advanceClock(61_000);
    expect(await s.adapter.getRestore(ctx, ref)).toEqual({
      state: 'succeeded',
      vendorStatus: 'Finished',
      items: [{ restorePointRef: point.vendorRef, status: 'succeeded', vendorStatus: 'Finished' }],
    });
  });

  it('restores a Microsoft 365 Group site as serviceType 3 (the groups workload)', async () => {
    const s = setup();
    expect(s.adapter.capabilities.workloads).toContain('groups');
    const req = restore(s.site('Group01'), ['Documents/Shared/Budget.xlsx'], { workload: 'groups' });
    const { ref } = await s.adapter.startRestore(ctx, await s.adapter.prepareRestore(ctx, req), req);
    const [post] = await posts(s.control);
    expect(post).toMatchObject({ status: 200, body: { serviceType: 3, siteRestoreScope: { siteUrl: s.site('Group01') } } });
    await s.control.advanceClock(61_000);
    expect(await s.adapter.getRestore(ctx, ref)).toMatchObject({ state: 'succeeded', vendorStatus: 'Finished' });
    // The job list files it under Microsoft 365 Groups (objectType 4), where findRestore looks for it.
    expect((await s.adapter.findRestore(ctx, req, { vendorRef: '', extra: ref.extra }))?.ref.vendorRef).toBe(ref.vendorRef);
  });

  it('reports a partially restored job and a job without backup data', async () => {
    const s = setup();
    const partial = await s.adapter.startRestore(
      ctx,
      { vendorRef: '' },
      restore(s.site(), ['Documents/Shared/Budget.xlsx', 'Documents/Gone/missing.txt']),
    );
    const old = restore(s.site(), ['Documents/Shared/Budget.xlsx']);
    old.items[0].pointInTime = new Date('2001-01-01T00:00:00Z');
    const none = await s.adapter.startRestore(ctx, { vendorRef: '' }, old);
    await s.control.advanceClock(61_000);
    expect(await s.adapter.getRestore(ctx, partial.ref)).toMatchObject({
      state: 'partiallySucceeded',
      vendorStatus: 'Partially Finished',
      error: { code: 'RESTORE_FAILED', message: expect.stringContaining('Gone/missing.txt') },
    });
    expect(await s.adapter.getRestore(ctx, none.ref)).toMatchObject({
      state: 'failed',
      vendorStatus: 'Failed',
      error: { code: 'RESTORE_FAILED', message: expect.stringContaining('No backup data') },
    });
  });

  describe('seed 001 path rules', () => {
    it('refuses 21 paths with LIMIT_EXCEEDED before any call, and restores 20', async () => {
      const s = setup();
      const paths = (n: number) => Array.from({ length: n }, (_, i) => `Documents/Bulk/file${String(i + 1).padStart(2, '0')}.txt`);
      const e = await refusal(s.adapter.prepareRestore(ctx, restore(s.site(), paths(21))));
      expect(e).toMatchObject({ code: 'LIMIT_EXCEEDED', retryable: false });
      await refusal(s.adapter.startRestore(ctx, { vendorRef: '' }, restore(s.site(), paths(21))));
      expect(await posts(s.control)).toEqual([]);
      const ok = await s.adapter.startRestore(ctx, { vendorRef: '' }, restore(s.site(), paths(20)));
      await s.control.advanceClock(61_000);
      expect((await s.adapter.getRestore(ctx, ok.ref)).state).toBe('succeeded');
    });

    it('refuses a parent with its child with INVALID_REQUEST before any call', async () => {
      const s = setup();
      const e = await refusal(
        s.adapter.startRestore(ctx, { vendorRef: '' }, restore(s.site(), ['Documents/Projects', 'Documents/Projects/Alpha/plan.docx'])),
      );
      expect(e).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
      expect(e.message).toContain('Documents/Projects');
      expect(await posts(s.control)).toEqual([]);
    });

    it('refuses a whole-item restore and two items in one job', async () => {
      const s = setup();
      expect(await refusal(s.adapter.prepareRestore(ctx, restore(s.site(), [])))).toMatchObject({ code: 'INVALID_REQUEST' });
      const two = restore(s.site(), ['Documents/Shared/Budget.xlsx']);
      two.items.push({ ...two.items[0], externalId: s.site('Site02'), protectedItemRef: s.site('Site02') });
      expect(await refusal(s.adapter.prepareRestore(ctx, two))).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    });
  });

  it('maps the vendor 429 for a fourth running job to CONCURRENCY_LIMIT (retryable) and succeeds once a slot frees', async () => {
    const s = setup();
    expect(s.adapter.capabilities.limits.concurrentRestoreJobs).toBe(3);
    for (let i = 0; i < 3; i++) await s.adapter.startRestore(ctx, { vendorRef: '' }, restore(s.site(), ['Documents/Shared/Budget.xlsx']));
    const e = await refusal(s.adapter.startRestore(ctx, { vendorRef: '' }, restore(s.site(), ['Documents/Shared/Budget.xlsx'])));
    expect(e).toMatchObject({
      code: 'CONCURRENCY_LIMIT',
      vendorCode: 'TooManyRunningJobs',
      httpStatus: 429,
      retryable: true,
      vendorRequestId: expect.any(String),
    });
    await s.control.advanceClock(61_000);
    const ok = await s.adapter.startRestore(ctx, { vendorRef: '' }, restore(s.site(), ['Documents/Shared/Budget.xlsx']));
    expect(ok.ref.vendorRef).toMatch(/^RS/);
  });

  it('sends the connection location on every call of a Multi-Geo tenant', async () => {
    const eur = setup({ location: 'EUR' });
    await eur.control.configure({ multiGeo: ['NAM', 'EUR'] });
    // Site02 lives in EUR (sandbox fixtures: geo by index)
    const { ref } = await eur.adapter.startRestore(ctx, { vendorRef: '' }, restore(eur.site('Site02'), ['Documents/Shared/Budget.xlsx']));
    expect(ref.extra).toMatchObject({ location: 'EUR' });
    await eur.control.advanceClock(61_000);
    expect((await eur.adapter.getRestore(ctx, ref)).state).toBe('succeeded');
    const calls = (await eur.control.calls()).filter((c) => !c.path.includes('identity'));
    expect(calls.map((c) => c.query?.location)).toEqual(['EUR', 'EUR']);
    // The same tenant through a connection without location reaches the central geo (NAM) only.
    const central = new AvePointAdapter({ ...eur.config, credentials: { ...eur.config.credentials, location: '' } });
    const e = await refusal(central.getRestore(ctx, ref));
    expect(e).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
    const e2 = await refusal(central.startRestore(ctx, { vendorRef: '' }, restore(eur.site('Site02'), ['Documents/Shared/Budget.xlsx'])));
    expect(e2).toMatchObject({ code: 'INVALID_REQUEST', vendorCode: 'InvalidParameter', httpStatus: 400 });
    expect(e2.message).toContain('SiteRestoreScope.SiteUrl');
  });

  describe('envelope errors', () => {
    it('maps a 400 envelope with errors[] to INVALID_REQUEST naming the field', async () => {
      const s = setup();
      await s.control.injectFault({
        method: 'POST',
        path: 'restore/jobs',
        status: 400,
        body: { message: 'Bad Request', errors: [{ code: 'InvalidParameter', field: 'RecoveryDateTime', message: 'bad time' }] },
      });
      const e = await refusal(s.adapter.startRestore(ctx, { vendorRef: '' }, restore(s.site(), ['Documents/Shared/Budget.xlsx'])));
      expect(e).toMatchObject({
        code: 'INVALID_REQUEST',
        vendorCode: 'InvalidParameter',
        httpStatus: 400,
        retryable: false,
        mayHaveApplied: false,
        vendorRequestId: expect.any(String),
      });
      expect(e.message).toContain('RecoveryDateTime: bad time');
    });

    it('maps a 500 to retryable VENDOR_ERROR that may have applied, a throttling 429 to THROTTLED with Retry-After', async () => {
      const s = setup();
      await s.control.injectFault({ method: 'POST', path: 'restore/jobs', status: 500 });
      expect(
        await refusal(s.adapter.startRestore(ctx, { vendorRef: '' }, restore(s.site(), ['Documents/Shared/Budget.xlsx']))),
      ).toMatchObject({ code: 'VENDOR_ERROR', vendorCode: 'Http500', retryable: true, mayHaveApplied: true });
      await s.control.injectFault({ method: 'GET', path: 'cloudbackupjobs', status: 429, retryAfterSeconds: 3 });
      expect(await refusal(s.adapter.getRestore(ctx, { vendorRef: 'RS1' }))).toMatchObject({
        code: 'THROTTLED',
        vendorCode: 'Http429',
        retryable: true,
        retryAfterMs: 3000,
      });
      expect(await refusal(s.adapter.getRestore(ctx, { vendorRef: 'RS1' }))).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    });

    it('maps the identity service being down to VENDOR_UNAVAILABLE (retryable)', async () => {
      const s = setup();
      await s.control.injectFault({ method: 'POST', path: 'identity', status: 503 });
      expect(await refusal(s.adapter.verify(ctx))).toMatchObject({ code: 'VENDOR_UNAVAILABLE', retryable: true });
    });

    it('maps a missing permission to PERMISSION_DENIED', async () => {
      const s = setup();
      await s.control.configure({ grantedPermissions: ['microsoft365backup.jobInfo.read.all'] });
      expect(await refusal(s.adapter.verify(ctx))).toMatchObject({ code: 'PERMISSION_DENIED', vendorCode: 'invalid_scope' });
    });
  });

  it('reuses its token and fetches a new one once the vendor says it expired', async () => {
    const s = setup();
    await s.adapter.verify(ctx);
    await s.adapter.verify(ctx);
    await s.control.advanceClock(2 * 3600_000);
    await s.adapter.verify(ctx);
    const calls = await s.control.calls();
    expect(calls.map((c) => `${c.path.includes('identity') ? 'token' : 'list'} ${c.status}`)).toEqual([
      'token 200',
      'list 200',
      'list 200',
      'list 401',
      'token 200',
      'list 200',
    ]);
  });

  describe('certificate sign-in (register-app.md §Certificate)', () => {
    let app: { cert: string; key: string };
    beforeAll(async () => {
      const p = await selfsigned.generate([{ name: 'commonName', value: 'aos-app' }], { keySize: 2048 });
      app = { cert: p.cert, key: p.private };
    });
    const withCertificate = (s: ReturnType<typeof setup>, extra: Record<string, string> = {}) => {
      const { clientSecret: _secret, ...rest } = s.config.credentials;
      return new AvePointAdapter({ ...s.config, credentials: { ...rest, certificate: app.cert, privateKey: app.key, ...extra } });
    };

    it('signs in with a client_assertion signed by the registered certificate, sending no secret', async () => {
      const s = setup();
      await s.control.configure({ appCertificates: [app.cert] });
      const adapter = withCertificate(s);
      expect(await adapter.verify(ctx)).toMatchObject({ ok: true });
      const [token, list] = await s.control.calls();
      expect(token).toMatchObject({ method: 'POST', status: 200 });
      // The docs' sample form: no client_id, no client_secret (the sandbox drops the signature from its log).
      expect(token.body).toEqual({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: expect.stringMatching(/^[\w-]+\.[\w-]+\.\*\*\*$/),
        scope: 'microsoft365backup.jobInfo.read.all microsoft365backup.restore.readwrite.all',
      });
      const [header, claims] = (token.body as { client_assertion: string }).client_assertion
        .split('.')
        .slice(0, 2)
        .map((p: string) => JSON.parse(Buffer.from(p, 'base64url').toString()));
      expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT', x5t: expect.any(String), kid: expect.stringMatching(/^[0-9A-F]{40}$/) });
      expect(claims).toMatchObject({
        iss: s.clientId,
        sub: s.clientId,
        aud: `${sandbox.origin}/avepoint/identity/connect/token`,
        jti: expect.any(String),
      });
      expect(claims.exp - claims.nbf).toBe(600);
      expect(list).toMatchObject({ method: 'GET', status: 200 });
    });

    it('reports a certificate the app does not hold as AUTH_FAILED (invalid_client)', async () => {
      const s = setup();
      expect(await refusal(withCertificate(s).verify(ctx))).toMatchObject({
        code: 'AUTH_FAILED',
        vendorCode: 'invalid_client',
        retryable: false,
      });
    });

    it('refuses incomplete or mismatched certificate credentials with AUTH_FAILED naming the field, before any call', async () => {
      const s = setup();
      const other = await selfsigned.generate([{ name: 'commonName', value: 'other' }], { keySize: 2048 });
      const build = (creds: Record<string, string>) => () => new AvePointAdapter({ ...s.config, credentials: creds });
      const id = { clientId: s.clientId };
      for (const [creds, field] of [
        [id, /clientSecret \(required\), certificate \(required\), privateKey \(required\)/],
        [{ ...id, certificate: app.cert }, /privateKey \(required\)/],
        [{ ...id, certificate: app.cert, privateKey: other.private }, /privateKey \(does not belong to the certificate\)/],
        [{ ...id, certificate: 'garbage', privateKey: app.key }, /certificate \(not a PEM certificate\)/],
        [{ ...id, clientSecret: 'x', certificate: app.cert, privateKey: app.key }, /not both/],
      ] as const) {
        expect(build(creds)).toThrow(expect.objectContaining({ code: 'AUTH_FAILED', message: expect.stringMatching(field) }));
      }
      expect(await s.control.calls()).toEqual([]);
    });
  });

  describe('findRestore', () => {
    it('finds the job submitted in its window when the job id was lost, whatever its object count, and reads it by id', async () => {
      const s = setup();
      // One folder path: the vendor counts the folder and what it holds (totalNumber 2, not 1 path).
      const req = restore(s.site(), ['Documents/Shared/Reports/2026']);
      const prepared = await s.adapter.prepareRestore(ctx, req);
      const { ref } = await s.adapter.startRestore(ctx, prepared, req);
      // Not ours: a OneDrive restore at the same time (another service), and a restore of the same service
      // that started after our submission window.
      await s.adapter.startRestore(
        ctx,
        { vendorRef: '' },
        { ...restore(`user01@${s.slug}.onmicrosoft.com`, ['Documents/Shared/Budget.xlsx']), workload: 'onedrive' },
      );
      await s.control.advanceClock(10 * 60_000);
      await s.adapter.startRestore(ctx, { vendorRef: '' }, restore(s.site('Site03'), ['Documents/Shared/Budget.xlsx']));
      const found = await s.adapter.findRestore(ctx, req, prepared);
      expect(found?.ref).toEqual({ vendorRef: ref.vendorRef, extra: ref.extra });
      expect(found?.progress).toMatchObject({ state: 'succeeded', vendorStatus: 'Finished' });
      expect((await s.adapter.findRestore(ctx, req, ref))?.ref.vendorRef).toBe(ref.vendorRef);
    });

    it('never resubmits a job the vendor accepted: a 404 on the job is checked against the job list, and raised when it is not listed', async () => {
      const s = setup();
      const req = restore(s.site(), ['Documents/Shared/Budget.xlsx']);
      const prepared = await s.adapter.prepareRestore(ctx, req);
      const { ref } = await s.adapter.startRestore(ctx, prepared, req);
      // The docs list no 404 for GET /cloudbackupjobs/{jobId}: the documented list decides.
      await s.control.injectFault({ method: 'GET', path: `cloudbackupjobs/${ref.vendorRef}`, status: 404 });
      const found = await s.adapter.findRestore(ctx, req, ref);
      expect(found).toEqual({ ref, progress: { state: 'running', vendorStatus: 'In Progress' } });
      const reads = (await s.control.calls()).filter((c) => c.method === 'GET' && c.path.includes('cloudbackupjobs'));
      expect(reads.map((c) => [c.path.endsWith(ref.vendorRef) ? 'job' : 'list', c.status])).toEqual([
        ['job', 404],
        ['list', 200],
      ]);
      const lost = { vendorRef: 'RS209901010000000001', extra: ref.extra };
      expect(await refusal(s.adapter.findRestore(ctx, req, lost))).toMatchObject({ code: 'NOT_FOUND', retryable: false });
      expect(await posts(s.control)).toHaveLength(1);
    });

    it('returns undefined when nothing was submitted, or when the match is ambiguous', async () => {
      const s = setup();
      const req = restore(s.site(), ['Documents/Shared/Budget.xlsx']);
      const prepared = await s.adapter.prepareRestore(ctx, req);
      expect(await s.adapter.findRestore(ctx, req, prepared)).toBeUndefined();
      await s.adapter.startRestore(ctx, prepared, req);
      await s.adapter.startRestore(ctx, { vendorRef: '' }, restore(s.site('Site02'), ['Documents/Shared/Budget.xlsx']));
      expect(await s.adapter.findRestore(ctx, req, prepared)).toBeUndefined();
    });

    it('leaves out the jobs other jobs of the connection hold: the one left in the window is ours', async () => {
      const s = setup();
      const req = restore(s.site(), ['Documents/Shared/Budget.xlsx']);
      const prepared = await s.adapter.prepareRestore(ctx, req);
      const other = await s.adapter.startRestore(ctx, { vendorRef: '' }, restore(s.site('Site02'), ['Documents/Shared/Budget.xlsx']));
      const { ref } = await s.adapter.startRestore(ctx, prepared, req);
      const asked: string[][] = [];
      const heldByOthers = async (refs: string[]) => {
        asked.push([...refs].sort());
        return new Set(refs.filter((r) => r === other.ref.vendorRef));
      };
      const found = await s.adapter.findRestore(ctx, req, prepared, { heldByOthers });
      expect(found?.ref.vendorRef).toBe(ref.vendorRef);
      expect(asked).toEqual([[other.ref.vendorRef, ref.vendorRef].sort()]);
      // Both held by others: none is ours, the worker submits.
      const allHeld = async (refs: string[]) => new Set(refs);
      expect(await s.adapter.findRestore(ctx, req, prepared, { heldByOthers: allHeld })).toBeUndefined();
      expect(await posts(s.control)).toHaveLength(2);
    });
  });

  describe('listBackupRuns (list-jobs.md, jobType 1)', () => {
    const HOUR = 3600_000;
    const DAY = 24 * HOUR;
    const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

    /** A tenant whose sandbox clock stands at the next 03:00 UTC (the daily backup of 02:00 done); returns that time. */
    async function atThree(s: ReturnType<typeof setup>, config: Record<string, unknown> = {}): Promise<Date> {
      await s.control.configure({ retentionDays: 3, tokenLifetimeSeconds: 90 * 86_400, ...config });
      const now = Date.parse((await s.control.advanceClock(0)).now);
      const d = new Date(now);
      let target = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 3);
      if (target <= now) target += DAY;
      await s.control.advanceClock(target - now);
      return new Date(target);
    }

    it('declares per-policy runs, no on-demand backup and a daily RPO with their sources', () => {
      const { health } = setup().adapter.capabilities;
      expect(health).toMatchObject({ backupRuns: 'perPolicy', onDemandBackup: 'none', defaultRpoMinutes: 26 * 60 });
      expect(health.notes.join(' ')).toMatch(/list-jobs\.md/);
      expect(health.notes.join(' ')).toMatch(/no endpoint that starts a backup/);
    });

    it('reads the backup jobs since a time with one call per page, whatever the number of items', async () => {
      const s = setup();
      const t = await atThree(s, { retentionDays: 70 });
      const refs = [s.site('Site01'), s.site('Site02'), s.site('Site03'), s.site('Site04'), s.site('Site05')];
      const since = new Date(t.getTime() - 60 * DAY - 2 * HOUR); // 01:00, sixty days back: 61 backups since
      await s.control.clearCalls();
      const first = await s.adapter.listBackupRuns(ctx, { policyRef: 'p1', itemRefs: refs, since });
      expect(first.items).toHaveLength(50);
      expect(first.next).toBe('1');
      const second = await s.adapter.listBackupRuns(ctx, { policyRef: 'p1', itemRefs: refs, since }, first.next);
      expect(second.next).toBeUndefined();
      const runs = [...first.items, ...second.items];
      // Day of `since` is read from 00:00 (startTime takes a date); the run started before `since` is filtered out.
      expect(runs).toHaveLength(61);
      expect(runs.every((r) => r.startedAt! >= since)).toBe(true);
      expect(runs[0]).toEqual({
        vendorRef: expect.stringMatching(/^IB\d{20}$/),
        status: 'succeeded',
        vendorStatus: 'Finished',
        startedAt: new Date(t.getTime() - HOUR),
        endedAt: new Date(t.getTime() - 25 * 60_000),
        itemsProcessed: 28,
      });
      expect(runs[0]).not.toHaveProperty('items');
      const gets = (await s.control.calls()).filter((c) => c.method === 'GET');
      expect(gets.map((c) => c.query)).toEqual([
        { jobType: '1', objectType: '2', startTime: since.toISOString().slice(0, 10), pageIndex: '0', pageSize: '50' },
        { jobType: '1', objectType: '2', startTime: since.toISOString().slice(0, 10), pageIndex: '1', pageSize: '50' },
      ]);
      // Sites and OneDrives together: all services (objectType 0), still one call.
      await s.control.clearCalls();
      await s.adapter.listBackupRuns(ctx, { policyRef: 'p1', itemRefs: [refs[0], `user01@${s.slug}.onmicrosoft.com`], since: t });
      expect((await s.control.calls()).filter((c) => c.method === 'GET').map((c) => c.query?.objectType)).toEqual(['0']);
      await expect(s.adapter.listBackupRuns(ctx, { policyRef: 'p1', itemRefs: refs }, 'x')).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
    });

    it('shows a running backup as running, then its outcome once finished', async () => {
      const s = setup();
      const t = await atThree(s);
      await s.control.advanceClock(DAY - 50 * 60_000); // 02:10 the next day
      const q = { policyRef: 'p1', itemRefs: [s.site()], since: new Date(t.getTime() + 20 * HOUR) };
      const [running] = (await s.adapter.listBackupRuns(ctx, q)).items;
      expect(running).toEqual({
        vendorRef: expect.any(String),
        status: 'running',
        vendorStatus: 'In Progress',
        startedAt: expect.any(Date),
      });
      await s.control.advanceClock(HOUR);
      const [done] = (await s.adapter.listBackupRuns(ctx, q)).items;
      expect(done).toMatchObject({ vendorRef: running.vendorRef, status: 'succeeded', endedAt: expect.any(Date) });
    });

    it('reports object failures as a warning run, a failed backup as a failed run, and stopped backups as no run', async () => {
      const s = setup();
      const t = await atThree(s);
      const day = (n: number) => iso(new Date(t.getTime() + n * DAY));
      await s.control.configure({
        backupFaults: [
          { objects: [s.site('Site01')], kind: 'fail', from: day(0), until: day(1) },
          { objects: '*', kind: 'fail', from: day(1), until: day(2) },
          { objects: '*', kind: 'stop', from: day(2), until: day(3) },
          { objects: [s.site('Site02')], kind: 'exception', from: day(3) },
        ],
      });
      await s.control.advanceClock(4 * DAY);
      const { items } = await s.adapter.listBackupRuns(ctx, { policyRef: 'p1', itemRefs: [s.site('Site01')], since: t });
      expect(items.map((r) => [new Date(r.startedAt!).toISOString().slice(0, 10), r.status, r.vendorStatus])).toEqual([
        // Each day's job runs at 02:00 of the next date; the one of day 3 (all stopped) did not run.
        [day(4).slice(0, 10), 'warning', 'Finished with Exception'],
        [day(2).slice(0, 10), 'failed', 'Failed'],
        [day(1).slice(0, 10), 'warning', 'Finished with Exception'],
      ]);
      const [exception, failed, oneFailed] = items;
      expect(exception.error).toEqual({ code: 'VENDOR_ERROR', message: expect.stringContaining('locked') });
      expect(failed).toMatchObject({ itemsProcessed: 0, error: { code: 'VENDOR_ERROR', vendorCode: expect.stringMatching(/^https:/) } });
      expect(failed.error!.message).toMatch(/28 failed.*could not be backed up.*\(x28\)/);
      expect(oneFailed).toMatchObject({ itemsProcessed: 27, error: { message: expect.stringMatching(/1 failed/) } });
    });

    it('maps Partially Finished and a state text the docs do not name, keeping the text', async () => {
      const s = setup();
      const t = await atThree(s);
      await s.control.configure({
        backupFaults: [
          { objects: '*', state: 'Partially Finished', from: iso(t), until: iso(new Date(t.getTime() + DAY)) },
          { objects: '*', state: 'Stopped', from: iso(new Date(t.getTime() + DAY)) },
        ],
      });
      await s.control.advanceClock(2 * DAY);
      const { items } = await s.adapter.listBackupRuns(ctx, { policyRef: 'p1', itemRefs: [s.site()], since: t });
      expect(items.map((r) => [r.status, r.vendorStatus])).toEqual([
        ['failed', 'Stopped'],
        ['warning', 'Partially Finished'],
      ]);
      expect(items[0].error).toMatchObject({ code: 'VENDOR_ERROR', vendorCode: 'UndocumentedJobState' });
    });
  });
});
