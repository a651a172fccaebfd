import { createHash, randomUUID, sign, X509Certificate } from 'node:crypto';
import selfsigned from 'selfsigned';
import type { RunningSandbox } from '../sandbox.server';
import { avepointSandboxSecret, tenantSlug } from './avepoint.fixtures';
import { AvePointTestClient, siteRestoreBody, startAvePointSandbox } from './avepoint.test-helpers';

describe('AvePoint sandbox', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startAvePointSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const client = () => new AvePointTestClient(sandbox.origin);

  describe('identity service', () => {
    it('issues a bearer token for the registered client secret', async () => {
      const c = client();
      const res = await c.requestToken({
        client_id: c.clientId,
        client_secret: avepointSandboxSecret(c.clientId),
        scope: 'microsoft365backup.jobInfo.read.all',
        grant_type: 'client_credentials',
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        access_token: expect.any(String),
        expires_in: 3600,
        ext_expires_in: 3600,
        token_type: 'Bearer',
        scope: 'microsoft365backup.jobInfo.read.all',
      });
    });

    it('refuses a wrong secret with invalid_client, a JSON body with invalid_request, an unknown scope with invalid_scope', async () => {
      const c = client();
      const bad = await c.requestToken({ client_id: c.clientId, client_secret: 'nope', grant_type: 'client_credentials' });
      expect(bad).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
      const json = await c.raw('POST', '/identity/connect/token', {
        body: JSON.stringify({ client_id: c.clientId }),
        headers: { 'content-type': 'application/json' },
      });
      expect(json).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      const scope = await c.requestToken({
        client_id: c.clientId,
        client_secret: avepointSandboxSecret(c.clientId),
        scope: 'audit.read.all',
        grant_type: 'client_credentials',
      });
      expect(scope).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    });

    it('refuses scopes the app registration was not granted', async () => {
      const c = client();
      await c.configure({ grantedPermissions: ['microsoft365backup.jobInfo.read.all'] });
      const res = await c.requestToken({
        client_id: c.clientId,
        client_secret: avepointSandboxSecret(c.clientId),
        scope: 'microsoft365backup.restore.readwrite.all',
        grant_type: 'client_credentials',
      });
      expect(res).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    });
  });

  describe('certificate sign-in (register-app.md §Certificate)', () => {
    let app: { cert: string; key: string };
    let other: { cert: string; key: string };
    beforeAll(async () => {
      const gen = async (cn: string) => {
        const p = await selfsigned.generate([{ name: 'commonName', value: cn }], { keySize: 2048 });
        return { cert: p.cert, key: p.private };
      };
      [app, other] = await Promise.all([gen('aos-app'), gen('someone-else')]);
    });
    const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    /** A JWT as the docs' .NET sample signs it (RS256, x5t, iss = sub = client id, aud = token URL, jti, nbf, exp). */
    function assertion(c: AvePointTestClient, pair = app, claims: Record<string, unknown> = {}): string {
      const thumb = createHash('sha1').update(new X509Certificate(pair.cert).raw).digest();
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        iss: c.clientId,
        sub: c.clientId,
        aud: `${c.origin}/avepoint/identity/connect/token`,
        jti: randomUUID(),
        nbf: now,
        exp: now + 3600,
        ...claims,
      };
      const input = `${b64({ alg: 'RS256', typ: 'JWT', x5t: thumb.toString('base64url') })}.${b64(payload)}`;
      return `${input}.${sign('sha256', Buffer.from(input), pair.key).toString('base64url')}`;
    }
    const form = (a: string) => ({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: a,
      scope: 'microsoft365backup.jobInfo.read.all',
    });

    it('issues a token for the docs sample form (no client_id) signed with a registered certificate, and the token works', async () => {
      const c = client();
      await c.configure({ appCertificates: [app.cert] });
      const res = await c.requestToken(form(assertion(c)));
      expect(res).toMatchObject({
        status: 200,
        body: { token_type: 'Bearer', expires_in: 3600, scope: 'microsoft365backup.jobInfo.read.all' },
      });
      c.token = res.body.access_token;
      expect((await c.api('GET', '/backup/m365/cloudbackupjobs')).status).toBe(200);
      const withId = await c.requestToken({ ...form(assertion(c)), client_id: c.clientId });
      expect(withId.status).toBe(200);
    });

    it.each([
      ['an unregistered certificate', (c: AvePointTestClient) => assertion(c, other)],
      [
        'another audience',
        (c: AvePointTestClient) => assertion(c, app, { aud: 'https://identity.avepointonlineservices.com/connect/token' }),
      ],
      ['an expired assertion', (c: AvePointTestClient) => assertion(c, app, { exp: Math.floor(Date.now() / 1000) - 3600 })],
      ['iss and sub of another client', (c: AvePointTestClient) => assertion(c, app, { iss: 'other', sub: 'other' })],
      [
        'a tampered payload',
        (c: AvePointTestClient) => {
          const [h, , sig] = assertion(c).split('.');
          return `${h}.${b64({ iss: c.clientId, sub: c.clientId })}.${sig}`;
        },
      ],
      ['no JWT at all', () => 'not-a-jwt'],
    ])('refuses %s with invalid_client', async (_what, make) => {
      const c = client();
      await c.configure({ appCertificates: [app.cert] });
      const res = await c.requestToken({ ...form(make(c)), client_id: c.clientId });
      expect(res).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
    });

    it('refuses a replayed assertion, an app without a registered certificate, and a secret sent with an assertion', async () => {
      const c = client();
      await c.configure({ appCertificates: [app.cert] });
      const once = assertion(c);
      expect((await c.requestToken(form(once))).status).toBe(200);
      expect(await c.requestToken(form(once))).toMatchObject({
        status: 400,
        body: { error: 'invalid_client', error_description: expect.stringContaining('already used') },
      });
      expect(await c.requestToken({ ...form(assertion(c)), client_secret: avepointSandboxSecret(c.clientId) })).toMatchObject({
        status: 400,
        body: { error: 'invalid_client' },
      });
      const bare = client();
      expect(await bare.requestToken(form(assertion(bare)))).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
    });
  });

  describe('authorization', () => {
    it('answers 401 with the envelope without a token, and after the token expired on the sandbox clock', async () => {
      const c = client();
      const none = await c.raw('GET', '/api/backup/m365/cloudbackupjobs');
      expect(none.status).toBe(401);
      expect(none.body).toMatchObject({
        statusCode: 401,
        message: 'Unauthorized',
        requestId: expect.any(String),
        traceId: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/),
      });
      await c.login();
      expect((await c.api('GET', '/backup/m365/cloudbackupjobs')).status).toBe(200);
      await c.advance(3601_000);
      const expired = await c.api('GET', '/backup/m365/cloudbackupjobs');
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toContain('invalid_token');
    });

    it('answers 403 when the token lacks the endpoint permission', async () => {
      const c = client();
      await c.login('microsoft365backup.jobInfo.read.all');
      const res = await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody(tenantSlug(c.clientId)));
      expect(res.status).toBe(403);
      expect(res.body.statusCode).toBe(403);
    });
  });

  describe('POST /backup/m365/restore/jobs', () => {
    it('accepts the seed sample and runs the job In Progress -> Finished over sandbox time', async () => {
      const c = client();
      await c.login();
      const res = await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody(tenantSlug(c.clientId)));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ statusCode: 200, message: '', data: { jobId: expect.stringMatching(/^RS\d{18}$/) } });
      expect(res.body.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
      expect(res.headers.get('request-id')).toBe(res.body.requestId);
      const jobId = res.body.data.jobId;
      const running = await c.api('GET', `/backup/m365/cloudbackupjobs/${jobId}`);
      expect(running.body.data).toMatchObject({ id: jobId, state: 'In Progress' });
      expect(running.body.data.finishTime).toBeUndefined();
      await c.advance(61_000);
      const done = await c.api('GET', `/backup/m365/cloudbackupjobs/${jobId}`);
      expect(done.body.data).toMatchObject({
        id: jobId,
        state: 'Finished',
        finishTime: expect.stringMatching(/Z$/),
        // Objects, not paths: the folder Shared/Reports/2026 holds Q1.xlsx (2 objects) + the file Budget.xlsx.
        backupDetails: { totalNumber: 3, failedNumber: 0, successfulNumber: 3, skippedNumber: 0 },
        jobErrors: [],
      });
      const listed = (await c.api('GET', '/backup/m365/cloudbackupjobs?jobType=2')).body.data;
      expect(listed).toEqual([expect.objectContaining({ id: jobId, backupDetails: expect.objectContaining({ totalCount: 3 }) })]);
    });

    it('ends Partially Finished with jobErrors when some paths are not in the backup, Failed when none are', async () => {
      const c = client();
      await c.login();
      const slug = tenantSlug(c.clientId);
      const partial = siteRestoreBody(slug, 'Site01');
      (partial.siteRestoreScope as any).restoreTargets = [
        { libraryName: 'Documents', files: [{ relativePath: 'Shared/Budget.xlsx' }, { relativePath: 'Nope/missing.txt' }] },
      ];
      const failed = siteRestoreBody(slug, 'Site01');
      (failed.siteRestoreScope as any).restoreTargets = [{ libraryName: 'Documents', files: [{ relativePath: 'Nope/missing.txt' }] }];
      const a = (await c.api('POST', '/backup/m365/restore/jobs', partial)).body.data.jobId;
      const b = (await c.api('POST', '/backup/m365/restore/jobs', failed)).body.data.jobId;
      await c.advance(61_000);
      const pa = (await c.api('GET', `/backup/m365/cloudbackupjobs/${a}`)).body.data;
      expect(pa).toMatchObject({ state: 'Partially Finished', backupDetails: { totalNumber: 2, failedNumber: 1, successfulNumber: 1 } });
      expect(pa.jobErrors).toEqual([{ isErrorCode: false, value: expect.stringContaining('Nope/missing.txt'), url: '', number: 1 }]);
      expect((await c.api('GET', `/backup/m365/cloudbackupjobs/${b}`)).body.data.state).toBe('Failed');
    });

    it('fails the job when no backup exists before recoveryDateTime', async () => {
      const c = client();
      await c.login();
      const res = await c.api(
        'POST',
        '/backup/m365/restore/jobs',
        siteRestoreBody(tenantSlug(c.clientId), 'Finance', { recoveryDateTime: '2001-01-01T00:00:00Z' }),
      );
      await c.advance(61_000);
      const job = (await c.api('GET', `/backup/m365/cloudbackupjobs/${res.body.data.jobId}`)).body.data;
      expect(job.state).toBe('Failed');
      expect(job.jobErrors[0].value).toContain('No backup data');
    });

    it('answers the seed sample 400 when siteRestoreScope is missing', async () => {
      const c = client();
      await c.login();
      const body = siteRestoreBody(tenantSlug(c.clientId));
      delete body.siteRestoreScope;
      const res = await c.api('POST', '/backup/m365/restore/jobs', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        statusCode: 400,
        message: 'Bad Request',
        errors: [{ code: 'InvalidParameter', field: 'SiteRestoreScope', message: "'Site Restore Scope' must not be empty." }],
      });
    });

    it.each([
      ['an unknown serviceType', { serviceType: 4 }, 'ServiceType'],
      ['serviceType as a string', { serviceType: '1' }, 'ServiceType'],
      ['recoveryDateTime with milliseconds', { recoveryDateTime: '2026-02-27T03:54:22.123Z' }, 'RecoveryDateTime'],
      ['recoveryDateTime with an offset', { recoveryDateTime: '2026-02-27T03:54:22+01:00' }, 'RecoveryDateTime'],
      ['a misspelt field', { recoveryTime: '2026-02-27T03:54:22Z' }, 'RecoveryTime'],
    ])('refuses %s with InvalidParameter', async (_name, overrides, field) => {
      const c = client();
      await c.login();
      const res = await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody(tenantSlug(c.clientId), 'Finance', overrides));
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'InvalidParameter', field })]));
    });

    it('accepts the 7-digit fraction format of recoveryDateTime', async () => {
      const c = client();
      await c.login();
      const res = await c.api(
        'POST',
        '/backup/m365/restore/jobs',
        siteRestoreBody(tenantSlug(c.clientId), 'Finance', { recoveryDateTime: '2030-02-27T03:54:22.1234567Z' }),
      );
      expect(res.status).toBe(200);
    });

    it('refuses more than 20 paths across restoreTargets and accepts exactly 20', async () => {
      const c = client();
      await c.login();
      const slug = tenantSlug(c.clientId);
      const files = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ relativePath: `Bulk/file${String(i + 1).padStart(2, '0')}.txt` }));
      const over = siteRestoreBody(slug);
      (over.siteRestoreScope as any).restoreTargets = [
        { libraryName: 'Documents', files: files(11) },
        { libraryName: 'Site Assets', files: files(10) },
      ];
      const res = await c.api('POST', '/backup/m365/restore/jobs', over);
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({
        code: 'InvalidParameter',
        field: 'SiteRestoreScope.RestoreTargets',
        message: expect.stringContaining('cannot exceed 20'),
      });
      (over.siteRestoreScope as any).restoreTargets = [
        { libraryName: 'Documents', files: files(10) },
        { libraryName: 'Site Assets', files: files(10) },
      ];
      expect((await c.api('POST', '/backup/m365/restore/jobs', over)).status).toBe(200);
    });

    it('refuses a parent folder together with its child, but not the same path in two libraries', async () => {
      const c = client();
      await c.login();
      const body = siteRestoreBody(tenantSlug(c.clientId));
      (body.siteRestoreScope as any).restoreTargets = [
        { libraryName: 'Documents', folders: [{ relativePath: 'Shared' }], files: [{ relativePath: 'shared/Budget.xlsx' }] },
      ];
      const res = await c.api('POST', '/backup/m365/restore/jobs', body);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].message).toContain('Parent and child');
      (body.siteRestoreScope as any).restoreTargets = [
        { libraryName: 'Documents', folders: [{ relativePath: 'Shared' }] },
        { libraryName: 'Site Assets', files: [{ relativePath: 'Shared/Budget.xlsx' }] },
      ];
      expect((await c.api('POST', '/backup/m365/restore/jobs', body)).status).toBe(200);
    });

    it('refuses a fourth running restore with the seed 429 message, and accepts again once one finished', async () => {
      const c = client();
      await c.login();
      await c.configure({ restoreDurationMs: 60_000 });
      const slug = tenantSlug(c.clientId);
      for (let i = 0; i < 3; i++) expect((await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody(slug))).status).toBe(200);
      const refused = await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody(slug));
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({
        statusCode: 429,
        message: 'There are already 3 restore/export jobs running, cannot start new restore job.',
      });
      await c.advance(60_000);
      expect((await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody(slug))).status).toBe(200);
    });

    it('counts running export jobs against the limit', async () => {
      const c = client();
      await c.login();
      await c.configure({ runningExportJobs: 3 });
      expect((await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody(tenantSlug(c.clientId)))).status).toBe(429);
    });

    it('restores OneDrive content by oneDriveUpn', async () => {
      const c = client();
      await c.login();
      const res = await c.api('POST', '/backup/m365/restore/jobs', {
        serviceType: 2,
        recoveryDateTime: '2030-01-01T00:00:00Z',
        oneDriveRestoreScope: {
          oneDriveUpn: `user01@${tenantSlug(c.clientId)}.onmicrosoft.com`,
          restoreTargets: [{ libraryName: 'Documents', folders: [{ relativePath: 'Projects' }] }],
        },
      });
      expect(res.status).toBe(200);
    });

    it('refuses a site of another service type or another tenant', async () => {
      const c = client();
      await c.login();
      const groupAsSharePoint = await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody(tenantSlug(c.clientId), 'Group01'));
      expect(groupAsSharePoint.status).toBe(400);
      expect(groupAsSharePoint.body.errors[0].field).toBe('SiteRestoreScope.SiteUrl');
      const group = await c.api(
        'POST',
        '/backup/m365/restore/jobs',
        siteRestoreBody(tenantSlug(c.clientId), 'Group01', { serviceType: 3 }),
      );
      expect(group.status).toBe(200);
      const foreign = await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody('someoneelse'));
      expect(foreign.status).toBe(400);
    });
  });

  describe('Multi-Geo location', () => {
    it('keeps items and jobs per geo: location picks the geo, job details without it read the central geo', async () => {
      const c = client();
      await c.login();
      await c.configure({ multiGeo: ['NAM', 'EUR'] });
      const slug = tenantSlug(c.clientId);
      // Site02 has geo index 1 -> EUR
      const central = await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody(slug, 'Site02'));
      expect(central.status).toBe(400);
      const eur = await c.api('POST', '/backup/m365/restore/jobs?location=EUR', siteRestoreBody(slug, 'Site02'));
      expect(eur.status).toBe(200);
      const id = eur.body.data.jobId;
      expect((await c.api('GET', `/backup/m365/cloudbackupjobs/${id}`)).status).toBe(404);
      expect((await c.api('GET', `/backup/m365/cloudbackupjobs/${id}?Location=EUR`)).body.data.id).toBe(id);
      const all = await c.api('GET', '/backup/m365/cloudbackupjobs?jobType=2');
      expect(all.body.data.map((j: any) => j.id)).toEqual([id]);
      expect((await c.api('GET', '/backup/m365/cloudbackupjobs?jobType=2&location=NAM')).body.data).toEqual([]);
    });

    it('refuses a location the tenant does not have, and any geo for a tenant without Multi-Geo', async () => {
      const c = client();
      await c.login();
      const slug = tenantSlug(c.clientId);
      const res = await c.api('POST', '/backup/m365/restore/jobs?location=EUR', siteRestoreBody(slug));
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'InvalidParameter', field: 'Location' });
      expect((await c.api('POST', '/backup/m365/restore/jobs?location=PrimaryGeoLocation', siteRestoreBody(slug))).status).toBe(200);
      expect((await c.api('POST', '/backup/m365/restore/jobs?location=XYZ', siteRestoreBody(slug))).status).toBe(400);
    });
  });

  describe('GET /backup/m365/cloudbackupjobs', () => {
    it('lists daily backup jobs newest first with pageIndex/pageSize and nextLink, empty on the last page', async () => {
      const c = client();
      await c.login();
      await c.configure({ retentionDays: 6 });
      const first = await c.api('GET', '/backup/m365/cloudbackupjobs?jobType=1&pageSize=4');
      expect(first.status).toBe(200);
      expect(first.body.data).toHaveLength(4);
      const total = first.body.metadata.totalCount;
      expect(total).toBeGreaterThanOrEqual(6);
      expect(first.body.data[0].backupDetails).toHaveProperty('totalCount');
      const starts = first.body.data.map((j: any) => Date.parse(j.startTime));
      expect([...starts].sort((a, b) => b - a)).toEqual(starts);
      expect(first.body.metadata.nextLink).toContain('pageIndex=1');
      const link = new URL(first.body.metadata.nextLink);
      const second = await c.api('GET', `/backup/m365/cloudbackupjobs${link.search}`);
      expect(second.body.data[0].id).not.toBe(first.body.data[0].id);
      const last = await c.api('GET', `/backup/m365/cloudbackupjobs?jobType=1&pageSize=4&pageIndex=${Math.ceil(total / 4) - 1}`);
      expect(last.body.metadata.nextLink).toBe('');
    });

    it('filters by jobType, objectType, jobState and time range, and refuses unknown enum values', async () => {
      const c = client();
      await c.login();
      const slug = tenantSlug(c.clientId);
      const od = await c.api('POST', '/backup/m365/restore/jobs', {
        serviceType: 2,
        recoveryDateTime: '2030-01-01T00:00:00Z',
        oneDriveRestoreScope: {
          oneDriveUpn: `user01@${slug}.onmicrosoft.com`,
          restoreTargets: [{ libraryName: 'Documents', folders: [{ relativePath: 'Projects' }] }],
        },
      });
      await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody(slug));
      const oneDrive = await c.api('GET', '/backup/m365/cloudbackupjobs?jobType=2&objectType=3');
      expect(oneDrive.body.data.map((j: any) => j.id)).toEqual([od.body.data.jobId]);
      expect((await c.api('GET', '/backup/m365/cloudbackupjobs?jobType=2&jobState=1')).body.data).toHaveLength(2);
      expect((await c.api('GET', '/backup/m365/cloudbackupjobs?jobType=2&jobState=2')).body.data).toHaveLength(0);
      expect((await c.api('GET', '/backup/m365/cloudbackupjobs?jobType=2&startTime=2099-01-01')).body.data).toHaveLength(0);
      const bad = await c.api('GET', '/backup/m365/cloudbackupjobs?jobType=9');
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0]).toMatchObject({ code: 'InvalidParameter', field: 'JobType' });
    });

    it('answers 404 in the envelope for an unknown job id', async () => {
      const c = client();
      await c.login();
      const res = await c.api('GET', '/backup/m365/cloudbackupjobs/RS000000000000000000');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ statusCode: 404, message: 'The job does not exist.' });
    });
  });

  describe('scheduled backup jobs (sandbox clock)', () => {
    const HOUR = 3600_000;
    const DAY = 24 * HOUR;
    /** Moves the tenant's clock to the next hh:mm UTC and returns that time. */
    async function at(c: AvePointTestClient, hour: number, minute = 0): Promise<Date> {
      const now = Date.parse(((await c.advance(0)) as { now: string }).now);
      const d = new Date(now);
      let target = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hour, minute);
      if (target <= now) target += DAY;
      await c.advance(target - now);
      return new Date(target);
    }
    const backups = async (c: AvePointTestClient, query = '') =>
      (await c.api('GET', `/backup/m365/cloudbackupjobs?jobType=1&pageSize=100${query}`)).body.data as any[];
    const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    /** A tenant whose token outlives the clock moves of these tests. */
    async function tenant(): Promise<AvePointTestClient> {
      const c = client();
      await c.configure({ tokenLifetimeSeconds: 30 * 86_400 });
      await c.login();
      return c;
    }
    const objects = 28; // fixture sites, group and team sites and OneDrives of a tenant

    it('runs the daily backup at 02:00 UTC: In Progress without finishTime, then Finished with its object counters', async () => {
      const c = await tenant();
      await c.configure({ retentionDays: 2 });
      const t = await at(c, 2, 10);
      const [running] = await backups(c);
      expect(running).toMatchObject({ state: 'In Progress', startTime: iso(new Date(t.getTime() - 10 * 60_000)) });
      expect(running).not.toHaveProperty('finishTime');
      expect((await backups(c, '&jobState=1')).map((j) => j.id)).toEqual([running.id]);
      await c.advance(30 * 60_000);
      const [done, previous] = await backups(c);
      expect(done).toEqual({
        id: running.id,
        state: 'Finished',
        startTime: running.startTime,
        finishTime: iso(new Date(t.getTime() + 25 * 60_000)),
        duration: '0.583',
        backupDetails: { totalCount: objects, failedCount: 0, successfulCount: objects, skippedCount: 0 },
        jobErrors: [],
      });
      expect(Date.parse(done.startTime) - Date.parse(previous.startTime)).toBe(DAY);
      // Job details answer with the *Number counters of the details sample.
      const details = (await c.api('GET', `/backup/m365/cloudbackupjobs/${done.id}`)).body.data;
      expect(details.backupDetails).toEqual({ totalNumber: objects, failedNumber: 0, successfulNumber: objects, skippedNumber: 0 });
      // A day later the next backup has run and the oldest one fell out of the 2-day retention.
      await c.advance(DAY);
      const later = await backups(c);
      expect(later.map((j) => Date.parse(j.startTime))).toEqual([0, 1, 2].map((d) => Date.parse(done.startTime) + DAY - d * DAY));
      expect(later[0]).toMatchObject({ state: 'Finished', id: expect.stringMatching(/^IB\d{20}$/) });
    });

    it('runs backupsPerDay jobs a day, evenly spaced from 02:00', async () => {
      const c = await tenant();
      await c.configure({ retentionDays: 0, backupsPerDay: 4 });
      await at(c, 23);
      const hours = (await backups(c)).map((j) => new Date(j.startTime).getUTCHours());
      expect(hours).toEqual([20, 14, 8, 2]);
    });

    it('fails, stops or warns per object from a given time, and leaves earlier jobs as they were', async () => {
      const c = await tenant();
      await c.configure({ retentionDays: 1 });
      const slug = tenantSlug(c.clientId);
      const site = `https://${slug}.sharepoint.com/sites/Site01`;
      const t = await at(c, 3);
      const from = iso(t);
      await c.configure({
        backupFaults: [
          { objects: [site.toUpperCase()], kind: 'fail', from },
          { objects: [`user01@${slug}.onmicrosoft.com`], kind: 'stop', from },
          { objects: [`https://${slug}.sharepoint.com/sites/Site02/`], kind: 'exception', from },
        ],
      });
      await c.advance(DAY);
      const [faulty, clean] = await backups(c);
      expect(faulty).toMatchObject({
        state: 'Finished with Exception',
        backupDetails: { totalCount: objects - 1, failedCount: 1, successfulCount: objects - 2, skippedCount: 0 },
      });
      expect(faulty.jobErrors).toEqual([
        { isErrorCode: true, value: expect.stringContaining('could not be backed up'), url: expect.stringMatching(/^https:/), number: 1 },
        { isErrorCode: false, value: expect.stringContaining('locked'), url: '', number: 1 },
      ]);
      expect(clean).toMatchObject({ state: 'Finished', backupDetails: { totalCount: objects, failedCount: 0 }, jobErrors: [] });
      expect((await backups(c, '&jobState=4')).map((j) => j.id)).toEqual([faulty.id]);
    });

    it('ends the job Failed when every object fails, and runs none while every object is stopped', async () => {
      const c = await tenant();
      await c.configure({ retentionDays: 0 });
      const t = await at(c, 3);
      await c.configure({ backupFaults: [{ objects: '*', kind: 'fail', from: iso(t), until: iso(new Date(t.getTime() + DAY)) }] });
      await c.advance(DAY);
      const [failed] = await backups(c);
      expect(failed).toMatchObject({
        state: 'Failed',
        backupDetails: { totalCount: objects, failedCount: objects, successfulCount: 0 },
        jobErrors: [expect.objectContaining({ isErrorCode: true, number: objects })],
      });
      expect(failed.finishTime).toBeDefined();
      await c.configure({ backupFaults: [{ objects: '*', kind: 'stop', from: iso(new Date(t.getTime() + DAY)) }] });
      await c.advance(2 * DAY);
      const ids = (await backups(c, `&startTime=${iso(new Date(t.getTime() + DAY))}`)).map((j) => j.id);
      expect(ids).toEqual([]);
    });

    it('shows a forced state text while a fault entry sets one', async () => {
      const c = await tenant();
      await c.configure({ retentionDays: 0 });
      const t = await at(c, 3);
      await c.configure({ backupFaults: [{ objects: '*', state: 'Partially Finished', from: iso(t) }] });
      await c.advance(DAY);
      const [job] = await backups(c);
      expect(job.state).toBe('Partially Finished');
      expect((await backups(c, '&jobState=5')).map((j) => j.id)).toEqual([job.id]);
    });

    it('restores an object from the latest backup that backed it up: none left -> Failed, another site -> Finished', async () => {
      const c = await tenant();
      await c.configure({ retentionDays: 1, restoreDurationMs: 1000 });
      const slug = tenantSlug(c.clientId);
      await c.configure({ backupFaults: [{ objects: [`https://${slug}.sharepoint.com/sites/Site01`], kind: 'fail' }] });
      const lost = (await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody(slug, 'Site01'))).body.data.jobId;
      const kept = (await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody(slug, 'Site02'))).body.data.jobId;
      await c.advance(2000);
      const lostJob = (await c.api('GET', `/backup/m365/cloudbackupjobs/${lost}`)).body.data;
      expect(lostJob.state).toBe('Failed');
      expect(lostJob.jobErrors[0].value).toContain('No backup data');
      expect((await c.api('GET', `/backup/m365/cloudbackupjobs/${kept}`)).body.data.state).toBe('Finished');
    });
  });

  describe('faults and throttling', () => {
    it('writes injected faults in the envelope, per tenant', async () => {
      const a = client();
      const b = client();
      await a.login();
      await b.login();
      await a.control('POST', '/faults', { method: 'GET', path: 'cloudbackupjobs', status: 500, count: 1 });
      const res = await a.api('GET', '/backup/m365/cloudbackupjobs');
      expect(res.status).toBe(500);
      expect(res.body).toMatchObject({ statusCode: 500, message: 'Internal Server Error', requestId: expect.any(String) });
      expect((await b.api('GET', '/backup/m365/cloudbackupjobs')).status).toBe(200);
      expect((await a.api('GET', '/backup/m365/cloudbackupjobs')).status).toBe(200);
    });

    it('fires token-endpoint faults in the OAuth error shape', async () => {
      const c = client();
      await c.control('POST', '/faults', { method: 'POST', path: 'identity', status: 503, retryAfterSeconds: 2 });
      const res = await c.requestToken({
        client_id: c.clientId,
        client_secret: avepointSandboxSecret(c.clientId),
        grant_type: 'client_credentials',
      });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: 'server_error' });
      expect(res.headers.get('retry-after')).toBe('2');
    });

    it('throttles above requestsPerMinute with 429', async () => {
      const c = client();
      await c.login();
      await c.configure({ requestsPerMinute: 2 });
      expect((await c.api('GET', '/backup/m365/cloudbackupjobs')).status).toBe(200);
      expect((await c.api('GET', '/backup/m365/cloudbackupjobs')).status).toBe(200);
      const res = await c.api('GET', '/backup/m365/cloudbackupjobs');
      expect(res.status).toBe(429);
      expect(res.body.statusCode).toBe(429);
      await c.advance(60_001);
      expect((await c.api('GET', '/backup/m365/cloudbackupjobs')).status).toBe(200);
    });

    it('records calls without the client secret', async () => {
      const c = client();
      await c.login();
      const { calls } = await c.control('GET', '/calls');
      expect(calls[0]).toMatchObject({ method: 'POST', path: '/identity/connect/token', status: 200 });
      expect(calls[0].body.client_secret).toBe('***');
    });
  });
});
