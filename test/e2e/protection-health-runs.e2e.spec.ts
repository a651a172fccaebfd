import { vendorDescriptor } from '@bg/adapters';
import type { VendorId } from '@bg/domain';
import { ProtectionHealthService } from '../../apps/worker/src/backups/protection-health.service';
import { newTenant } from '../support/factories';
import { protectOneItem, type ProtectedItemSetup } from '../support/protected-item';
import { eventually, startStack, type TestStack } from '../support/stack';
import { E2E_FIXTURES } from '../support/vendor-fixtures';

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

/** Vendors that report backup runs and whose sandbox can fail them (the fixture's failBackups). */
const VENDORS = (['veeam', 'azure-dataprotection', 'avepoint'] as const).filter(
  (v) => vendorDescriptor(v).capabilities.health.backupRuns !== 'none' && !!E2E_FIXTURES[v]('http://x').failBackups,
);

/** Vendors with an on-demand backup (POST .../backup). */
const ON_DEMAND = VENDORS.filter((v) => vendorDescriptor(v).capabilities.health.onDemandBackup !== 'none');

/**
 * Protection health from the vendors' backup runs, end to end against each sandbox: the worker reads the runs
 * (backup.sync), stores them, moves each item's last-run facts and judges it; the judgement's time is the
 * sandbox's clock, advanced by the test (no wall-clock waits).
 */
describe.each(VENDORS)('protection health from backup runs: %s', (vendor: VendorId) => {
  let stack: TestStack;
  let health: ProtectionHealthService;

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    health = stack.worker!.get(ProtectionHealthService);
  });
  afterAll(async () => stack.stop());

  async function setup() {
    const s = await protectOneItem(stack, vendor);
    const item = (await s.t.tenant.get(`${s.T}/protected-items`)).body.items[0];
    return { ...s, item, policyId: item.policyId as string };
  }

  /** Reads the vendor's runs and judges the policy at the sandbox's time; answers the item's protection. */
  async function judge(s: ProtectedItemSetup & { item: { id: string }; policyId: string }, advanceMs = 0) {
    const now = new Date((await s.control.advanceClock(advanceMs)).now);
    await health.sync({}, s.t.tenantId, s.policyId, now);
    return (await s.t.tenant.get(`${s.T}/protected-items/${s.item.id}`)).body.protection;
  }

  /** The normalized code of the newest failed run in a list answer. */
  const failedRunError = (res: { body: { items: Array<{ error: { code: string } | null }> } }) => res.body.items[0]?.error?.code;

  const typesOf = async (s: ProtectedItemSetup, query: string) =>
    (await s.t.tenant.get(`${s.T}/events?${query}`)).body.items.map((e: { type: string }) => e.type);

  it('healthy on succeeded runs -> failed with the normalized vendor error and backup_run.failed -> healthy when backups resume', async () => {
    const s = await setup();
    const fx = s.fx;
    let p = await judge(s, DAY);
    expect(p).toMatchObject({ state: 'healthy', lastRunStatus: 'succeeded' });
    expect(p.lastSuccessfulBackupAt).not.toBeNull();
    const runs = (await s.t.tenant.get(`${s.T}/backup-runs?protectedItemId=${s.item.id}`)).body.items;
    expect(runs.length).toBeGreaterThan(0);
    expect(runs[0]).toMatchObject({ policyId: s.policyId, vendorRef: expect.any(String), vendorStatus: expect.any(String) });
    expect(runs.some((r: { status: string }) => r.status === 'succeeded')).toBe(true);

    // Judging again with nothing new at the vendor changes nothing.
    const before = (await s.t.tenant.get(`${s.T}/protected-items/${s.item.id}`)).body.protection;
    expect(await judge(s)).toEqual(before);

    await fx.failBackups!(s.control, [s.item]);
    p = await judge(s, DAY + HOUR);
    expect(p).toMatchObject({ state: 'failed', lastRunStatus: 'failed' });
    expect(p.lastRunError).toMatchObject({ code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) });
    expect(p.lastRunError.code).toBe(failedRunError(await s.t.tenant.get(`${s.T}/backup-runs?status=failed`)));
    expect(p.reason).toContain(p.lastRunError.message);
    const failed = (await s.t.tenant.get(`${s.T}/backup-runs?status=failed`)).body.items;
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0].error).toMatchObject({ code: expect.stringMatching(/^[A-Z_]+$/) });
    const one = (await s.t.tenant.get(`${s.T}/backup-runs/${failed[0].id}`)).body;
    expect(one).toMatchObject({ id: failed[0].id, status: 'failed' });
    expect(one.items.map((i: { protectedItemId: string }) => i.protectedItemId)).toContain(s.item.id);
    expect(await typesOf(s, `types=backup_run.failed`)).toContain('backup_run.failed');
    expect((await s.t.tenant.get(`${s.T}/policies/${s.policyId}`)).body.health.state).toBe('failed');

    await fx.resumeBackups!(s.control);
    p = await judge(s, DAY + HOUR);
    expect(p).toMatchObject({ state: 'healthy', lastRunStatus: 'succeeded' });
    const itemEvents = await typesOf(s, `resourceId=${s.item.id}`);
    expect(itemEvents.filter((t: string) => t === 'protected_item.failed' || t === 'protected_item.healthy')).toEqual([
      'protected_item.failed',
      'protected_item.healthy',
    ]);

    // Filters and paging: by policy, by start time, and newest first one page at a time.
    const all = (await s.t.tenant.get(`${s.T}/backup-runs?policyId=${s.policyId}&limit=200`)).body.items;
    expect(all.length).toBeGreaterThanOrEqual(3);
    const starts = all.map((r: { startedAt: string | null; createdAt: string }) => Date.parse(r.startedAt ?? r.createdAt));
    const pivot = new Date(starts[Math.floor(starts.length / 2)]).toISOString();
    const after = (await s.t.tenant.get(`${s.T}/backup-runs?policyId=${s.policyId}&from=${pivot}&limit=200`)).body.items;
    const earlier = (await s.t.tenant.get(`${s.T}/backup-runs?policyId=${s.policyId}&to=${pivot}&limit=200`)).body.items;
    expect(after.length + earlier.length).toBe(all.length);
    expect(
      after.every((r: { startedAt: string | null; createdAt: string }) => Date.parse(r.startedAt ?? r.createdAt) >= Date.parse(pivot)),
    ).toBe(true);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await s.t.tenant.get(
        `${s.T}/backup-runs?policyId=${s.policyId}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      paged.push(...page.body.items.map((r) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.map((r: { id: string }) => r.id));
    expect((await s.t.tenant.get(`${s.T}/backup-runs?status=sideways`)).status).toBe(400);

    // Another tenant sees none of it.
    const other = await newTenant(stack.admin);
    expect((await other.tenant.get(`${s.T}/backup-runs`)).status).toBe(404);
    expect((await other.tenant.get(`/v1/tenants/${other.tenantId}/backup-runs/${one.id}`)).status).toBe(404);
    expect((await other.tenant.get(`/v1/tenants/${other.tenantId}/backup-runs`)).body.items).toEqual([]);
  });

  it('backups that stop happening: at risk once the RPO passes without a run, healthy when they resume', async () => {
    const s = await setup();
    expect((await judge(s, DAY)).state).toBe('healthy');
    const rpo = vendorDescriptor(vendor).capabilities.health.defaultRpoMinutes * 60_000;
    await s.fx.stopBackups!(s.control, [s.item]);
    await judge(s, HOUR); // the vendor applies the stop from its next request on
    const late = await judge(s, rpo);
    expect(late.state).toBe('atRisk');
    expect(late.reason).toMatch(/is older than the RPO of \d+ min$/);
    await s.fx.resumeBackups!(s.control);
    await judge(s);
    expect((await judge(s, DAY + HOUR)).state).toBe('healthy');
    const types = (await typesOf(s, `resourceId=${s.item.id}`)).filter(
      (t: string) => t.startsWith('protected_item.') && t !== 'protected_item.added',
    );
    expect(types.slice(-2)).toEqual(['protected_item.at_risk', 'protected_item.healthy']);
  });

  if (vendorDescriptor(vendor).capabilities.health.onDemandBackup === 'none') {
    it('refuses an on-demand backup with 422 UNSUPPORTED_BY_VENDOR naming backup.start', async () => {
      const s = await setup();
      const res = await s.t.tenant.post(`${s.T}/protected-items/${s.item.id}/backup`, {});
      expect([res.status, res.body.code, res.body.operation, res.body.vendor]).toEqual([
        422,
        'UNSUPPORTED_BY_VENDOR',
        'backup.start',
        vendor,
      ]);
      expect(res.contentType).toContain('application/problem+json');
    });
  }

  if (ON_DEMAND.includes(vendor as (typeof ON_DEMAND)[number]))
    it('an on-demand backup runs to succeeded; the same Idempotency-Key answers the same run, a second request gets the run going', async () => {
      const s = await setup();
      await judge(s, DAY);
      const path = `${s.T}/protected-items/${s.item.id}/backup`;
      const first = await s.t.tenant.post(path, {}, { 'idempotency-key': `k-${s.item.id}` });
      expect(first.status).toBe(202);
      expect(first.body).toMatchObject({ trigger: 'onDemand', status: 'queued', alreadyRunning: false, policyId: s.policyId });
      expect(first.headers.get('location')).toBe(`${s.T}/backup-runs/${first.body.id}`);
      const replay = await s.t.tenant.post(path, {}, { 'idempotency-key': `k-${s.item.id}` });
      expect([replay.status, replay.body.id]).toEqual([202, first.body.id]);
      const again = await s.t.tenant.post(path, {});
      expect([again.status, again.body.id, again.body.alreadyRunning]).toEqual([202, first.body.id, true]);

      // The worker starts it at the vendor and polls it; the vendor finishes it as its clock moves.
      const done = await eventually(
        async () => {
          await s.control.advanceClock(HOUR);
          return s.t.tenant.get(`${s.T}/backup-runs/${first.body.id}`);
        },
        (r) => ['succeeded', 'warning', 'failed'].includes(r.body.status),
        60_000,
        500,
      );
      expect(done.body).toMatchObject({ status: 'succeeded', trigger: 'onDemand', vendorRef: expect.any(String) });
      expect(done.body.items.map((i: { protectedItemId: string }) => i.protectedItemId)).toContain(s.item.id);
      // Read back by the scheduled collection, the vendor's run is the same row, not a second one.
      await judge(s);
      const onDemandRuns = (await s.t.tenant.get(`${s.T}/backup-runs?protectedItemId=${s.item.id}`)).body.items.filter(
        (r: { vendorRef: string }) => r.vendorRef === done.body.vendorRef,
      );
      expect(onDemandRuns.map((r: { id: string; trigger: string }) => [r.id, r.trigger])).toEqual([[first.body.id, 'onDemand']]);
      // Once it ended, a new request starts a new run.
      const next = await s.t.tenant.post(path, {});
      expect(next.status).toBe(202);
      expect(next.body.id).not.toBe(first.body.id);
    });
});
