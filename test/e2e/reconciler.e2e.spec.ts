import { unwrap } from '@backup-gateway/sdk';
import { Pool } from 'pg';
import { MaintenanceProcessor } from '../../apps/worker/src/maintenance/maintenance.processor';
import { protectOneItem, restoreBody, type ProtectedItemSetup } from '../support/protected-item';
import { eventually, startStack, type TestStack } from '../support/stack';

const HOUR = 3_600_000;

/**
 * The reconciler: a job whose progress stopped (its poll was lost while the vendor finished) is repaired
 * from the vendor's truth with an event saying so; a job past its deadline ends failed TIMED_OUT.
 */
describe('reconciler', () => {
  let stack: TestStack;
  let db: Pool;
  let s: ProtectedItemSetup;
  let reconciler: MaintenanceProcessor;
  const path = (jobId: string) => ({ path: { tenantId: s.t.tenantId, jobId } });
  const job = (jobId: string) => unwrap(s.t.tenant.sdk.GET('/v1/tenants/{tenantId}/restore-jobs/{jobId}', { params: path(jobId) }));
  const history = async (jobId: string) =>
    (await unwrap(s.t.tenant.sdk.GET('/v1/tenants/{tenantId}/restore-jobs/{jobId}/events', { params: path(jobId) }))).items;
  const restore = () =>
    unwrap(
      s.t.tenant.sdk.POST('/v1/tenants/{tenantId}/restore-jobs', { params: { path: { tenantId: s.t.tenantId } }, body: restoreBody(s) }),
    );

  beforeAll(async () => {
    stack = await startStack();
    db = new Pool({ connectionString: stack.config.DATABASE_URL, max: 2 });
    s = await protectOneItem(stack, 'graph');
    reconciler = stack.worker!.get(MaintenanceProcessor);
  });
  afterAll(async () => {
    await db.end();
    await stack.stop();
  });

  it('repairs a running job whose vendor finished while nobody polled it, and records that it did', async () => {
    // The vendor's restore takes an hour of its clock: the job is seen running however slowly this machine polls.
    await s.control.configure({ restoreDurationMs: HOUR });
    const created = await restore();
    await eventually(
      () => job(created.id),
      (r) => r.status === 'running',
      60_000,
      50,
    );
    // Lose its polls: the next one is a day away, as if the queue had dropped them.
    await db.query(`UPDATE restore_jobs SET next_poll_at = now() + interval '1 day' WHERE id = $1`, [created.id]);
    // The vendor finishes while nobody polls (its clock moves past the restore's end); nothing moves the job meanwhile.
    await s.control.advanceClock(2 * HOUR);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await job(created.id)).status).toBe('running');
    expect(await reconciler.reconcile(60_000)).toEqual({ resumed: 0, expired: 0 });

    await db.query(`UPDATE restore_jobs SET next_poll_at = now() - interval '10 minutes' WHERE id = $1`, [created.id]);
    expect(await reconciler.reconcile(60_000)).toEqual({ resumed: 1, expired: 0 });
    const done = await eventually(
      () => job(created.id),
      (r) => r.status !== 'running',
      60_000,
    );
    expect(done.status).toBe('succeeded');
    const events = await history(created.id);
    expect(events.map((e) => e.type)).toContain('reconciler_resumed');
    expect(events.findIndex((e) => e.type === 'reconciler_resumed')).toBeLessThan(
      events.findIndex((e) => e.type === 'status_changed' && e.detail.vendorStatus === 'completed'),
    );
  }, 180_000);

  it('ends a job stuck at the vendor past its deadline failed with TIMED_OUT', async () => {
    await s.control.configure({ stuckSessions: true });
    const created = await restore();
    await eventually(
      () => job(created.id),
      (r) => r.status === 'running',
      60_000,
      50,
    );
    await db.query(`UPDATE restore_jobs SET deadline_at = now() - interval '1 minute' WHERE id = $1`, [created.id]);
    expect(await reconciler.reconcile(60_000)).toEqual({ resumed: 0, expired: 1 });
    const failed = await job(created.id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'TIMED_OUT' } });
    expect(
      (await history(created.id)).find((e) => e.type === 'status_changed' && e.detail.reason === 'deadline passed (reconciler)'),
    ).toBeDefined();
    await s.control.configure({ stuckSessions: false });
  }, 180_000);
});
