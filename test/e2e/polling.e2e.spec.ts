import { QueueEvents } from 'bullmq';
import { Pool } from 'pg';
import { QUEUES } from '@bg/platform';
import { protectOneItem, restoreBody } from '../support/protected-item';
import { eventually, startStack, type TestStack } from '../support/stack';

const JOBS = 60;
const WINDOW_MS = 10_000;

/**
 * Running jobs are polled in batches per connection (one queue job per connection per tick, however many
 * jobs are due) and adaptively (each job's interval grows while its vendor job runs long), so N running
 * jobs cost neither N queue jobs nor N vendor calls a second.
 */
describe('batched, adaptive polling of running restores', () => {
  let stack: TestStack;
  let db: Pool;
  let events: QueueEvents;
  let tenantId: string;

  beforeAll(async () => {
    stack = await startStack();
    db = new Pool({ connectionString: stack.config.DATABASE_URL, max: 2 });
    const s = await protectOneItem(stack, 'veeam');
    tenantId = s.t.tenantId;
    await s.control.configure({ stuckRestores: true });
    for (let i = 0; i < JOBS; i += 50) {
      const answers = await Promise.all(
        Array.from({ length: Math.min(50, JOBS - i) }, () => s.t.tenant.post(`${s.T}/restore-jobs`, restoreBody(s))),
      );
      expect(answers.every((a) => a.status === 202)).toBe(true);
    }
    await eventually(
      async () =>
        (await db.query(`SELECT count(*)::int AS n FROM restore_jobs WHERE tenant_id = $1 AND status = 'running'`, [tenantId])).rows[0].n,
      (n) => n === JOBS,
      150_000,
    );
    const url = new URL(stack.config.REDIS_URL);
    events = new QueueEvents(QUEUES.restoreJobs, {
      connection: { host: url.hostname, port: Number(url.port || 6379) },
      prefix: stack.config.QUEUE_PREFIX,
    });
    await events.waitUntilReady();
  }, 240_000);
  afterAll(async () => {
    await events?.close();
    await db.query(
      `UPDATE restore_jobs SET status = 'cancelled', completed_at = now() WHERE tenant_id = $1 AND status NOT IN ('succeeded', 'partiallySucceeded', 'failed', 'cancelled')`,
      [tenantId],
    );
    await db.end();
    await stack.stop();
  });

  it(`${JOBS} running jobs on one connection: about one poll tick a second, and far fewer vendor polls than one per job per second`, async () => {
    const attempts = async () =>
      new Map<string, number>(
        (await db.query(`SELECT id, poll_attempt FROM restore_jobs WHERE tenant_id = $1`, [tenantId])).rows.map((r) => [
          r.id,
          r.poll_attempt,
        ]),
      );
    const overdue = async () =>
      (
        await db.query(`SELECT count(*)::int AS n FROM restore_jobs WHERE tenant_id = $1 AND next_poll_at < now() - interval '2 seconds'`, [
          tenantId,
        ])
      ).rows[0].n as number;
    // Let the backlog of the submission burst drain first (the sandbox shares this process's CPU).
    await eventually(overdue, (n) => n === 0, 60_000);
    let ticks = 0;
    const onCompleted = ({ jobId }: { jobId: string }) => {
      if (jobId.startsWith('restore-job.poll_')) ticks++;
    };
    events.on('completed', onCompleted);
    const before = await attempts();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const after = await attempts();
    events.off('completed', onCompleted);
    const vendorPolls = [...after].reduce((n, [id, a]) => n + a - before.get(id)!, 0);

    // Nobody starves: every job was polled in the window.
    expect([...after].filter(([id, a]) => a <= before.get(id)!)).toEqual([]);

    // Batched: one queue job per connection per tick (<= 1 a second), each polling many jobs.
    expect(ticks).toBeGreaterThan(0);
    expect(ticks).toBeLessThanOrEqual(WINDOW_MS / 1000 + 2);
    expect(vendorPolls).toBeGreaterThan(ticks * 3);
    // Adaptive: fixed 1-second polling would be JOBS per second; backing off makes it well under half.
    expect(vendorPolls).toBeLessThan((JOBS * WINDOW_MS) / 1000 / 2);
    const {
      rows: [spread],
    } = await db.query(`SELECT max(extract(epoch FROM next_poll_at - now()))::float AS longest FROM restore_jobs WHERE tenant_id = $1`, [
      tenantId,
    ]);
    expect(spread.longest).toBeGreaterThan(3);
  }, 60_000);
});
