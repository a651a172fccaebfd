import { Pool } from 'pg';
import { QUEUES } from '@bg/platform';
import { protectOneItem, restoreBody, type ProtectedItemSetup } from '../support/protected-item';
import { testQueues } from '../support/redis';
import { eventually, startStack, type TestStack } from '../support/stack';

const THOUSAND = 1000;

/**
 * One tenant submitting 1,000 restores does not starve another tenant's single restore. Veeam has no
 * documented concurrent-restore limit, so nothing but the worker's own capacity (a small
 * WORKER_CONCURRENCY here) stands between the thousand and the one: under first-in-first-out the one
 * would start only after all thousand; with fair ranks it starts at the next free slot.
 *
 * The restore queue is paused while the thousand and the one are accepted and relayed, so what is
 * measured is the order the worker takes them in, not a race between how fast the gateway accepts and
 * how fast the worker drains (which depends on the machine's load).
 */
describe('fair vendor concurrency: 1,000 jobs of one tenant and 1 of another', () => {
  let stack: TestStack;
  let db: Pool;
  const tenants: ProtectedItemSetup[] = [];

  async function prepare(): Promise<ProtectedItemSetup> {
    const s = await protectOneItem(stack, 'veeam');
    // Every vendor call of this account takes 50 ms more: submissions occupy worker slots like real ones.
    await s.control.injectFault({ latencyMs: 50, count: -1 });
    return s;
  }

  beforeAll(async () => {
    stack = await startStack({ config: { WORKER_CONCURRENCY: '8' } });
    db = new Pool({ connectionString: stack.config.DATABASE_URL, max: 2 });
    tenants.push(await prepare(), await prepare());
  }, 180_000);
  afterAll(async () => {
    // Leave nothing running for later suites: the thousand end cancelled.
    await db.query(
      `UPDATE restore_jobs SET status = 'cancelled', completed_at = now() WHERE tenant_id = $1 AND status NOT IN ('succeeded', 'partiallySucceeded', 'failed', 'cancelled')`,
      [tenants[0]?.t.tenantId],
    );
    await db.end();
    await stack.stop();
    // A cleanup, not an assertion: on a busy machine the in-process stack takes a while to wind down.
  }, 180_000);

  it('the single job finishes while the thousand are still mostly waiting', async () => {
    const [busy, quiet] = tenants;
    const queues = testQueues(stack.config);
    const queue = queues.queue(QUEUES.restoreJobs);
    await queue.pause();
    const busyPath = `/v1/tenants/${busy.t.tenantId}/restore-jobs`;
    for (let i = 0; i < THOUSAND; i += 50) {
      const answers = await Promise.all(
        Array.from({ length: Math.min(50, THOUSAND - i) }, () => busy.t.tenant.post(busyPath, restoreBody(busy))),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
    }
    const single = await quiet.t.tenant.post(`/v1/tenants/${quiet.t.tenantId}/restore-jobs`, restoreBody(quiet));
    expect(single.status).toBe(202);
    // Every submission is in the (paused) queue before the worker may take any.
    await eventually(
      async () =>
        (await db.query(`SELECT count(*)::int AS n FROM outbox WHERE tenant_id = ANY($1)`, [tenants.map((t) => t.t.tenantId)])).rows[0],
      (r) => r.n === 0,
      120_000,
    );
    await queue.resume();
    await queues.close();

    const done = await eventually(
      () => quiet.t.tenant.get(`/v1/tenants/${quiet.t.tenantId}/restore-jobs/${single.body.id}`),
      (r) => r.body.status === 'succeeded',
      90_000,
    );
    expect(done.body.status).toBe('succeeded');

    const {
      rows: [counts],
    } = await db.query(
      `SELECT count(*) FILTER (WHERE status <> 'queued')::int AS picked, count(*) FILTER (WHERE status IN ('succeeded', 'partiallySucceeded', 'failed', 'cancelled'))::int AS finished
         FROM restore_jobs WHERE tenant_id = $1`,
      [busy.t.tenantId],
    );
    // How many of the thousand the worker took up before the single job: its place in the line. Under
    // first-in-first-out it would be all thousand; with fair ranks only those of the first free slots.
    const {
      rows: [ahead],
    } = await db.query(
      `SELECT count(*)::int AS n FROM events e WHERE e.tenant_id = $1 AND e.type = 'restore_job.submitting'
          AND e.id < (SELECT id FROM events WHERE resource_id = $2 AND type = 'restore_job.submitting')`,
      [busy.t.tenantId, single.body.id],
    );
    expect(ahead.n).toBeLessThan(2 * 8);
    expect(counts.picked).toBeLessThan(THOUSAND / 2);
    expect(counts.finished).toBeLessThan(THOUSAND / 2);
  }, 240_000);
});
