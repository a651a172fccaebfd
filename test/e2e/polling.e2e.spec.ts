import type { QueueEvents } from 'bullmq';
import { Pool } from 'pg';
import { QUEUES } from '@bg/platform';
import { protectOneItem, restoreBody } from '../support/protected-item';
import { testQueues, type TestQueues } from '../support/redis';
import { eventually, startStack, type TestStack } from '../support/stack';

const JOBS = 60;

/**
 * Running jobs are polled in batches per connection (one queue job per connection per tick, however many
 * jobs are due) and adaptively (each job's interval grows while its vendor job runs long), so N running
 * jobs cost neither N queue jobs nor N vendor calls a second.
 */
describe('batched, adaptive polling of running restores', () => {
  let stack: TestStack;
  let db: Pool;
  let queues: TestQueues;
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
    queues = testQueues(stack.config);
    events = await queues.events(QUEUES.restoreJobs);
  }, 240_000);
  afterAll(async () => {
    await queues?.close();
    await db.query(
      `UPDATE restore_jobs SET status = 'cancelled', completed_at = now() WHERE tenant_id = $1 AND status NOT IN ('succeeded', 'partiallySucceeded', 'failed', 'cancelled')`,
      [tenantId],
    );
    await db.end();
    await stack.stop();
  });

  it(`${JOBS} running jobs on one connection: polled in batches (one queue job per tick), every job polled, intervals growing with attempts`, async () => {
    const attempts = async () =>
      new Map<string, number>(
        (await db.query(`SELECT id, poll_attempt FROM restore_jobs WHERE tenant_id = $1`, [tenantId])).rows.map((r) => [
          r.id,
          r.poll_attempt,
        ]),
      );
    let ticks = 0;
    const onCompleted = ({ jobId }: { jobId: string }) => {
      if (jobId.startsWith('restore-job.poll_')) ticks++;
    };
    events.on('completed', onCompleted);
    const before = await attempts();
    // Counted, not timed: wait (however long this machine needs) until every job has been polled twice more.
    const after = await eventually(attempts, (now) => [...now].every(([id, a]) => a >= before.get(id)! + 2), 240_000, 250);
    events.off('completed', onCompleted);
    const vendorPolls = [...after].reduce((n, [id, a]) => n + a - before.get(id)!, 0);

    // Nobody starves: every job was polled twice more (the wait above).
    expect(after.size).toBe(JOBS);
    // Batched: one queue job per connection per tick, each polling many jobs — not one queue job per job poll.
    expect(ticks).toBeGreaterThan(0);
    expect(vendorPolls).toBeGreaterThanOrEqual(JOBS * 2);
    expect(vendorPolls / ticks).toBeGreaterThan(3);

    // Adaptive: each job's next poll is set from its attempt count (next_poll_at and updated_at are written by the
    // same statement, so their difference is the interval the worker chose, whatever the machine's speed): the
    // interval never shrinks as attempts grow, and grows past the first ones.
    const { rows } = await db.query(
      `SELECT poll_attempt AS attempt, extract(epoch FROM next_poll_at - updated_at)::float AS interval
         FROM restore_jobs WHERE tenant_id = $1 AND status = 'running' ORDER BY poll_attempt, interval`,
      [tenantId],
    );
    expect(rows).toHaveLength(JOBS);
    const byAttempt = new Map<number, number[]>();
    for (const r of rows) byAttempt.set(r.attempt, [...(byAttempt.get(r.attempt) ?? []), r.interval]);
    const levels = [...byAttempt.keys()].sort((x, y) => x - y);
    for (let i = 1; i < levels.length; i++) {
      expect(Math.min(...byAttempt.get(levels[i])!)).toBeGreaterThanOrEqual(Math.max(...byAttempt.get(levels[i - 1])!) - 0.01);
    }
    const intervals = rows.map((r) => r.interval as number);
    expect(Math.max(...intervals)).toBeGreaterThan(1.5);
    expect(Math.max(...intervals)).toBeLessThanOrEqual(60.01);
  }, 300_000);
});
