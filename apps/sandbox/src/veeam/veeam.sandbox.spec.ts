import { startTestSandbox, SandboxControl } from '../../../../test/support/sandbox';
import type { RunningSandbox } from '../sandbox.server';
import {
  veeamFixtureOrganization,
  veeamFixtureProxyId,
  veeamFixtureRepositories,
  veeamFixtureSites,
  veeamFixtureUsers,
  veeamSandboxAssertion,
  veeamSandboxPassword,
} from './veeam.fixtures';

/** The simulated VB365 server over real HTTPS, driven the way the vendor documents it (no adapter). */
describe('veeam sandbox', () => {
  let sandbox: RunningSandbox;
  let seq = 0;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const newServer = () => `vbo-admin-${process.pid}-${++seq}`;
  const url = (p: string) => `${sandbox.origin}/veeam${p}`;

  async function tokenRequest(form: Record<string, string>) {
    const res = await fetch(url('/v8/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  }

  async function login(user: string): Promise<string> {
    const r = await tokenRequest({
      grant_type: 'password',
      username: user,
      password: veeamSandboxPassword(user),
      disable_antiforgery_token: 'true',
    });
    expect(r.status).toBe(200);
    return r.body.access_token;
  }

  async function call(token: string | undefined, method: string, p: string, body?: unknown) {
    const res = await fetch(url(p), {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }

  const siteItem = (server: string, i: number) => {
    const s = veeamFixtureSites(server)[i];
    return { type: 'Site', site: { id: s.id, url: s.url, title: s.title, isCloud: true, isPersonal: false } };
  };

  async function newJob(server: string, token: string, items: unknown[], extra: Record<string, unknown> = {}) {
    return call(token, 'POST', '/v8/Jobs', {
      name: `job-${Math.random().toString(36).slice(2)}`,
      organizationId: veeamFixtureOrganization(server).id,
      repositoryId: veeamFixtureRepositories(server)[0].id,
      backupType: 'SelectedItems',
      selectedItems: items,
      ...extra,
    });
  }

  describe('POST /v8/token', () => {
    it('issues an OAuthTokenResponse for the password grant', async () => {
      const user = newServer();
      const r = await tokenRequest({ grant_type: 'password', username: user, password: veeamSandboxPassword(user) });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        token_type: 'bearer',
        expires_in: 3600,
        userName: user,
        access_token: expect.any(String),
        refresh_token: expect.any(String),
      });
      expect(Date.parse(r.body['.expires']) - Date.parse(r.body['.issued'])).toBe(3600_000);
    });

    it('issues tokens for the jwt-bearer grant (client_id + assertion)', async () => {
      const client = newServer();
      const r = await tokenRequest({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        client_id: client,
        assertion: veeamSandboxAssertion(client),
      });
      expect(r.status).toBe(200);
      expect(r.body.userName).toBe(client);
    });

    it("refuses a wrong password, client_credentials and unknown fields with the spec's RESTExceptionInfo, not OAuth {error}", async () => {
      const user = newServer();
      expect(await tokenRequest({ grant_type: 'password', username: user, password: 'nope' })).toMatchObject({
        status: 400,
        body: { message: 'The user name or password is incorrect.', errorCode: null, stackTrace: null },
      });
      expect(
        await tokenRequest({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', client_id: user, assertion: 'x' }),
      ).toMatchObject({
        status: 400,
        body: { message: 'The assertion is invalid.', errorCode: null },
      });
      const unsupported = await tokenRequest({ grant_type: 'client_credentials', client_id: user, client_secret: 'x' });
      expect(unsupported).toMatchObject({ status: 400, body: { errorCode: 'ParameterValidationFailure' } });
      expect(unsupported.body.error).toBeUndefined();
      expect(
        await tokenRequest({ grant_type: 'password', username: user, password: veeamSandboxPassword(user), scope: 'x' }),
      ).toMatchObject({ status: 400, body: { errorCode: 'ParameterValidationFailure', message: "Unknown parameter 'scope'." } });
    });

    it('refreshes once per refresh token and revokes the old pair', async () => {
      const user = newServer();
      const first = await tokenRequest({ grant_type: 'password', username: user, password: veeamSandboxPassword(user) });
      const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
      expect(refreshed.status).toBe(200);
      expect((await call(first.body.access_token, 'GET', '/v8/Organizations')).status).toBe(401);
      expect((await call(refreshed.body.access_token, 'GET', '/v8/Organizations')).status).toBe(200);
      expect(await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token })).toMatchObject({
        status: 400,
        body: { message: 'The refresh token is invalid or expired.', errorCode: null, stackTrace: null },
      });
    });

    it('throttles the token endpoint per server with 429 and Retry-After', async () => {
      const user = newServer();
      await new SandboxControl(sandbox.origin, 'veeam', user).configure({ tokenRequestsPerMinute: 2 });
      await login(user);
      await login(user);
      const third = await tokenRequest({ grant_type: 'password', username: user, password: veeamSandboxPassword(user) });
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(third.body).toBe('API calls quota exceeded! maximum admitted 2 per Minute.');
      await new SandboxControl(sandbox.origin, 'veeam', user).advanceClock(61_000);
      await login(user);
    });

    it('expires access tokens on the server clock', async () => {
      const user = newServer();
      const control = new SandboxControl(sandbox.origin, 'veeam', user);
      await control.configure({ tokenLifetimeSeconds: 60 });
      const token = await login(user);
      expect((await call(token, 'GET', '/v8/Organizations')).status).toBe(200);
      await control.advanceClock(61_000);
      const r = await call(token, 'GET', '/v8/Organizations');
      expect(r.status).toBe(401);
      expect(r.body.message).toBe('Authorization has been denied for this request.');
    });
  });

  it('refuses requests without a bearer token', async () => {
    expect((await call(undefined, 'GET', '/v8/Jobs')).status).toBe(401);
    expect((await call('not-a-token', 'GET', '/v8/Jobs')).status).toBe(401);
  });

  describe('paging (seed 002: limit default 30, max 10,000)', () => {
    it("pages with limit/offset; HAL links first/prev/self/next as Veeam's Pagination page shows them", async () => {
      const user = newServer();
      const token = await login(user);
      const orgId = veeamFixtureOrganization(user).id;
      const first = await call(token, 'GET', `/v8/Organizations/${orgId}/Users`);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ offset: 0, limit: 30 });
      expect(first.body.results).toHaveLength(30);
      expect(Object.keys(first.body._links)).toEqual(['self', 'next']);
      expect(first.body._links.next.href).toBe(`/veeam/v8/Organizations/${orgId}/Users?offset=30&limit=30`);
      const middle = await call(token, 'GET', `/v8/Organizations/${orgId}/Users?offset=19&limit=10`);
      expect(middle.body._links).toEqual({
        first: { href: `/veeam/v8/Organizations/${orgId}/Users?offset=0&limit=10` },
        prev: { href: `/veeam/v8/Organizations/${orgId}/Users?offset=9&limit=10` },
        self: { href: `/veeam/v8/Organizations/${orgId}/Users?offset=19&limit=10` },
        next: { href: `/veeam/v8/Organizations/${orgId}/Users?offset=29&limit=10` },
      });
      const last = await call(token, 'GET', `/v8/Organizations/${orgId}/Users?offset=30&limit=30`);
      expect(last.body.results.map((u: { id: string }) => u.id)).toEqual(
        veeamFixtureUsers(user)
          .slice(30, 60)
          .map((u) => u.id),
      );
      expect(last.body._links.next).toBeUndefined();
    });

    it.each([
      ['self', ['self']],
      ['none', []],
    ])('pageLinks %s: the open HAL dictionary holds %j only', async (pageLinks, keys) => {
      const user = newServer();
      const token = await login(user);
      await new SandboxControl(sandbox.origin, 'veeam', user).configure({ pageLinks });
      const page = await call(token, 'GET', `/v8/Organizations/${veeamFixtureOrganization(user).id}/Users?offset=10&limit=10`);
      expect(page.body.results).toHaveLength(10);
      expect(Object.keys(page.body._links)).toEqual(keys);
    });

    it('accepts limit=10000 and refuses 10001 with ParameterValidationFailure', async () => {
      const user = newServer();
      const token = await login(user);
      const orgId = veeamFixtureOrganization(user).id;
      const max = await call(token, 'GET', `/v8/Organizations/${orgId}/Users?limit=10000`);
      expect(max.status).toBe(200);
      expect(max.body.results).toHaveLength(60);
      const over = await call(token, 'GET', `/v8/Organizations/${orgId}/Users?limit=10001`);
      expect(over.status).toBe(400);
      expect(over.body).toEqual({ message: expect.stringContaining('10000'), errorCode: 'ParameterValidationFailure', stackTrace: null });
    });
  });

  describe('backup jobs', () => {
    it('refuses unknown fields, unknown enum values and incomplete site objects', async () => {
      const user = newServer();
      const token = await login(user);
      expect((await newJob(user, token, [siteItem(user, 0)], { description: 'x' })).body.errorCode).toBe('ParameterValidationFailure');
      expect((await newJob(user, token, [siteItem(user, 0)], { backupType: 'Everything' })).status).toBe(400);
      const partial = await newJob(user, token, [{ type: 'Site', site: { id: veeamFixtureSites(user)[0].id } }]);
      expect(partial.status).toBe(400);
      expect(partial.body.message).toContain('site.url');
      const unknownSite = await newJob(user, token, [
        { type: 'Site', site: { id: 'nope', url: 'u', title: 't', isCloud: true, isPersonal: false } },
      ]);
      expect(unknownSite).toMatchObject({ status: 404, body: { errorCode: 'ResourceNotFound' } });
    });

    it('creates, edits, disables and removes a job; manages its items', async () => {
      const user = newServer();
      const token = await login(user);
      const created = await newJob(user, token, [siteItem(user, 0), siteItem(user, 1)]);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ backupType: 'SelectedItems', isEnabled: true, lastStatus: null });
      const id = created.body.id;
      const full = {
        name: 'renamed',
        backupType: 'SelectedItems',
        repositoryId: veeamFixtureRepositories(user)[0].id,
        selectedItems: [siteItem(user, 0), siteItem(user, 1)],
      };
      expect((await call(token, 'PUT', `/v8/Jobs/${id}`, full)).status).toBe(204);
      expect((await call(token, 'GET', `/v8/Jobs/${id}`)).body.name).toBe('renamed');
      expect((await call(token, 'POST', `/v8/Jobs/${id}/SelectedItems`, [siteItem(user, 1), siteItem(user, 2)])).status).toBe(204);
      const items = (await call(token, 'GET', `/v8/Jobs/${id}/SelectedItems`)).body.results;
      expect(items.map((i: { site: { id: string } }) => i.site.id)).toEqual([0, 1, 2].map((i) => veeamFixtureSites(user)[i].id));
      expect((await call(token, 'DELETE', `/v8/Jobs/${id}/SelectedItems?ids=${items[0].id},${items[1].id}`)).status).toBe(204);
      expect((await call(token, 'GET', `/v8/Jobs/${id}/SelectedItems`)).body.results).toHaveLength(1);
      expect((await call(token, 'POST', `/v8/Jobs/${id}/disable`)).status).toBe(204);
      expect((await call(token, 'GET', `/v8/Jobs/${id}`)).body.isEnabled).toBe(false);
      expect((await call(token, 'POST', `/v8/Jobs/${id}/start`, {})).body.errorCode).toBe('OperationConflict');
      expect((await call(token, 'DELETE', `/v8/Jobs/${id}`)).status).toBe(204);
      expect((await call(token, 'GET', `/v8/Jobs/${id}`)).status).toBe(404);
    });

    it('PUT /v8/Jobs/{id} replaces the settings: a partial body is refused or loses what it leaves out', async () => {
      const user = newServer();
      const token = await login(user);
      const schedulePolicy = { type: 'Periodically', periodicallyEvery: 'Hours4' };
      const job = (await newJob(user, token, [siteItem(user, 0), siteItem(user, 1)], { schedulePolicy, isEnabled: false })).body;
      const before = (await call(token, 'GET', `/v8/Jobs/${job.id}/SelectedItems`)).body.results;
      const nameOnly = await call(token, 'PUT', `/v8/Jobs/${job.id}`, { name: 'renamed' });
      expect(nameOnly).toMatchObject({ status: 400, body: { errorCode: 'ParameterValidationFailure' } });
      const repositoryId = veeamFixtureRepositories(user)[0].id;
      const noItems = await call(token, 'PUT', `/v8/Jobs/${job.id}`, { name: 'renamed', backupType: 'SelectedItems', repositoryId });
      expect(noItems.body.message).toContain('selectedItems');
      // Without schedulePolicy and isEnabled the job takes the defaults: daily, enabled. Items keep their ids.
      const partial = { name: 'renamed', backupType: 'SelectedItems', repositoryId, selectedItems: [siteItem(user, 0), siteItem(user, 1)] };
      expect((await call(token, 'PUT', `/v8/Jobs/${job.id}`, partial)).status).toBe(204);
      const after = (await call(token, 'GET', `/v8/Jobs/${job.id}`)).body;
      expect(after).toMatchObject({ name: 'renamed', isEnabled: true });
      expect(after.schedulePolicy).toBeUndefined();
      expect((await call(token, 'GET', `/v8/Jobs/${job.id}/SelectedItems`)).body.results.map((i: { id: string }) => i.id)).toEqual(
        before.map((i: { id: string }) => i.id),
      );
    });

    it('runs scheduled backups over the sandbox clock and records restore points', async () => {
      const user = newServer();
      const control = new SandboxControl(sandbox.origin, 'veeam', user);
      const token = await login(user);
      const job = (await newJob(user, token, [siteItem(user, 3)])).body;
      expect((await call(token, 'GET', `/v8/RestorePoints?jobId=${job.id}`)).body.results).toEqual([]);
      await control.advanceClock(61_000);
      const running = await call(token, 'GET', `/v8/JobSessions?jobId=${job.id}`);
      expect(running.body.results[0].status).toBe('Running');
      expect((await call(token, 'DELETE', `/v8/Jobs/${job.id}`)).body.errorCode).toBe('OperationConflict');
      await control.advanceClock(120_000);
      expect((await call(token, 'GET', `/v8/JobSessions?jobId=${job.id}`)).body.results[0].status).toBe('Success');
      const points = (await call(token, 'GET', `/v8/RestorePoints?siteId=${veeamFixtureSites(user)[3].id}`)).body.results;
      expect(points).toHaveLength(1);
      expect(points[0]).toMatchObject({ jobId: job.id, isSharePoint: true, isExchange: false });
      expect((await call(token, 'GET', `/v8/RestorePoints?siteId=${veeamFixtureSites(user)[4].id}`)).body.results).toEqual([]);
    });
  });

  describe('job sessions (spec JobSession_Get, JobSessionLog_GetBatchBySessionId, Job_StartAction)', () => {
    const HOUR = 3600_000;
    const sessionsOf = async (token: string, query: string) => (await call(token, 'GET', `/v8/JobSessions?${query}`)).body.results;
    const logOf = async (token: string, id: string, query = '') =>
      (await call(token, 'GET', `/v8/JobSessions/${id}/LogItems?limit=1000${query}`)).body.results as Array<{
        type: string;
        message: string;
        usn: number;
      }>;
    const userItem = (server: string, i: number) => {
      const u = veeamFixtureUsers(server)[i];
      return { type: 'User', user: { id: u.id, name: u.name, displayName: u.displayName }, mailbox: true, oneDrive: true };
    };

    it('runs a daily job once a day on the sandbox clock; each session logs its objects and makes a restore point', async () => {
      const user = newServer();
      const control = new SandboxControl(sandbox.origin, 'veeam', user);
      await control.configure({ tokenLifetimeSeconds: 30 * 24 * 3600 }); // days pass on the server clock
      const token = await login(user);
      const site = veeamFixtureSites(user)[1];
      const job = (await newJob(user, token, [siteItem(user, 1), userItem(user, 2)])).body;
      await control.advanceClock(3 * 24 * HOUR);
      const sessions = await sessionsOf(token, `jobId=${job.id}`);
      // First run a minute after creation, then every 24 h: +1 min, +1 d 1 min, +2 d 1 min.
      expect(sessions.map((s: { status: string }) => s.status)).toEqual(['Success', 'Success', 'Success']);
      const newest = sessions[0];
      expect(Date.parse(newest.creationTime) - Date.parse(sessions[1].creationTime)).toBe(24 * HOUR);
      expect(Date.parse(newest.endTime) - Date.parse(newest.creationTime)).toBe(120_000);
      expect(newest).toMatchObject({ jobId: job.id, jobType: 'Backup', jobSessionConfigType: 'Incremental', progress: 2 });
      expect(sessions[2].jobSessionConfigType).toBe('Full');
      expect(newest.statistics.processedObjects).toBeGreaterThan(0);
      expect(newest.statistics.transferredDataBytes).toBe(newest.statistics.processedObjects * 48 * 1024);
      const log = await logOf(token, newest.id);
      expect(log.map((l) => l.usn)).toEqual([...log.keys()].map((i) => i + 1));
      const objects = log.filter((l) => l.message.startsWith('Processed'));
      expect(objects.map((l) => [l.type, l.message.split(':').slice(0, 2).join(':')])).toEqual([
        ['Success', `Processed site: ${site.title} (${site.url})`.split(':').slice(0, 2).join(':')],
        [
          'Success',
          `Processed mailbox: ${veeamFixtureUsers(user)[2].displayName} (${veeamFixtureUsers(user)[2].name})`
            .split(':')
            .slice(0, 2)
            .join(':'),
        ],
        [
          'Success',
          `Processed OneDrive: ${veeamFixtureUsers(user)[2].displayName} (${veeamFixtureUsers(user)[2].name})`
            .split(':')
            .slice(0, 2)
            .join(':'),
        ],
      ]);
      expect(objects[0].message).toContain(`(${site.url})`);
      const points = (await call(token, 'GET', `/v8/RestorePoints?jobId=${job.id}`)).body.results;
      expect(points.map((p: { backupTime: string }) => p.backupTime)).toEqual(sessions.map((s: { endTime: string }) => s.endTime));
      // A disabled job stops running.
      expect((await call(token, 'POST', `/v8/Jobs/${job.id}/disable`)).status).toBe(204);
      await control.advanceClock(2 * 24 * HOUR);
      expect(await sessionsOf(token, `jobId=${job.id}`)).toHaveLength(3);
    });

    it('filters by jobId, status (the spec spells it Succeeded), jobType and the end-time bounds', async () => {
      const user = newServer();
      const control = new SandboxControl(sandbox.origin, 'veeam', user);
      await control.configure({ tokenLifetimeSeconds: 30 * 24 * 3600 }); // days pass on the server clock
      const token = await login(user);
      const a = (await newJob(user, token, [siteItem(user, 1)])).body;
      const b = (await newJob(user, token, [siteItem(user, 2)], { schedulePolicy: { type: 'ManualOnly' } })).body;
      await control.advanceClock(2 * 24 * HOUR);
      expect((await call(token, 'POST', `/v8/Jobs/${b.id}/start`, {})).status).toBe(200);
      expect(await sessionsOf(token, `jobId=${a.id}`)).toHaveLength(2);
      expect((await sessionsOf(token, `jobId=${b.id}`)).map((s: { status: string }) => s.status)).toEqual(['Running']);
      expect(await sessionsOf(token, `jobId=${a.id}&status=Succeeded`)).toHaveLength(2);
      expect(await sessionsOf(token, `status=Running`)).toHaveLength(1);
      expect(await sessionsOf(token, `jobType=Copy`)).toEqual([]);
      expect(await call(token, 'GET', '/v8/JobSessions?status=Success')).toMatchObject({
        status: 400,
        body: { errorCode: 'ParameterValidationFailure' },
      });
      expect((await call(token, 'GET', '/v8/JobSessions?endTimeLowerBound=yesterday')).status).toBe(400);
      const { now } = await control.advanceClock(0);
      const since = new Date(Date.parse(now) - HOUR).toISOString();
      // By creation time (the spec's description, the default): the running session is in the window.
      expect((await sessionsOf(token, `endTimeLowerBound=${since}`)).map((s: { jobId: string }) => s.jobId)).toEqual([b.id]);
      const older = (await sessionsOf(token, `endTimeUpperBound=${since}`)).map((s: { jobId: string }) => s.jobId);
      expect(older).toEqual([a.id, a.id]);
      // By end time (sessionBoundsBy 'endTime'): a session still running has no end time and is left out.
      await control.configure({ sessionBoundsBy: 'endTime' });
      expect(await sessionsOf(token, `endTimeLowerBound=${since}`)).toEqual([]);
    });

    it('fails, warns or skips one object by the failBackupsOf / warnBackupsOf / skipBackupsOf switches', async () => {
      const user = newServer();
      const control = new SandboxControl(sandbox.origin, 'veeam', user);
      await control.configure({ tokenLifetimeSeconds: 30 * 24 * 3600 }); // days pass on the server clock
      const token = await login(user);
      const [s1, s2] = [veeamFixtureSites(user)[1], veeamFixtureSites(user)[2]];
      const job = (await newJob(user, token, [siteItem(user, 1), siteItem(user, 2)])).body;
      const pointsOf = async (siteId: string) => (await call(token, 'GET', `/v8/RestorePoints?siteId=${siteId}`)).body.results.length;
      const lastRun = async () => {
        await control.advanceClock(24 * HOUR);
        const [s] = await sessionsOf(token, `jobId=${job.id}&limit=1`);
        const log = await logOf(token, s.id);
        return { s, of: (site: { url: string }) => log.filter((l) => l.message.includes(`(${site.url})`)).map((l) => l.type) };
      };

      await control.configure({ failBackupsOf: [s1.url] });
      let r = await lastRun();
      expect(r.s).toMatchObject({ status: 'Failed', progress: 1 });
      expect([r.of(s1), r.of(s2)]).toEqual([['Error'], ['Success']]);
      expect((await logOf(token, r.s.id, '&type=Error')).map((l) => l.message)).toEqual([
        `Failed to process site: ${s1.title} (${s1.url}). Error: Access is denied.`,
        expect.stringMatching(/^Job finished with failed/),
      ]);
      expect([await pointsOf(s1.id), await pointsOf(s2.id)]).toEqual([0, 1]);

      await control.configure({ failBackupsOf: [], warnBackupsOf: [s1.id] });
      r = await lastRun();
      expect(r.s.status).toBe('Warning');
      expect([r.of(s1), r.of(s2)]).toEqual([['Warning'], ['Success']]);
      expect([await pointsOf(s1.id), await pointsOf(s2.id)]).toEqual([1, 2]);

      await control.configure({ warnBackupsOf: [], skipBackupsOf: [s1.title] });
      r = await lastRun();
      expect(r.s).toMatchObject({ status: 'Success', progress: 1 });
      expect([r.of(s1), r.of(s2)]).toEqual([[], ['Success']]);
      expect([await pointsOf(s1.id), await pointsOf(s2.id)]).toEqual([1, 3]);
    });

    it('starts a job on demand (200 RESTJobSession), refuses a second start while it runs, and stops it', async () => {
      const user = newServer();
      const control = new SandboxControl(sandbox.origin, 'veeam', user);
      await control.configure({ tokenLifetimeSeconds: 30 * 24 * 3600 }); // days pass on the server clock
      const token = await login(user);
      const job = (await newJob(user, token, [siteItem(user, 1)], { schedulePolicy: { type: 'ManualOnly' } })).body;
      const started = await call(token, 'POST', `/v8/Jobs/${job.id}/start`, { full: true });
      expect(started).toMatchObject({ status: 200, body: { jobId: job.id, status: 'Running', progress: 0, endTime: null } });
      expect((await logOf(token, started.body.id, '&type=Running')).map((l) => l.message)).toEqual([
        expect.stringMatching(/^Processing site: /),
      ]);
      expect(await call(token, 'POST', `/v8/Jobs/${job.id}/start`, {})).toMatchObject({
        status: 409,
        body: { errorCode: 'OperationConflict', message: `Job ${job.name} is already running.` },
      });
      await control.advanceClock(30_000);
      expect((await call(token, 'POST', `/v8/Jobs/${job.id}/stop`)).status).toBe(204);
      const stopped = (await call(token, 'GET', `/v8/JobSessions/${started.body.id}`)).body;
      expect(stopped).toMatchObject({ status: 'Stopped', progress: 0 });
      expect((await logOf(token, stopped.id, '&type=Stop')).length).toBe(2);
      expect((await call(token, 'GET', `/v8/RestorePoints?jobId=${job.id}`)).body.results).toEqual([]);
      const again = await call(token, 'POST', `/v8/Jobs/${job.id}/start`, {});
      await control.advanceClock(120_000);
      expect((await call(token, 'GET', `/v8/JobSessions/${again.body.id}`)).body.status).toBe('Success');
      // Log items page by offset/limit, newest first with orderAsc=false.
      const desc = (await call(token, 'GET', `/v8/JobSessions/${again.body.id}/LogItems?orderAsc=false&limit=2`)).body;
      expect(desc).toMatchObject({ offset: 0, limit: 2 });
      expect(desc.results.map((l: { usn: number }) => l.usn)).toEqual([4, 3]);
      expect((await call(token, 'GET', `/v8/JobSessions/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}/LogItems`)).body.errorCode).toBe(
        'ResourceNotFound',
      );
    });
  });

  describe('restore sessions', () => {
    async function backedUpSite(user: string) {
      const control = new SandboxControl(sandbox.origin, 'veeam', user);
      const token = await login(user);
      const job = (await newJob(user, token, [siteItem(user, 5)])).body;
      await control.advanceClock(200_000);
      const point = (await call(token, 'GET', `/v8/RestorePoints?jobId=${job.id}`)).body.results[0];
      const session = await call(token, 'POST', `/v8/Jobs/${job.id}/explore`, { dateTime: point.backupTime, type: 'Vesp' });
      expect(session.status).toBe(201);
      expect(session.body).toMatchObject({ type: 'Vesp', state: 'Working' });
      return { token, control, job, session: session.body };
    }

    it('restores a site asynchronously in a restore session of its own (RESTAsyncRestoreResponse.sessionId)', async () => {
      const user = newServer();
      const { token, control, session } = await backedUpSite(user);
      const sites = (await call(token, 'GET', `/v8/RestoreSessions/${session.id}/Organization/Sites`)).body.results;
      expect(sites).toHaveLength(1);
      expect(sites[0].url).toBe(veeamFixtureSites(user)[5].url);
      const started = await call(token, 'POST', `/v8/RestoreSessions/${session.id}/Organization/Sites/${sites[0].id}/restore`, {
        restorePermissions: true,
      });
      expect(started).toMatchObject({ status: 200, body: { sessionId: expect.any(String) } });
      const restoreId = started.body.sessionId;
      expect(restoreId).not.toBe(session.id);
      // The restore's progress is in its own session; the explore session shows none of it.
      expect((await call(token, 'GET', `/v8/RestoreSessions/${session.id}/Events`)).body.results).toEqual([]);
      expect((await call(token, 'GET', `/v8/RestoreSessions/${restoreId}`)).body).toMatchObject({
        type: 'Vesp',
        state: 'Working',
        initiatedBy: user,
      });
      expect((await call(token, 'GET', `/v8/RestoreSessions/${restoreId}/Events`)).body.results[0].status).toBe('Running');
      await control.advanceClock(60_000);
      const events = (await call(token, 'GET', `/v8/RestoreSessions/${restoreId}/Events`)).body.results;
      expect(events[0]).toMatchObject({
        status: 'Success',
        type: 'Restore',
        source: sites[0].url,
        siteId: veeamFixtureSites(user)[5].id,
      });
      // A restore session ends with its restore; the explore session stays open until stopped.
      expect((await call(token, 'GET', `/v8/RestoreSessions/${restoreId}`)).body).toMatchObject({ state: 'Stopped', result: 'Success' });
      expect((await call(token, 'GET', `/v8/RestoreSessions/${session.id}`)).body).toMatchObject({ state: 'Working' });
      // A restore session is not a session to restore from.
      const again = await call(token, 'POST', `/v8/RestoreSessions/${restoreId}/Organization/Sites/${sites[0].id}/restore`, {});
      expect(again.body.errorCode).toBe('OperationConflict');
      expect((await call(token, 'POST', `/v8/RestoreSessions/${session.id}/Stop`)).status).toBe(204);
      expect((await call(token, 'GET', `/v8/RestoreSessions/${session.id}`)).body).toMatchObject({ state: 'Stopped', result: 'Success' });
    });

    it('lists restore sessions started after startTimeFrom, oldest first with orderAsc', async () => {
      const user = newServer();
      const { token, control, session } = await backedUpSite(user);
      const site = (await call(token, 'GET', `/v8/RestoreSessions/${session.id}/Organization/Sites`)).body.results[0];
      await control.advanceClock(1_000);
      const restore = (await call(token, 'POST', `/v8/RestoreSessions/${session.id}/Organization/Sites/${site.id}/restore`, {})).body;
      const all = (await call(token, 'GET', '/v8/RestoreSessions?orderAsc=true')).body.results.map((x: { id: string }) => x.id);
      expect(all).toEqual([session.id, restore.sessionId]);
      const after = await call(token, 'GET', `/v8/RestoreSessions?startTimeFrom=${encodeURIComponent(session.creationTime)}`);
      expect(after.body.results.map((x: { id: string }) => x.id)).toEqual([restore.sessionId]);
      expect((await call(token, 'GET', '/v8/RestoreSessions?startTimeFrom=yesterday')).body.errorCode).toBe('ParameterValidationFailure');
    });

    it('restores browsed documents and refuses documents without the schema fields', async () => {
      const user = newServer();
      const { token, session } = await backedUpSite(user);
      const site = (await call(token, 'GET', `/v8/RestoreSessions/${session.id}/Organization/Sites`)).body.results[0];
      const base = `/v8/RestoreSessions/${session.id}/Organization/Sites/${site.id}`;
      const root = (await call(token, 'GET', `${base}/Folders`)).body.results;
      expect(root.map((f: { name: string }) => f.name)).toEqual(['Documents']);
      const docs = (await call(token, 'GET', `${base}/Documents?parentId=${root[0].id}`)).body.results;
      expect(docs.map((d: { name: string }) => d.name)).toEqual(['Budget.xlsx']);
      expect((await call(token, 'POST', `${base}/Documents/restore`, { documents: [{ id: docs[0].id }] })).status).toBe(400);
      expect((await call(token, 'POST', `${base}/Documents/restoreTo`, { documents: docs })).body.message).toContain('siteURL');
      expect((await call(token, 'POST', `${base}/Documents/restore`, { documents: docs, restorePermissions: true })).status).toBe(200);
    });

    it('stopping a restore session cancels its restore; stopping the explore session cancels the restores started in it', async () => {
      const user = newServer();
      const { token, session } = await backedUpSite(user);
      const site = (await call(token, 'GET', `/v8/RestoreSessions/${session.id}/Organization/Sites`)).body.results[0];
      const restore = `/v8/RestoreSessions/${session.id}/Organization/Sites/${site.id}/restore`;
      const first = (await call(token, 'POST', restore, {})).body.sessionId;
      expect((await call(token, 'POST', `/v8/RestoreSessions/${first}/Stop`)).status).toBe(204);
      expect((await call(token, 'GET', `/v8/RestoreSessions/${first}/Events`)).body.results[0].status).toBe('Cancelled');
      expect((await call(token, 'GET', `/v8/RestoreSessions/${first}`)).body).toMatchObject({ state: 'Stopped', result: 'Warning' });
      const second = (await call(token, 'POST', restore, {})).body.sessionId;
      await call(token, 'POST', `/v8/RestoreSessions/${session.id}/Stop`);
      expect((await call(token, 'GET', `/v8/RestoreSessions/${second}/Events`)).body.results[0].status).toBe('Cancelled');
      expect((await call(token, 'POST', restore, {})).body.errorCode).toBe('OperationConflict');
    });
  });

  describe('backup repositories (seed 002 §Backup Repositories)', () => {
    const repo = (server: string, extra: Record<string, unknown> = {}) => ({
      retentionType: 'SnapshotBased',
      retentionPeriodType: 'Daily',
      dailyRetentionPeriod: 30,
      retentionFrequencyType: 'Daily',
      dailyTime: '02:00:00',
      dailyType: 'Workdays',
      name: 'Tenant repository',
      path: 'D:\\Backups\\Tenant',
      proxyId: veeamFixtureProxyId(server),
      ...extra,
    });

    it('lists with the proxyId, proxyPoolId, organizationId and longTerm filters', async () => {
      const user = newServer();
      const token = await login(user);
      const all = (await call(token, 'GET', '/v8/BackupRepositories')).body;
      expect(all.results.map((r: { name: string }) => r.name)).toEqual(veeamFixtureRepositories(user).map((r) => r.name));
      expect((await call(token, 'GET', '/v8/BackupRepositories?longTerm=true')).body.results.map((r: { name: string }) => r.name)).toEqual([
        'Archive Repository',
      ]);
      expect((await call(token, 'GET', '/v8/BackupRepositories?longTerm=false')).body.results).toHaveLength(2);
      expect((await call(token, 'GET', `/v8/BackupRepositories?proxyId=${veeamFixtureProxyId(user)}`)).body.results).toHaveLength(3);
      expect((await call(token, 'GET', '/v8/BackupRepositories?proxyId=00000000-0000-0000-0000-000000000000')).body.results).toEqual([]);
      expect((await call(token, 'GET', '/v8/BackupRepositories?proxyPoolId=00000000-0000-0000-0000-000000000000')).body.results).toEqual(
        [],
      );
      // organizationId: the repositories assigned to the organization or holding its backups.
      const org = veeamFixtureOrganization(user).id;
      expect((await call(token, 'GET', `/v8/BackupRepositories?organizationId=${org}`)).body.results).toEqual([]);
      await newJob(user, token, [siteItem(user, 0)]);
      await new SandboxControl(sandbox.origin, 'veeam', user).advanceClock(200_000);
      const holding = (await call(token, 'GET', `/v8/BackupRepositories?organizationId=${org}`)).body.results;
      expect(holding.map((r: { id: string }) => r.id)).toEqual([veeamFixtureRepositories(user)[0].id]);
      expect((await call(token, 'GET', '/v8/BackupRepositories?longTerm=maybe')).body.errorCode).toBe('ParameterValidationFailure');
    });

    it('adds, gets, edits (a PUT replaces the settings) and removes a repository', async () => {
      const user = newServer();
      const token = await login(user);
      const added = await call(token, 'POST', '/v8/BackupRepositories', repo(user));
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ name: 'Tenant repository', retentionType: 'SnapshotBased', dailyRetentionPeriod: 30 });
      const id = added.body.id;
      expect((await call(token, 'GET', `/v8/BackupRepositories/${id}`)).body).toEqual(added.body);
      expect((await call(token, 'POST', '/v8/BackupRepositories', repo(user))).body.errorCode).toBe('OperationConflict');
      expect(
        (await call(token, 'POST', '/v8/BackupRepositories', repo(user, { retentionType: undefined, name: 'x' }))).body.message,
      ).toContain('retentionType');
      expect((await call(token, 'POST', '/v8/BackupRepositories', repo(user, { name: 'y', sizeGB: 1 }))).status).toBe(400);
      const edit = {
        retentionType: 'ItemLevel',
        name: 'Renamed repository',
        path: 'D:\\Backups\\Tenant',
        proxyId: veeamFixtureProxyId(user),
      };
      expect((await call(token, 'PUT', `/v8/BackupRepositories/${id}`, edit)).status).toBe(204);
      const after = (await call(token, 'GET', `/v8/BackupRepositories/${id}`)).body;
      expect(after).toMatchObject({ name: 'Renamed repository', retentionType: 'ItemLevel' });
      expect(after.dailyRetentionPeriod).toBeUndefined();
      expect((await call(token, 'DELETE', `/v8/BackupRepositories/${id}`)).status).toBe(204);
      expect((await call(token, 'GET', `/v8/BackupRepositories/${id}`)).body.errorCode).toBe('ResourceNotFound');
      const used = veeamFixtureRepositories(user)[0].id;
      await newJob(user, token, [siteItem(user, 0)]);
      expect((await call(token, 'DELETE', `/v8/BackupRepositories/${used}`)).body.errorCode).toBe('OperationConflict');
    });

    it("reports each backed-up organization's used space in a repository", async () => {
      const user = newServer();
      const token = await login(user);
      const [first, second] = veeamFixtureRepositories(user);
      expect((await call(token, 'GET', `/v8/BackupRepositories/${first.id}/backedupOrganizations`)).body.results).toEqual([]);
      await newJob(user, token, [siteItem(user, 0), siteItem(user, 1)]);
      await new SandboxControl(sandbox.origin, 'veeam', user).advanceClock(200_000);
      const usage = (await call(token, 'GET', `/v8/BackupRepositories/${first.id}/backedupOrganizations`)).body;
      expect(usage).toMatchObject({ offset: 0, limit: 30 });
      expect(usage.results).toEqual([
        {
          id: veeamFixtureOrganization(user).id,
          name: veeamFixtureOrganization(user).name,
          usedSpaceBytes: 2 * 1_048_576,
          localCacheUsedSpaceBytes: null,
          objectStorageUsedSpaceBytes: null,
        },
      ]);
      expect((await call(token, 'GET', `/v8/BackupRepositories/${second.id}/backedupOrganizations`)).body.results).toEqual([]);
      expect((await call(token, 'GET', '/v8/BackupRepositories/nope/backedupOrganizations')).status).toBe(404);
    });
  });

  it("keeps servers apart: one account never sees another account's jobs", async () => {
    const a = newServer();
    const b = newServer();
    const ta = await login(a);
    const tb = await login(b);
    const job = (await newJob(a, ta, [siteItem(a, 0)])).body;
    expect((await call(tb, 'GET', '/v8/Jobs')).body.results).toEqual([]);
    expect((await call(tb, 'GET', `/v8/Jobs/${job.id}`)).status).toBe(404);
  });

  it('writes injected faults as RESTExceptionInfo, with Retry-After', async () => {
    const user = newServer();
    const token = await login(user);
    await new SandboxControl(sandbox.origin, 'veeam', user).injectFault({
      method: 'GET',
      path: '^/v8/Jobs$',
      status: 503,
      retryAfterSeconds: 7,
    });
    const r = await call(token, 'GET', '/v8/Jobs');
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(r.body).toEqual({ message: expect.any(String), errorCode: 'ProxyOffline', stackTrace: null });
    expect((await call(token, 'GET', '/v8/Jobs')).status).toBe(200);
  });
});
