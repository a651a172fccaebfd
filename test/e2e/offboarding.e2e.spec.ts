import type { DataSource } from 'typeorm';
import { createOwnerDataSource, purgeOffboardedTenants } from '@bg/platform';
import { newTenant, type TenantContext } from '../support/factories';
import { protectOneItem, restoreBody, type ProtectedItemSetup } from '../support/protected-item';
import { pauseConnection } from '../support/redis';
import { eventually, startStack, type TestStack } from '../support/stack';
import { graphFixture } from '../support/vendor-fixtures';

const TERMINAL = ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'];
const DAY = 24 * 3600_000;

/**
 * Rows per table of one tenant, for every table with a tenant_id (read as the owner, straight from the tables). Usage
 * tables are left out: the worker appends the vendor calls it counted for the tenant's own earlier work on its own clock.
 */
async function rowCounts(owner: DataSource, tenantId: string): Promise<Record<string, number>> {
  const tables: Array<{ t: string }> = await owner.query(
    `SELECT table_name AS t FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'tenant_id' ORDER BY 1`,
  );
  const out: Record<string, number> = {};
  for (const { t } of tables) {
    const [row] = await owner.query(`SELECT count(*)::int AS n FROM ${t} WHERE tenant_id = $1`, [tenantId]);
    if (row.n && !t.startsWith('usage_')) out[t] = row.n;
  }
  return out;
}

/** A second tenant (with its own key) of the same partner as `t`. */
async function siblingTenant(t: TenantContext): Promise<TenantContext> {
  const tenant = await t.partner.post('/v1/tenants', { name: 'Sibling' });
  const key = await t.partner.post('/v1/api-keys', { name: 'sibling key', tenantId: tenant.body.id });
  return { ...t, tenantId: tenant.body.id, tenantKey: key.body.key, tenant: t.partner.withKey(key.body.key) };
}

/** Resolves once a session waits on a lock held by backend `pid`; gives up when `until` settles first. */
async function blockedBy(owner: DataSource, pid: number, until: Promise<unknown>): Promise<void> {
  let settled = false;
  void until.finally(() => (settled = true));
  while (!settled) {
    const [row] = await owner.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, [pid]);
    if (row.n > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * DELETE /v1/tenants/{id} (and partners): keys and writes refused at once, credentials destroyed, queued jobs
 * cancelled, running ones drained, vendor policies removed when asked, events emitted, data purged after the
 * retention, and another tenant of the same partner untouched.
 */
describe('offboarding', () => {
  let stack: TestStack;
  let owner: DataSource;

  beforeAll(async () => {
    stack = await startStack();
    owner = createOwnerDataSource(stack.config, 2);
    await owner.initialize();
  });
  afterAll(async () => {
    await owner?.destroy();
    await stack?.stop();
  });

  describe('a tenant with a connection, a policy, a queued and a running job; vendorObjects=remove', () => {
    let a: ProtectedItemSetup;
    let b: ProtectedItemSetup;
    let queuedId: string;
    let runningId: string;
    let bBefore: Record<string, number>;
    let bJobId: string;
    let resume: () => Promise<void>;

    beforeAll(async () => {
      const tA = await newTenant(stack.admin);
      const tB = await siblingTenant(tA);
      a = await protectOneItem(stack, 'veeam', tA);
      b = await protectOneItem(stack, 'veeam', tB);
      // A's running job: the simulated server never finishes restores (it stops them when asked).
      await a.control.configure({ stuckRestores: true });
      const running = await a.t.tenant.post(`${a.T}/restore-jobs`, restoreBody(a));
      runningId = running.body.id;
      await eventually(
        () => a.t.tenant.get(`${a.T}/restore-jobs/${runningId}`),
        (r) => r.body.status === 'running',
        60_000,
      );
      // A's queued job: its vendor account is paused (as after a 429 with Retry-After), so it waits at the gateway
      // until the DELETE, however long this machine takes to get there; the pause is ended right after the DELETE,
      // and then the vendor takes the cancel and the policy deletion.
      resume = await pauseConnection(stack.config, a.connectionId, 600_000);
      const queued = await a.t.tenant.post(`${a.T}/restore-jobs`, restoreBody(a));
      expect(queued.body.status).toBe('queued');
      queuedId = queued.body.id;
      bBefore = await rowCounts(owner, b.t.tenantId);
    });

    it('refuses a tenant key (403) and another partner (404); bad vendorObjects is a 400 problem', async () => {
      const own = await a.t.tenant.delete(`/v1/tenants/${a.t.tenantId}`);
      expect([own.status, own.body.code]).toEqual([403, 'FORBIDDEN']);
      const stranger = await newTenant(stack.admin);
      const other = await stranger.partner.delete(`/v1/tenants/${a.t.tenantId}`);
      expect([other.status, other.body.code]).toEqual([404, 'NOT_FOUND']);
      const bad = await a.t.partner.delete(`/v1/tenants/${a.t.tenantId}?vendorObjects=shred`);
      expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(bad.contentType).toContain('application/problem+json');
      expect((await a.t.partner.get(`/v1/tenants/${a.t.tenantId}`)).body.status).toBe('active');
    });

    it('202 with Location; at once: keys refused, writes 409, reads open to the partner, queued job cancelled', async () => {
      const res = await a.t.partner.delete(`/v1/tenants/${a.t.tenantId}?vendorObjects=remove`);
      expect(res.status).toBe(202);
      expect(res.headers.get('location')).toBe(`/v1/tenants/${a.t.tenantId}`);
      expect(res.body).toMatchObject({ id: a.t.tenantId, status: 'offboarding', offboarding: { vendorObjects: 'remove' } });

      const keyRefused = await a.t.tenant.get(`${a.T}/restore-jobs/${queuedId}`);
      expect([keyRefused.status, keyRefused.body.code]).toEqual([401, 'UNAUTHENTICATED']);
      const write = await a.t.partner.post(`${a.T}/connections`, graphFixture(stack.sandbox.origin).connection);
      expect([write.status, write.body.code]).toEqual([409, 'TENANT_OFFBOARDING']);
      expect(write.contentType).toContain('application/problem+json');
      const mint = await a.t.partner.post('/v1/api-keys', { name: 'late', tenantId: a.t.tenantId });
      expect([mint.status, mint.body.code]).toEqual([409, 'TENANT_OFFBOARDING']);

      const queued = await a.t.partner.get(`${a.T}/restore-jobs/${queuedId}`);
      expect(queued.status).toBe(200);
      expect(queued.body.status).toBe('cancelled');
      const [keys] = await owner.query(`SELECT count(*)::int AS n FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL`, [
        a.t.tenantId,
      ]);
      expect(keys.n).toBe(0);
    });

    it('the worker drains the running job, deletes the vendor policy, destroys credentials and ends it deleted', async () => {
      // After the DELETE: the vendor account's pause ends.
      await resume();
      const deleted = await eventually(
        () => a.t.partner.get(`/v1/tenants/${a.t.tenantId}`),
        (r) => r.body.status === 'deleted',
        90_000,
      );
      expect(deleted.body.offboarding).toMatchObject({ deletedAt: expect.any(String), purgeAfter: expect.any(String), purgedAt: null });
      const running = await a.t.partner.get(`${a.T}/restore-jobs/${runningId}`);
      expect(TERMINAL).toContain(running.body.status);
      expect(running.body.status).toBe('cancelled');
      const stops = (await a.control.calls()).filter((c) => c.method === 'POST' && /\/Stop$/.test(c.path));
      expect(stops.length).toBeGreaterThanOrEqual(1);

      const conns = await owner.query(
        `SELECT secret_ciphertext, secret_wrapped_key, secret_key_id, deleted_at FROM connections WHERE tenant_id = $1`,
        [a.t.tenantId],
      );
      expect(conns.length).toBe(1);
      expect(conns[0]).toMatchObject({
        secret_ciphertext: null,
        secret_wrapped_key: null,
        secret_key_id: null,
        deleted_at: expect.any(Date),
      });

      // At the vendor: A's backup job is gone, B's is still there.
      const [aPolicy, bPolicy] = await Promise.all([
        a.t.partner.get(`${a.T}/policies/${a.policyId}`),
        b.t.tenant.get(`${b.T}/policies/${b.policyId}`),
      ]);
      expect(aPolicy.status).toBe(404);
      const [aRow] = await owner.query(`SELECT status, vendor_ref FROM policies WHERE id = $1`, [a.policyId]);
      expect(aRow.status).toBe('deleted');
      const aJobs = (await a.control.state<{ jobs: Array<{ id: string }> }>()).jobs.map((j) => j.id);
      expect(aJobs).not.toContain(aRow.vendor_ref);
      const bJobs = (await b.control.state<{ jobs: Array<{ id: string }> }>()).jobs.map((j) => j.id);
      expect(bJobs).toContain(
        bPolicy.body.vendorRef ?? (await owner.query(`SELECT vendor_ref FROM policies WHERE id = $1`, [b.policyId]))[0].vendor_ref,
      );

      const events = await a.t.partner.get(`/v1/tenants/${a.t.tenantId}/events?types=tenant.*`);
      expect((events.body.items as Array<{ type: string; data: { status: string } }>).map((e) => [e.type, e.data.status])).toEqual([
        ['tenant.offboarding', 'offboarding'],
        ['tenant.deleted', 'deleted'],
      ]);
    }, 180_000);

    it('a second DELETE answers the same 202 and changes nothing', async () => {
      const before = await rowCounts(owner, a.t.tenantId);
      const again = await a.t.partner.delete(`/v1/tenants/${a.t.tenantId}`);
      expect(again.status).toBe(202);
      expect(again.headers.get('location')).toBe(`/v1/tenants/${a.t.tenantId}`);
      expect(again.body).toMatchObject({ id: a.t.tenantId, status: 'deleted', offboarding: { vendorObjects: 'remove' } });
      // The audit log is left out: it records requests (this DELETE too) after their answer, so its count depends
      // on when the read runs (a loaded run counted the entry of an earlier request that landed in between).
      const { audit_log: auditBefore = 0, ...dataBefore } = before;
      const { audit_log: auditAfter = 0, ...dataAfter } = await rowCounts(owner, a.t.tenantId);
      expect(dataAfter).toEqual(dataBefore);
      expect(auditAfter).toBeGreaterThanOrEqual(auditBefore);
    });

    it('the other tenant of the same partner is untouched: rows, key, credentials, and its job succeeds', async () => {
      expect(await rowCounts(owner, b.t.tenantId)).toEqual(bBefore);
      const job = await b.t.tenant.post(`${b.T}/restore-jobs`, restoreBody(b));
      expect(job.status).toBe(202);
      bJobId = job.body.id;
      const done = await eventually(
        () => b.t.tenant.get(`${b.T}/restore-jobs/${bJobId}`),
        (r) => TERMINAL.includes(r.body.status),
        60_000,
      );
      expect(done.body.status).toBe('succeeded');
      const [conn] = await owner.query(`SELECT secret_key_id, deleted_at FROM connections WHERE tenant_id = $1`, [b.t.tenantId]);
      expect(conn).toMatchObject({ secret_key_id: stack.config.MASTER_KEY_ID, deleted_at: null });
      expect((await b.t.tenant.get(`/v1/tenants/${b.t.tenantId}`)).body.status).toBe('active');
    });

    it('after the retention the purge deletes every row of the tenant and none of the other', async () => {
      const bBeforePurge = await rowCounts(owner, b.t.tenantId);
      expect(Object.keys(await rowCounts(owner, a.t.tenantId))).toEqual(expect.arrayContaining(['connections', 'restore_jobs', 'events']));
      expect(await purgeOffboardedTenants(owner, new Date(Date.now() + 29 * DAY))).toEqual([]);
      const purged = await purgeOffboardedTenants(owner, new Date(Date.now() + 31 * DAY), { batchSize: 2 });
      expect(purged.map((p) => p.tenantId)).toEqual([a.t.tenantId]);
      const left = await rowCounts(owner, a.t.tenantId);
      // Only the revoked keys stay (and any audit rows, kept by their own retention).
      expect(Object.keys(left).filter((t) => t !== 'api_keys' && !t.startsWith('audit'))).toEqual([]);
      expect(await rowCounts(owner, b.t.tenantId)).toEqual(bBeforePurge);
      const tenant = await a.t.partner.get(`/v1/tenants/${a.t.tenantId}`);
      expect(tenant.body).toMatchObject({ status: 'deleted', offboarding: { purgedAt: expect.any(String) } });
      expect(await purgeOffboardedTenants(owner, new Date(Date.now() + 31 * DAY))).toEqual([]);
    });
  });

  it('vendorObjects=keep with nothing running: the credentials are destroyed before the answer', async () => {
    const t = await newTenant(stack.admin);
    const fx = graphFixture(stack.sandbox.origin);
    const conn = await t.tenant.post(`/v1/tenants/${t.tenantId}/connections`, fx.connection);
    const res = await stack.admin.delete(`/v1/tenants/${t.tenantId}`);
    expect(res.status).toBe(202);
    expect(res.body.offboarding.vendorObjects).toBe('keep');
    const [row] = await owner.query(`SELECT secret_ciphertext, secret_key_id, deleted_at FROM connections WHERE id = $1`, [conn.body.id]);
    expect(row).toMatchObject({ secret_ciphertext: null, secret_key_id: null, deleted_at: expect.any(Date) });
    expect((await t.tenant.get(`/v1/tenants/${t.tenantId}/connections`)).status).toBe(401);
    await eventually(
      () => t.partner.get(`/v1/tenants/${t.tenantId}`),
      (r) => r.body.status === 'deleted',
    );
  });

  it('a write racing an offboarding waits for it to commit and is refused with 409 (checked in the write transaction)', async () => {
    const t = await newTenant(stack.admin);
    const offboarding = owner.createQueryRunner();
    await offboarding.connect();
    try {
      await offboarding.startTransaction();
      const [{ pid }] = await offboarding.query(`SELECT pg_backend_pid() AS pid`);
      await offboarding.query(`UPDATE tenants SET status = 'offboarding' WHERE id = $1`, [t.tenantId]);
      const write = t.partner.post(`/v1/tenants/${t.tenantId}/connections`, graphFixture(stack.sandbox.origin).connection);
      // Either the write's transaction waits on the offboarding's row lock, or (a check before it) it answers first.
      await Promise.race([write, blockedBy(owner, pid, write)]);
      await offboarding.commitTransaction();
      const res = await write;
      expect([res.status, res.body.code, res.body.detail]).toEqual([
        409,
        'TENANT_OFFBOARDING',
        `Tenant ${t.tenantId} is being offboarded; it takes no more writes.`,
      ]);
      const [row] = await owner.query(`SELECT count(*)::int AS n FROM connections WHERE tenant_id = $1`, [t.tenantId]);
      expect(row.n).toBe(0);
    } finally {
      if (offboarding.isTransactionActive) await offboarding.rollbackTransaction();
      await offboarding.release();
    }
  });

  it('DELETE /v1/partners/{id}: every tenant offboarded, every key revoked, webhooks deleted; other partners untouched', async () => {
    const t = await newTenant(stack.admin);
    const sibling = await siblingTenant(t);
    const bystander = await newTenant(stack.admin);
    const hook = await t.partner.post('/v1/webhooks', { url: 'http://127.0.0.1:9/hook', eventTypes: ['*'] });
    expect(hook.status).toBe(201);
    expect((await t.tenant.delete(`/v1/partners/${t.partnerId}`)).status).toBe(403);
    expect((await bystander.partner.delete(`/v1/partners/${t.partnerId}`)).status).toBe(404);

    const res = await stack.admin.delete(`/v1/partners/${t.partnerId}`);
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/v1/partners/${t.partnerId}`);
    expect(res.body).toMatchObject({ id: t.partnerId, status: 'deleted', deletedAt: expect.any(String) });
    expect((await t.partner.get('/v1/tenants')).status).toBe(401);
    expect((await sibling.tenant.get(`/v1/tenants/${sibling.tenantId}`)).status).toBe(401);
    for (const id of [t.tenantId, sibling.tenantId]) {
      const tenant = await stack.admin.get(`/v1/tenants/${id}`);
      expect(['offboarding', 'deleted']).toContain(tenant.body.status);
    }
    const [hooks] = await owner.query(`SELECT count(*)::int AS n FROM webhook_endpoints WHERE partner_id = $1 AND deleted_at IS NULL`, [
      t.partnerId,
    ]);
    expect(hooks.n).toBe(0);
    expect((await stack.admin.delete(`/v1/partners/${t.partnerId}`)).status).toBe(202);
    // Another partner and its tenant still work.
    expect((await bystander.partner.get(`/v1/tenants/${bystander.tenantId}`)).body.status).toBe('active');
    expect(
      (await bystander.tenant.post(`/v1/tenants/${bystander.tenantId}/connections`, graphFixture(stack.sandbox.origin).connection)).status,
    ).toBe(201);
  });
});
