import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StaticErrorCatalog, type Clock } from '@bg/domain';
import { VEEAM_ERROR_CATALOG } from '@bg/platform/migrations/data/veeam.catalog';
import {
  FIXTURE_DOCUMENTS,
  FIXTURE_ITEM_SIZE_BYTES,
  veeamFixtureRepositories,
  veeamFixtureSites,
  veeamFixtureUsers,
  veeamSandboxPassword,
} from '../../../../apps/sandbox/src/veeam/veeam.fixtures';
import type { RunningSandbox } from '../../../../apps/sandbox/src/sandbox.server';
import { SandboxControl, startTestSandbox } from '../../../../test/support/sandbox';
import { certificateSha256 } from '../http/vendor-http';
import type { AdapterConfig, CallContext, RestoreRequest, VendorCallRecord } from '../port/port.types';
import { VendorError } from '../port/vendor-error';
import { createAdapter } from '../registry';
import { VeeamAdapter } from './veeam.adapter';

/**
 * Veeam-specific behaviour of the adapter against the Veeam sandbox over HTTPS: per-connection TLS trust,
 * limit/offset paging (30 / 10,000), token refresh and the token endpoint's throttling, errorCode mapping,
 * and the restore flows per workload.
 */
describe('VeeamAdapter against the sandbox', () => {
  let sandbox: RunningSandbox;
  let certPem: string;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
    certPem = readFileSync(process.env.SANDBOX_CERT_PATH!, 'utf8');
  });
  afterAll(async () => {
    await sandbox.close();
  });

  /** A test clock the adapter reads; moved independently of the sandbox's clock. */
  function testClock(): Clock & { advance(ms: number): void } {
    let offset = 0;
    return {
      now: () => new Date(Date.now() + offset),
      advance: (ms) => {
        offset += ms;
      },
    };
  }

  function setup(extra: Partial<AdapterConfig> & { credentials?: Record<string, string> } = {}) {
    const username = `vbo-${randomBytes(6).toString('hex')}`;
    const records: VendorCallRecord[] = [];
    const ctx: CallContext = { onVendorCall: (r) => records.push(r) };
    const config: AdapterConfig = {
      connectionId: `conn-${username}`,
      endpoint: `${sandbox.origin}/veeam`,
      clock: testClock(),
      catalog: new StaticErrorCatalog(VEEAM_ERROR_CATALOG),
      ...extra,
      credentials: { username, password: veeamSandboxPassword(username), ...extra.credentials },
    };
    const control = new SandboxControl(sandbox.origin, 'veeam', username);
    const sites = veeamFixtureSites(username);
    const users = veeamFixtureUsers(username);
    return { username, ctx, records, config, control, sites, users, adapter: createAdapter('veeam', config) };
  }

  async function vendorError(p: Promise<unknown>): Promise<VendorError> {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(VendorError);
      return e as VendorError;
    }
    throw new Error('expected a VendorError');
  }

  const settle = (control: SandboxControl) => control.advanceClock(10 * 60_000);
  const tokenCalls = async (control: SandboxControl) => (await control.calls()).filter((c) => c.path === '/v8/token');

  describe('per-connection TLS trust', () => {
    it("trusts the server through the connection's caCertPem", async () => {
      const s = setup({ credentials: { caCertPem: certPem } });
      await expect(s.adapter.verify(s.ctx)).resolves.toMatchObject({ ok: true });
    });

    it("trusts only the connection's CA: another CA refuses the server (no request is sent)", async () => {
      const other = (await import('selfsigned')).generate([{ name: 'commonName', value: 'other-ca' }]);
      const s = setup({ credentials: { caCertPem: (await other).cert } });
      const e = await vendorError(s.adapter.verify(s.ctx));
      expect(e.message).toMatch(/certificate/i);
      expect(await s.control.calls()).toEqual([]);
    });

    it("works with the server certificate's pinned SHA-256 (from certificateSha256)", async () => {
      const s = setup({ credentials: { certSha256: certificateSha256(certPem) } });
      await expect(s.adapter.verify(s.ctx)).resolves.toMatchObject({ ok: true });
      // A later connection (no TLS session resumption) is checked again and still passes.
      await expect(createAdapter('veeam', s.config).verify(s.ctx)).resolves.toMatchObject({ ok: true });
      const colons = setup({
        tls: {
          pinnedSha256: certificateSha256(certPem)
            .replace(/(..)(?!$)/g, '$1:')
            .toUpperCase(),
        },
      });
      await expect(colons.adapter.verify(colons.ctx)).resolves.toMatchObject({ ok: true });
    });

    it('refuses a wrong pin with a clear, non-retryable VendorError before sending anything', async () => {
      const s = setup({ credentials: { certSha256: 'ab'.repeat(32) } });
      const e = await vendorError(s.adapter.verify(s.ctx));
      expect(e).toMatchObject({ code: 'VENDOR_ERROR', vendor: 'veeam', retryable: false });
      expect(e.message).toContain('pinned SHA-256');
      expect(e.message).toContain(certificateSha256(certPem));
      expect(await s.control.calls()).toEqual([]);
      expect(s.records).toEqual([expect.objectContaining({ method: 'POST', status: 0 })]);
    });

    it('refuses malformed credentials naming the field, never the value', () => {
      expect(() => new VeeamAdapter({ ...setup().config, credentials: { username: 'u' } })).toThrow(/Invalid Veeam credentials: username/);
      expect(
        () => new VeeamAdapter({ ...setup().config, credentials: { username: 'u', password: 'secret-pw', certSha256: 'xyz' } }),
      ).toThrow(/certSha256/);
      try {
        new VeeamAdapter({ ...setup().config, credentials: { username: 'u', password: 'secret-pw', certSha256: 'xyz' } });
      } catch (e) {
        expect((e as Error).message).not.toContain('secret-pw');
      }
    });
  });

  describe('paging (seed 002: limit default 30, max 10,000)', () => {
    it('lists protected items 30 per page and follows the offset token past 30', async () => {
      const s = setup();
      const items = s.sites.slice(0, 35).map((x) => ({ kind: 'site' as const, externalId: x.id }));
      const { policy } = await s.adapter.createPolicy(s.ctx, { workload: 'sharepoint', displayName: 'thirty-five', items });
      await s.control.clearCalls();
      const first = await s.adapter.listProtectedItems(s.ctx, policy.vendorRef);
      expect(first.items).toHaveLength(30);
      expect(first.next).toBe('30');
      const second = await s.adapter.listProtectedItems(s.ctx, policy.vendorRef, first.next);
      expect(second.items).toHaveLength(5);
      expect(second.next).toBeUndefined();
      expect(new Set([...first.items, ...second.items].map((i) => i.externalId))).toEqual(new Set(items.map((i) => i.externalId)));
      const pages = (await s.control.calls()).filter((c) => c.path.endsWith('/SelectedItems') && c.method === 'GET');
      expect(pages.map((c) => c.query)).toEqual([
        { offset: '0', limit: '30' },
        { offset: '30', limit: '30' },
      ]);
    });

    it.each(['self', 'none', 'navigation'])(
      'pages past 30 whatever the HAL links hold (pageLinks %s): offset + limit until a short page',
      async (pageLinks) => {
        const s = setup();
        await s.control.configure({ pageLinks });
        const items = s.sites.slice(0, 31).map((x) => ({ kind: 'site' as const, externalId: x.id }));
        const { policy } = await s.adapter.createPolicy(s.ctx, { workload: 'sharepoint', displayName: `links ${pageLinks}`, items });
        const first = await s.adapter.listProtectedItems(s.ctx, policy.vendorRef);
        expect(first).toMatchObject({ items: expect.any(Array), next: '30' });
        const second = await s.adapter.listProtectedItems(s.ctx, policy.vendorRef, first.next);
        expect(second.items).toHaveLength(1);
        expect(second.next).toBeUndefined();
      },
    );

    it('lists policies past one page of 30', async () => {
      const s = setup();
      for (let i = 0; i < 31; i += 1)
        await s.adapter.createPolicy(s.ctx, {
          workload: 'sharepoint',
          displayName: `job ${i}`,
          items: [{ kind: 'site', externalId: s.sites[i].id }],
        });
      const first = await s.adapter.listPolicies(s.ctx);
      expect(first.items).toHaveLength(30);
      const second = await s.adapter.listPolicies(s.ctx, first.next);
      expect(second).toEqual({ items: [expect.objectContaining({ displayName: 'job 30', workload: 'sharepoint' })] });
    });

    it('reads full lists at the documented maximum of 10,000 per page, never above it', async () => {
      const s = setup();
      const { policy } = await s.adapter.createPolicy(s.ctx, {
        workload: 'sharepoint',
        displayName: 'full',
        items: [{ kind: 'site', externalId: s.sites[0].id }],
      });
      await s.adapter.addProtectedItems(s.ctx, policy.vendorRef, [{ kind: 'site', externalId: s.sites[1].id }]);
      const limits = (await s.control.calls()).map((c) => Number(c.query?.limit ?? 0));
      expect(limits).toContain(10_000);
      expect(Math.max(...limits)).toBe(10_000);
    });

    it('refuses a page token that is not an offset', async () => {
      const s = setup();
      expect(await vendorError(s.adapter.listPolicies(s.ctx, 'abc'))).toMatchObject({ code: 'INVALID_REQUEST' });
    });
  });

  describe('tokens', () => {
    it('signs in with the password grant and disable_antiforgery_token, then reuses the token', async () => {
      const s = setup();
      await s.adapter.verify(s.ctx);
      await s.adapter.verify(s.ctx);
      const tokens = await tokenCalls(s.control);
      expect(tokens).toHaveLength(1);
      expect(tokens[0].body).toMatchObject({ grant_type: 'password', username: s.username, disable_antiforgery_token: 'true' });
    });

    it('refreshes with the refresh_token grant shortly before the token expires', async () => {
      const s = setup();
      await s.control.configure({ tokenLifetimeSeconds: 120 });
      await s.adapter.verify(s.ctx);
      (s.config.clock as ReturnType<typeof testClock>).advance(70_000);
      await s.adapter.verify(s.ctx);
      const calls = await s.control.calls();
      expect(calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
        'POST /v8/token 200',
        'GET /v8/Organizations 200',
        'POST /v8/token 200',
        'GET /v8/Organizations 200',
      ]);
      expect(calls[2].body).toMatchObject({ grant_type: 'refresh_token' });
      expect(calls.some((c) => c.status === 401)).toBe(false);
    });

    it('renews once after a 401 and repeats the call', async () => {
      const s = setup();
      await s.control.configure({ tokenLifetimeSeconds: 120 });
      await s.adapter.verify(s.ctx);
      await s.control.advanceClock(200_000); // the server's clock only: the adapter still thinks its token is fresh
      await s.control.clearCalls();
      await expect(s.adapter.verify(s.ctx)).resolves.toMatchObject({ ok: true });
      expect((await s.control.calls()).map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
        'GET /v8/Organizations 401',
        'POST /v8/token 200',
        'GET /v8/Organizations 200',
      ]);
    });

    it('signs in again when the refresh token has expired too', async () => {
      const s = setup();
      await s.adapter.verify(s.ctx);
      await s.control.advanceClock(15 * 24 * 3600_000);
      await s.control.clearCalls();
      await expect(s.adapter.verify(s.ctx)).resolves.toMatchObject({ ok: true });
      const tokens = await tokenCalls(s.control);
      expect(tokens.map((c) => [(c.body as Record<string, string>).grant_type, c.status])).toEqual([
        ['refresh_token', 400],
        ['password', 200],
      ]);
    });

    it('fails with AUTH_FAILED, not INVALID_REQUEST, when the server refuses the password (400 RESTExceptionInfo)', async () => {
      const s = setup({ credentials: { password: 'wrong' } });
      const e = await vendorError(s.adapter.verify(s.ctx));
      expect(e).toMatchObject({ code: 'AUTH_FAILED', vendorCode: 'Http400', httpStatus: 400, retryable: false });
      expect(e.message).toContain('The user name or password is incorrect.');
    });

    it('fails with AUTH_FAILED when the server refuses the jwt-bearer assertion', async () => {
      const s = setup();
      const jwt = createAdapter('veeam', { ...s.config, credentials: { clientId: s.username, clientSecret: 'not-the-assertion' } });
      expect(await vendorError(jwt.verify(s.ctx))).toMatchObject({ code: 'AUTH_FAILED', httpStatus: 400, retryable: false });
    });

    it('signs in afresh when the refresh is refused for any reason but throttling or an outage', async () => {
      const s = setup();
      await s.control.configure({ tokenLifetimeSeconds: 120 });
      await s.adapter.verify(s.ctx);
      (s.config.clock as ReturnType<typeof testClock>).advance(70_000);
      await s.control.injectFault({
        method: 'POST',
        path: '^/v8/token$',
        status: 400,
        body: { message: 'Parameter refresh_token is invalid.', errorCode: 'ParameterValidationFailure', stackTrace: null },
      });
      await s.control.clearCalls();
      await expect(s.adapter.verify(s.ctx)).resolves.toMatchObject({ ok: true });
      expect((await tokenCalls(s.control)).map((c) => [(c.body as Record<string, string>).grant_type, c.status])).toEqual([
        ['refresh_token', 400],
        ['password', 200],
      ]);
    });

    it('keeps a throttled refresh THROTTLED instead of signing in again', async () => {
      const s = setup();
      await s.control.configure({ tokenLifetimeSeconds: 120 });
      await s.adapter.verify(s.ctx);
      (s.config.clock as ReturnType<typeof testClock>).advance(70_000);
      await s.control.injectFault({ method: 'POST', path: '^/v8/token$', status: 429, retryAfterSeconds: 5, body: 'quota exceeded' });
      expect(await vendorError(s.adapter.verify(s.ctx))).toMatchObject({ code: 'THROTTLED', retryable: true });
      expect((await tokenCalls(s.control)).filter((c) => (c.body as Record<string, string>).grant_type === 'password')).toHaveLength(1);
    });

    it("maps the token endpoint's throttling (429 + Retry-After) to THROTTLED without retrying", async () => {
      const s = setup();
      await s.control.configure({ tokenRequestsPerMinute: 1 });
      await s.adapter.verify(s.ctx);
      const second = createAdapter('veeam', s.config);
      const e = await vendorError(second.verify(s.ctx));
      expect(e).toMatchObject({ code: 'THROTTLED', retryable: true, httpStatus: 429, vendorCode: 'Http429' });
      expect(e.retryAfterMs).toBeGreaterThan(0);
      expect(e.message).toContain('quota exceeded');
      expect(await tokenCalls(s.control)).toHaveLength(2);
      // The first adapter's token is still good: throttling of sign-ins does not stop it.
      await expect(s.adapter.verify(s.ctx)).resolves.toMatchObject({ ok: true });
    });
  });

  describe('policy rename (PUT /v8/Jobs/{id} replaces the job)', () => {
    it('renames by read-modify-write: schedule, disabled state and items survive', async () => {
      const s = setup();
      const { policy } = await s.adapter.createPolicy(s.ctx, {
        workload: 'sharepoint',
        displayName: 'before',
        items: [0, 1, 2].map((i) => ({ kind: 'site' as const, externalId: s.sites[i].id })),
        settings: { schedulePolicy: { type: 'Periodically', periodicallyEvery: 'Hours4' } },
      });
      await s.adapter.deactivatePolicy(s.ctx, policy.vendorRef);
      const itemsBefore = await s.adapter.listProtectedItems(s.ctx, policy.vendorRef);
      await s.control.clearCalls();
      const renamed = await s.adapter.updatePolicy(s.ctx, policy.vendorRef, { displayName: 'after' });
      expect(renamed).toMatchObject({ displayName: 'after', active: false });
      const put = (await s.control.calls()).find((c) => c.method === 'PUT')!;
      expect(put.body).toMatchObject({
        name: 'after',
        backupType: 'SelectedItems',
        isEnabled: false,
        schedulePolicy: { type: 'Periodically', periodicallyEvery: 'Hours4' },
        selectedItems: expect.arrayContaining([expect.objectContaining({ type: 'Site' })]),
      });
      const { jobs } = await s.control.state<{ jobs: Array<{ id: string; schedulePolicy?: unknown; isEnabled: boolean }> }>();
      expect(jobs.find((j) => j.id === policy.vendorRef)).toMatchObject({
        isEnabled: false,
        schedulePolicy: { type: 'Periodically', periodicallyEvery: 'Hours4' },
      });
      expect(await s.adapter.listProtectedItems(s.ctx, policy.vendorRef)).toEqual(itemsBefore);
    });
  });

  describe('backup repositories (seed 002 §Backup Repositories)', () => {
    it("reports the repositories holding the organization's backups and the space they use", async () => {
      const s = setup();
      expect(await (s.adapter as VeeamAdapter).repositoryUsage(s.ctx)).toEqual([]);
      await s.adapter.createPolicy(s.ctx, {
        workload: 'sharepoint',
        displayName: 'usage',
        items: [0, 1, 2].map((i) => ({ kind: 'site' as const, externalId: s.sites[i].id })),
      });
      await settle(s.control);
      const [repo, other] = veeamFixtureRepositories(s.username);
      const usage = await (s.adapter as VeeamAdapter).repositoryUsage(s.ctx);
      expect(usage).toEqual([
        {
          repositoryRef: repo.id,
          name: repo.name,
          capacityBytes: expect.any(Number),
          freeSpaceBytes: expect.any(Number),
          longTerm: false,
          usedBytes: 3 * FIXTURE_ITEM_SIZE_BYTES,
        },
      ]);
      const listed = (await s.control.calls()).find((c) => c.path === '/v8/BackupRepositories');
      expect(listed?.query).toMatchObject({ organizationId: expect.any(String), limit: '10000' });
      expect(await (s.adapter as VeeamAdapter).getRepositoryUsage(s.ctx, other.id)).toMatchObject({
        repositoryRef: other.id,
        usedBytes: 0,
      });
      expect(await vendorError((s.adapter as VeeamAdapter).getRepositoryUsage(s.ctx, 'no-such-repository'))).toMatchObject({
        code: 'NOT_FOUND',
        vendorCode: 'ResourceNotFound',
      });
    });
  });

  describe("usage in the vendor's own units", () => {
    it('counts the licensed users (users a job backed up, every page) and sums the storage the organization uses', async () => {
      const s = setup();
      expect(await s.adapter.licensedUsers!(s.ctx)).toBe(0);
      await s.adapter.createPolicy(s.ctx, {
        workload: 'exchange',
        displayName: 'mail',
        items: [0, 1, 2].map((i) => ({ kind: 'mailbox' as const, externalId: s.users[i].id })),
      });
      await s.adapter.createPolicy(s.ctx, {
        workload: 'sharepoint',
        displayName: 'sites',
        items: [{ kind: 'site' as const, externalId: s.sites[0].id }],
      });
      await settle(s.control);
      await s.control.clearCalls();
      // Sites take no license: three users.
      expect(await s.adapter.licensedUsers!(s.ctx)).toBe(3);
      const listed = (await s.control.calls()).filter((c) => c.path === '/v8/LicensedUsers');
      expect(listed.map((c) => c.query)).toEqual([expect.objectContaining({ organizationId: expect.any(String), offset: '0' })]);
      const storage = await s.adapter.storageUsage!(s.ctx);
      expect(storage.usedBytes).toBe(storage.repositories.reduce((n, r) => n + r.usedBytes, 0));
      expect(storage.usedBytes).toBeGreaterThan(0);
      expect(storage.repositories[0]).toMatchObject({ vendorRef: expect.any(String), displayName: expect.any(String) });
    });
  });

  describe('errorCode mapping', () => {
    it('OperationConflict (removing a job while it runs) is NOT_ALLOWED_IN_STATE', async () => {
      const s = setup();
      const { policy } = await s.adapter.createPolicy(s.ctx, {
        workload: 'sharepoint',
        displayName: 'busy',
        items: [{ kind: 'site', externalId: s.sites[0].id }],
      });
      await s.control.advanceClock(61_000); // the first scheduled run starts
      const e = await vendorError(s.adapter.deletePolicy(s.ctx, policy.vendorRef));
      expect(e).toMatchObject({ code: 'NOT_ALLOWED_IN_STATE', vendorCode: 'OperationConflict', httpStatus: 409, retryable: false });
    });

    it('ParameterValidationFailure (an unknown schedule type) is INVALID_REQUEST', async () => {
      const s = setup();
      const e = await vendorError(
        s.adapter.createPolicy(s.ctx, {
          workload: 'sharepoint',
          displayName: 'bad schedule',
          items: [{ kind: 'site', externalId: s.sites[0].id }],
          settings: { schedulePolicy: { type: 'Hourly' } },
        }),
      );
      expect(e).toMatchObject({ code: 'INVALID_REQUEST', vendorCode: 'ParameterValidationFailure', httpStatus: 400, retryable: false });
    });

    it.each([
      [403, 'ResourceAccessDenied', 'PERMISSION_DENIED', false],
      [409, 'OrganizationTransfer', 'NOT_ALLOWED_IN_STATE', false],
      [500, 'HttpError', 'VENDOR_ERROR', true],
      [504, 'Timeout', 'VENDOR_UNAVAILABLE', true],
      [503, 'ProxyOffline', 'VENDOR_UNAVAILABLE', true],
    ])('%i %s is %s (retryable %s)', async (status, errorCode, code, retryable) => {
      const s = setup();
      await s.adapter.verify(s.ctx);
      await s.control.injectFault({ method: 'GET', status, body: { message: `${errorCode} happened`, errorCode, stackTrace: null } });
      const e = await vendorError(s.adapter.verify(s.ctx));
      expect(e).toMatchObject({ code, vendorCode: errorCode, httpStatus: status, retryable });
      expect(e.message).toContain(`${errorCode} happened`);
    });

    it('an unknown item comes back with a per-item NOT_FOUND, the rest is protected', async () => {
      const s = setup();
      const { items } = await s.adapter.createPolicy(s.ctx, {
        workload: 'sharepoint',
        displayName: 'mixed',
        items: [
          { kind: 'site', externalId: s.sites[0].id },
          { kind: 'site', externalId: 'no-such-site' },
          { kind: 'mailbox', externalId: s.users[0].id },
        ],
      });
      expect(items.find((i) => i.externalId === s.sites[0].id)).toMatchObject({
        kind: 'site',
        vendorRef: expect.stringContaining(s.sites[0].id),
      });
      expect(items.find((i) => i.externalId === s.sites[0].id)?.error).toBeUndefined();
      expect(items.find((i) => i.externalId === 'no-such-site')?.error).toMatchObject({
        code: 'NOT_FOUND',
        vendorCode: 'ResourceNotFound',
      });
      expect(items.find((i) => i.externalId === s.users[0].id)?.error).toMatchObject({ code: 'INVALID_REQUEST' });
    });

    it('refuses workloads it does not protect with UNSUPPORTED_BY_VENDOR naming vendor and operation', async () => {
      const s = setup();
      const e = await vendorError(s.adapter.createPolicy(s.ctx, { workload: 'teams', displayName: 't', items: [] }));
      expect(e).toMatchObject({ code: 'UNSUPPORTED_BY_VENDOR', vendor: 'veeam', retryable: false });
      expect(e.message).toContain('policy.create');
      expect(await s.control.calls()).toEqual([]);
    });
  });

  describe('backup runs (job sessions)', () => {
    const HOUR = 3600_000;
    const now = async (control: SandboxControl) => new Date((await control.advanceClock(0)).now);
    const sessionCalls = async (control: SandboxControl) =>
      (await control.calls())
        .filter((c) => c.path.startsWith('/v8/JobSessions') && c.status === 200) // not the 401s of a token the days expired
        .map((c) => c.path.replace(/[0-9a-f-]{36}/g, ':id'));

    async function protect(s: ReturnType<typeof setup>, n: number, settings?: Record<string, unknown>) {
      const { policy, items } = await s.adapter.createPolicy(s.ctx, {
        workload: 'sharepoint',
        displayName: `runs-${randomBytes(3).toString('hex')}`,
        items: s.sites.slice(0, n).map((x) => ({ kind: 'site' as const, externalId: x.id })),
        ...(settings ? { settings } : {}),
      });
      return { jobId: policy.vendorRef, refs: items.map((i) => i.vendorRef) };
    }

    it("lists the job's sessions in the window, newest first, with items and volumes; a clean Success needs no log read", async () => {
      const s = setup();
      const { jobId, refs } = await protect(s, 2);
      await s.control.advanceClock(3 * 24 * HOUR);
      await s.control.clearCalls();
      const since = new Date((await now(s.control)).getTime() - 50 * HOUR); // runs at +1 min, +1 d 1 min, +2 d 1 min: the last two
      const page = await s.adapter.listBackupRuns!(s.ctx, { policyRef: jobId, itemRefs: refs, since });
      expect(page.next).toBeUndefined();
      expect(page.items).toHaveLength(2);
      for (const run of page.items) {
        expect(run).toMatchObject({ policyRef: jobId, status: 'succeeded', vendorStatus: 'Success' });
        expect(run.startedAt!.getTime()).toBeGreaterThanOrEqual(since.getTime());
        expect(run.endedAt!.getTime() - run.startedAt!.getTime()).toBe(120_000);
        expect(run.itemsProcessed).toBeGreaterThan(0);
        expect(run.bytesProcessed).toBe(run.itemsProcessed! * 48 * 1024);
        expect(run.items).toEqual(refs.map((itemRef) => ({ itemRef, status: 'succeeded' })));
        expect(run.error).toBeUndefined();
      }
      expect(page.items[0].startedAt!.getTime() - page.items[1].startedAt!.getTime()).toBe(24 * HOUR);
      // The bounded list and the running sessions; no LogItems read.
      expect(await sessionCalls(s.control)).toEqual(['/v8/JobSessions', '/v8/JobSessions']);
      const query = (await s.control.calls()).find((c) => c.path === '/v8/JobSessions' && c.status === 200)!.query;
      expect(query).toMatchObject({ jobId, jobType: 'Backup', endTimeLowerBound: since.toISOString(), offset: '0', limit: '30' });
    });

    it('reads the log of a session that did not end cleanly: failed, warning and skipped objects', async () => {
      const s = setup();
      const { jobId, refs } = await protect(s, 3);
      await s.control.advanceClock(10 * 60_000);
      await s.control.configure({ failBackupsOf: [s.sites[0].url], warnBackupsOf: [s.sites[1].url] });
      await s.control.advanceClock(24 * HOUR);
      await s.control.clearCalls();
      const since = new Date((await now(s.control)).getTime() - 2 * HOUR);
      const [failed] = (await s.adapter.listBackupRuns!(s.ctx, { policyRef: jobId, itemRefs: refs, since })).items;
      expect(failed).toMatchObject({
        status: 'failed',
        vendorStatus: 'Failed',
        error: { code: 'VENDOR_ERROR', vendorCode: 'Failed' },
      });
      expect(failed.items).toEqual([
        {
          itemRef: refs[0],
          status: 'failed',
          error: {
            code: 'VENDOR_ERROR',
            vendorCode: 'Error',
            message: `Failed to process site: ${s.sites[0].title} (${s.sites[0].url}). Error: Access is denied.`,
          },
        },
        { itemRef: refs[1], status: 'warning', error: expect.objectContaining({ vendorCode: 'Warning' }) },
        { itemRef: refs[2], status: 'succeeded' },
      ]);
      expect((await sessionCalls(s.control)).filter((p) => p.endsWith('/LogItems'))).toHaveLength(1);

      // Skipped: the object is not processed; the session is Success but with fewer objects, so the log is read.
      await s.control.configure({ failBackupsOf: [], warnBackupsOf: [], skipBackupsOf: [s.sites[0].id] });
      await s.control.advanceClock(24 * HOUR);
      const since2 = new Date((await now(s.control)).getTime() - 2 * HOUR);
      const [skipped] = (await s.adapter.listBackupRuns!(s.ctx, { policyRef: jobId, itemRefs: refs, since: since2 })).items;
      expect(skipped.status).toBe('succeeded');
      expect(skipped.items).toEqual([
        { itemRef: refs[1], status: 'succeeded' },
        { itemRef: refs[2], status: 'succeeded' },
      ]);
    });

    it.each(['creationTime', 'endTime'])(
      'lists a running session whichever time endTimeLowerBound compares (sessionBoundsBy %s)',
      async (sessionBoundsBy) => {
        const s = setup();
        const { jobId, refs } = await protect(s, 1);
        await s.control.configure({ sessionBoundsBy });
        await s.control.advanceClock(24 * HOUR + 2 * 60_000); // the first run ended, the second is running
        const since = new Date((await now(s.control)).getTime() - 2 * HOUR);
        const runs = (await s.adapter.listBackupRuns!(s.ctx, { policyRef: jobId, itemRefs: refs, since })).items;
        expect(runs.map((r) => r.status)).toEqual(['running']);
        expect(runs[0].items).toBeUndefined();
        expect(runs[0].endedAt).toBeUndefined();
        const all = (
          await s.adapter.listBackupRuns!(s.ctx, { policyRef: jobId, itemRefs: refs, since: new Date(since.getTime() - 24 * HOUR) })
        ).items;
        expect(all.map((r) => r.status)).toEqual(['running', 'succeeded']);
      },
    );

    it('pages by offset + limit until a short page, without HAL links', async () => {
      const s = setup();
      await s.control.configure({ pageLinks: 'none', backupIntervalMs: HOUR });
      const { jobId, refs } = await protect(s, 1);
      await s.control.advanceClock(40 * HOUR + 30 * 60_000);
      const since = new Date((await now(s.control)).getTime() - 40 * HOUR);
      const first = await s.adapter.listBackupRuns!(s.ctx, { policyRef: jobId, itemRefs: refs, since });
      expect(first.items).toHaveLength(30);
      expect(first.next).toBe('30');
      const second = await s.adapter.listBackupRuns!(s.ctx, { policyRef: jobId, itemRefs: refs, since }, first.next);
      expect(second.items).toHaveLength(10);
      expect(second.next).toBeUndefined();
      const ids = [...first.items, ...second.items].map((r) => r.vendorRef);
      expect(new Set(ids).size).toBe(40);
      await expect(s.adapter.listBackupRuns!(s.ctx, { policyRef: jobId, itemRefs: refs }, 'x')).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
    });

    it('starts the whole job on demand and follows the session to its end; a second start while it runs is NOT_ALLOWED_IN_STATE', async () => {
      const s = setup();
      const { jobId, refs } = await protect(s, 2, { schedulePolicy: { type: 'ManualOnly' } });
      const started = await s.adapter.startBackup!(s.ctx, { clientRef: 'run-1', policyRef: jobId });
      expect(started.run).toMatchObject({ policyRef: jobId, status: 'running', vendorStatus: 'Running' });
      expect(started.ref.vendorRef).toBe(started.run.vendorRef);
      const again = await vendorError(s.adapter.startBackup!(s.ctx, { clientRef: 'run-2', policyRef: jobId }));
      expect(again).toMatchObject({ code: 'NOT_ALLOWED_IN_STATE', vendorCode: 'OperationConflict', httpStatus: 409, retryable: false });
      expect((await s.adapter.getBackupRun!(s.ctx, started.ref)).status).toBe('running');
      await s.control.advanceClock(120_000);
      const done = await s.adapter.getBackupRun!(s.ctx, started.ref);
      expect(done).toMatchObject({ vendorRef: started.ref.vendorRef, status: 'succeeded', vendorStatus: 'Success' });
      expect(done.items).toEqual(refs.map((itemRef) => ({ itemRef, status: 'succeeded' })));
      // A disabled job refuses too.
      await s.adapter.deactivatePolicy(s.ctx, jobId);
      expect(await vendorError(s.adapter.startBackup!(s.ctx, { clientRef: 'run-3', policyRef: jobId }))).toMatchObject({
        code: 'NOT_ALLOWED_IN_STATE',
      });
    });

    it('a stopped session is failed with its objects stopped', async () => {
      const s = setup();
      const { jobId, refs } = await protect(s, 1, { schedulePolicy: { type: 'ManualOnly' } });
      const started = await s.adapter.startBackup!(s.ctx, { clientRef: 'run-1', policyRef: jobId });
      await fetch(`${s.config.endpoint}/v8/Jobs/${jobId}/stop`, {
        method: 'POST',
        headers: { authorization: `Bearer ${(await s.control.state<{ tokens: Array<{ accessToken: string }> }>()).tokens[0].accessToken}` },
      });
      const run = await s.adapter.getBackupRun!(s.ctx, started.ref);
      expect(run).toMatchObject({ status: 'failed', vendorStatus: 'Stopped', error: { code: 'VENDOR_ERROR', vendorCode: 'Stopped' } });
      expect(run.items).toEqual([{ itemRef: refs[0], status: 'failed', error: expect.objectContaining({ vendorCode: 'Stop' }) }]);
    });

    it('surfaces a status the spec does not name: vendorStatus kept, failed once ended, running before', async () => {
      const s = setup();
      const { jobId } = await protect(s, 1, { schedulePolicy: { type: 'ManualOnly' } });
      const started = await s.adapter.startBackup!(s.ctx, { clientRef: 'run-1', policyRef: jobId });
      const session = { id: started.ref.vendorRef, jobId, creationTime: new Date().toISOString(), status: 'Paused' };
      await s.control.injectFault({ method: 'GET', path: '^/v8/JobSessions/', status: 200, body: { ...session, endTime: null } });
      expect(await s.adapter.getBackupRun!(s.ctx, started.ref)).toMatchObject({ status: 'running', vendorStatus: 'Paused' });
      await s.control.injectFault({
        method: 'GET',
        path: '^/v8/JobSessions/[^/]+$',
        status: 200,
        body: { ...session, endTime: new Date().toISOString() },
      });
      expect(await s.adapter.getBackupRun!(s.ctx, started.ref)).toMatchObject({
        status: 'failed',
        vendorStatus: 'Paused',
        error: { code: 'VENDOR_ERROR', vendorCode: 'Paused' },
      });
    });
  });

  describe('restores', () => {
    /** Protects items of one workload, lets the first backup run, returns a restore request of the newest points. */
    async function backedUp(
      s: ReturnType<typeof setup>,
      workload: 'sharepoint' | 'onedrive' | 'exchange',
      externalIds: string[],
    ): Promise<RestoreRequest> {
      const kind = workload === 'sharepoint' ? 'site' : workload === 'onedrive' ? 'drive' : 'mailbox';
      const { policy, items } = await s.adapter.createPolicy(s.ctx, {
        workload,
        displayName: `${workload} job`,
        items: externalIds.map((externalId) => ({ kind, externalId })),
      });
      expect(items.every((i) => !i.error)).toBe(true);
      await settle(s.control);
      const refs = items.map((i) => i.vendorRef);
      const points = [];
      for (let page: string | undefined, i = 0; i === 0 || page; i += 1) {
        const p = await s.adapter.listRestorePoints(s.ctx, { protectedItemRefs: refs }, page);
        points.push(...p.items);
        page = p.next;
      }
      expect(points).toHaveLength(refs.length);
      expect((await s.adapter.getPolicy(s.ctx, policy.vendorRef)).workload).toBe(workload);
      return {
        clientRef: `job-${randomBytes(4).toString('hex')}`,
        workload,
        destination: 'original',
        items: points.map((p) => ({
          restorePointRef: p.vendorRef,
          protectedItemRef: p.protectedItemRef,
          externalId: p.protectedItemRef,
          pointInTime: p.pointInTime,
        })),
      };
    }

    async function run(s: ReturnType<typeof setup>, req: RestoreRequest) {
      const ref = await s.adapter.prepareRestore(s.ctx, req);
      const started = await s.adapter.startRestore(s.ctx, ref, req);
      expect(started.progress.state).toBe('running');
      await settle(s.control);
      return s.adapter.getRestore(s.ctx, started.ref);
    }

    it("follows the restore session the restore action answers (RESTAsyncRestoreResponse.sessionId), not the explore session's", async () => {
      const s = setup();
      const req = await backedUp(s, 'sharepoint', [s.sites[0].id]);
      const prepared = await s.adapter.prepareRestore(s.ctx, req);
      const started = await s.adapter.startRestore(s.ctx, prepared, req);
      // The sandbox's own record of the restore session the action started (its explore session is not shown by the API).
      const { restoreSessions } = await s.control.state<{
        restoreSessions: Array<{ id: string; kind: string; exploreSessionId: string }>;
      }>();
      const restoreSessionId = restoreSessions.find((x) => x.kind === 'restore' && x.exploreSessionId === prepared.vendorRef)!.id;
      expect(started.ref.vendorRef).toBe(prepared.vendorRef);
      expect(started.ref.extra?.sessions).toContain(restoreSessionId);
      expect(started.progress).toMatchObject({ state: 'running', items: [expect.objectContaining({ status: 'running' })] });
      await settle(s.control);
      await s.control.clearCalls();
      expect(await s.adapter.getRestore(s.ctx, started.ref)).toMatchObject({ state: 'succeeded', vendorStatus: 'Stopped/Success' });
      const reads = (await s.control.calls()).filter((c) => c.method === 'GET').map((c) => c.path);
      expect(reads).toContain(`/v8/RestoreSessions/${restoreSessionId}/Events`);
      expect(reads).not.toContain(`/v8/RestoreSessions/${prepared.vendorRef}/Events`);
    });

    it('after a crash between the restore action and its checkpoint, finds the restore session instead of restoring again', async () => {
      const s = setup();
      const req = await backedUp(s, 'sharepoint', [s.sites[0].id, s.sites[1].id]);
      const prepared = await s.adapter.prepareRestore(s.ctx, req);
      expect(await s.adapter.findRestore(s.ctx, req, prepared)).toBeUndefined();
      // The worker dies after Veeam accepted both restore actions: only the prepared ref was checkpointed.
      const lost = await s.adapter.startRestore(s.ctx, prepared, req);
      const restarted = createAdapter('veeam', s.config);
      const found = await restarted.findRestore(s.ctx, req, prepared);
      expect(found?.ref).toEqual(lost.ref);
      expect(found?.progress.state).toBe('running');
      // A start with the stored ref, resuming the interrupted one (as the runner does), is no second restore either.
      const again = await restarted.startRestore(s.ctx, prepared, req, { resuming: true });
      expect(again.ref).toEqual(lost.ref);
      const actions = (await s.control.calls()).filter((c) => c.method === 'POST' && /\/restore$/.test(c.path));
      expect(actions).toHaveLength(2);
      await settle(s.control);
      expect((await restarted.getRestore(s.ctx, found!.ref)).state).toBe('succeeded');
    });

    it('a start that failed after some items were restored restores only the others when repeated', async () => {
      const s = setup();
      const req = await backedUp(s, 'sharepoint', [s.sites[2].id, s.sites[3].id]);
      const prepared = await s.adapter.prepareRestore(s.ctx, req);
      const second = prepared.vendorRef.split(',')[1];
      await s.control.injectFault({
        method: 'POST',
        path: `^/v8/RestoreSessions/${second}/Organization/Sites/[^/]+/restore$`,
        status: 503,
      });
      expect(await vendorError(s.adapter.startRestore(s.ctx, prepared, req))).toMatchObject({
        code: 'VENDOR_UNAVAILABLE',
        retryable: true,
      });
      // The runner resumes (the failed attempt had recorded `starting`).
      const started = await s.adapter.startRestore(s.ctx, prepared, req, { resuming: true });
      const accepted = (await s.control.calls()).filter((c) => c.method === 'POST' && /\/restore$/.test(c.path) && c.status === 200);
      expect(accepted.map((c) => c.path.split('/')[3])).toEqual(prepared.vendorRef.split(','));
      await settle(s.control);
      expect(await s.adapter.getRestore(s.ctx, started.ref)).toMatchObject({
        state: 'succeeded',
        items: [expect.objectContaining({ status: 'succeeded' }), expect.objectContaining({ status: 'succeeded' })],
      });
    });

    it('restores a mailbox to another mailbox (restoreTo) and closes the session', async () => {
      const s = setup();
      const req = {
        ...(await backedUp(s, 'exchange', [s.users[0].id])),
        destination: 'new' as const,
        target: { mailbox: 'archive@contoso.onmicrosoft.com' },
      };
      const done = await run(s, req);
      expect(done).toMatchObject({
        state: 'succeeded',
        items: [expect.objectContaining({ status: 'succeeded', restoredBytes: expect.any(Number) })],
      });
      const calls = await s.control.calls();
      const restore = calls.find((c) => c.path.endsWith('/restoreTo'));
      expect(restore?.path).toMatch(/^\/v8\/RestoreSessions\/[^/]+\/organization\/mailboxes\/[^/]+\/restoreTo$/);
      expect(restore?.body).toMatchObject({ mailbox: 'archive@contoso.onmicrosoft.com' });
      expect(calls.some((c) => c.method === 'POST' && c.path.endsWith('/Stop'))).toBe(true);
    });

    it('restores OneDrive files and folders by path into the original OneDrive', async () => {
      const s = setup();
      const req = await backedUp(s, 'onedrive', [s.users[1].id]);
      req.items[0].paths = ['Documents/Reports/Q1.xlsx', 'Documents/Projects/'];
      const done = await run(s, req);
      expect(done.state).toBe('succeeded');
      const calls = (await s.control.calls()).filter(
        (c) => c.method === 'POST' && /OneDrives\/[^/]+\/(Documents|Folders)\/restore$/.test(c.path),
      );
      expect(calls).toHaveLength(2);
      expect((calls[0].body as { documents: Array<{ name: string }> }).documents.map((d) => d.name)).toEqual(['Q1.xlsx']);
      expect((calls[1].body as { folders: Array<{ name: string }> }).folders.map((d) => d.name)).toEqual(['Projects']);
      expect(done.items![0].restoredBytes).toBe(
        FIXTURE_DOCUMENTS.find((d) => d.path.endsWith('Q1.xlsx'))!.sizeBytes +
          FIXTURE_DOCUMENTS.find((d) => d.path.endsWith('plan.docx'))!.sizeBytes,
      );
    });

    it('restores SharePoint documents to another site (Documents/restoreTo with siteURL)', async () => {
      const s = setup();
      const req = {
        ...(await backedUp(s, 'sharepoint', [s.sites[2].id])),
        destination: 'new' as const,
        target: { siteUrl: 'https://contoso.sharepoint.com/sites/Restored' },
      };
      req.items[0].paths = ['Documents/Budget.xlsx'];
      expect((await run(s, req)).state).toBe('succeeded');
      const call = (await s.control.calls()).find((c) => c.path.endsWith('/Documents/restoreTo'));
      expect(call?.body).toMatchObject({
        siteURL: 'https://contoso.sharepoint.com/sites/Restored',
        documents: [expect.objectContaining({ name: 'Budget.xlsx' })],
      });
    });

    it('reports a failed item with RESTORE_FAILED and the event message, others succeed', async () => {
      const s = setup();
      const req = await backedUp(s, 'sharepoint', [s.sites[0].id, s.sites[1].id]);
      await s.control.configure({ failRestoreOf: [s.sites[1].url] });
      const done = await run(s, req);
      expect(done.state).toBe('partiallySucceeded');
      expect(done.items!.map((i) => i.status).sort()).toEqual(['failed', 'succeeded']);
      expect(done.items!.find((i) => i.status === 'failed')).toMatchObject({
        errorCode: 'RESTORE_FAILED',
        errorMessage: expect.stringContaining('failed'),
      });
    });

    it("sends the connection's Entra restore credentials where the organization requires them", async () => {
      const plain = setup();
      await plain.control.configure({ requireRestoreCredentials: true });
      const req = await backedUp(plain, 'sharepoint', [plain.sites[6].id]);
      const refused = await vendorError(plain.adapter.startRestore(plain.ctx, await plain.adapter.prepareRestore(plain.ctx, req), req));
      expect(refused).toMatchObject({ code: 'INVALID_REQUEST', vendorCode: 'ParameterValidationFailure', httpStatus: 400 });

      const appId = '8c1f2a9e-4b7d-4e36-9a51-2f0e6d3c7b10';
      const s = setup({
        credentials: {
          restoreApplicationId: appId,
          restoreApplicationCertificate: 'TUlJQ2VrQ0NBZUdn',
          restoreImpersonationAccount: 'admin@contoso.onmicrosoft.com',
        },
      });
      await s.control.configure({ requireRestoreCredentials: true });
      expect((await run(s, await backedUp(s, 'sharepoint', [s.sites[6].id]))).state).toBe('succeeded');
      const call = (await s.control.calls()).find((c) => /Organization\/Sites\/[^/]+\/restore$/.test(c.path));
      expect(call?.body).toMatchObject({
        applicationId: appId,
        applicationCertificate: 'TUlJQ2VrQ0NBZUdn',
        impersonationAccountName: 'admin@contoso.onmicrosoft.com',
      });
    });

    it('cancels a running restore by stopping its session', async () => {
      const s = setup();
      const req = await backedUp(s, 'sharepoint', [s.sites[4].id]);
      await s.control.configure({ stuckRestores: true });
      const started = await s.adapter.startRestore(s.ctx, await s.adapter.prepareRestore(s.ctx, req), req);
      expect(started.progress.state).toBe('running');
      const cancelled = await s.adapter.cancelRestore(s.ctx, started.ref);
      expect(cancelled).toMatchObject({
        state: 'cancelled',
        items: [expect.objectContaining({ status: 'cancelled', vendorStatus: 'Cancelled' })],
      });
    });

    it('refuses before any call what Veeam cannot do: OneDrive to a new location, restoreTo without a target', async () => {
      const s = setup();
      const base: RestoreRequest = {
        clientRef: 'x',
        workload: 'onedrive',
        destination: 'new',
        items: [
          { restorePointRef: 'rp', protectedItemRef: `job:User:${s.users[0].id}`, externalId: s.users[0].id, pointInTime: new Date() },
        ],
      };
      expect(await vendorError(s.adapter.prepareRestore(s.ctx, base))).toMatchObject({ code: 'UNSUPPORTED_BY_VENDOR', vendor: 'veeam' });
      expect(await vendorError(s.adapter.prepareRestore(s.ctx, { ...base, workload: 'sharepoint' }))).toMatchObject({
        code: 'INVALID_REQUEST',
      });
      expect(await vendorError(s.adapter.prepareRestore(s.ctx, { ...base, workload: 'exchange' }))).toMatchObject({
        code: 'INVALID_REQUEST',
      });
      expect(await vendorError(s.adapter.prepareRestore(s.ctx, { ...base, workload: 'teams', destination: 'original' }))).toMatchObject({
        code: 'UNSUPPORTED_BY_VENDOR',
      });
      expect(s.records).toEqual([]);
    });
  });
});
