import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { UnrecoverableError, type Job, type Queue, type Worker } from 'bullmq';
import { Client } from 'pg';
import { createRedisClient, QUEUES, type RedisClient } from '@bg/platform';
import { createWorker } from '../../apps/worker/src/bootstrap';
import { DEFAULT_JOB_OPTIONS } from '../../apps/worker/src/common/queue-options';
import { MaintenanceProcessor } from '../../apps/worker/src/maintenance/maintenance.processor';
import { newTenant, type TenantContext } from '../support/factories';
import { testQueues, type TestQueues } from '../support/redis';
import { eventually, startStack, type TestStack } from '../support/stack';
import { graphFixture } from '../support/vendor-fixtures';
import { Receiver } from '../support/webhook-receiver';

/**
 * Webhook fan-out jobs lost to worker crashes (the worker-kill drill: events with no delivery row at all). Two
 * events of two connections get their `webhook.fanout` jobs (relayed here as the relay does, with no worker
 * running), and a "crashed" worker — a BullMQ worker that takes a job and never finishes it, its lock gone as
 * after a kill -9 — runs BullMQ's stalled-job check in between:
 *   - the first job stalls twice, the second time judged by the real worker's own stalled check when it starts;
 *   - the second job ends failed for good, as BullMQ fails a job that stalled too often, and is kept (same id).
 * Then the real worker starts. Counts and order only; the sweep's clock is its `now` argument.
 */
describe('webhook fan-out survives crashed workers', () => {
  let stack: TestStack;
  let worker: INestApplicationContext | undefined;
  let db: Client;
  let queues: TestQueues;
  let queue: Queue;
  let crashed: Worker;
  let redis: RedisClient;
  let t: TenantContext;
  const rx = new Receiver();
  const events: { stalled?: string; lost?: string } = {};

  const fanoutJobId = (eventId: string) => `webhook.fanout_${eventId}`;
  const deliveries = async (eventId: string) =>
    (await db.query('SELECT count(*)::int AS n FROM webhook_deliveries WHERE event_id = $1', [eventId])).rows[0].n as number;
  const pending = async (eventId: string) =>
    (await db.query('SELECT count(*)::int AS n FROM pending_webhook_fanouts WHERE event_id = $1', [eventId])).rows[0].n as number;

  /** A connection's `connection.created` event, its fan-out job moved from the outbox to the queue as the relay does. */
  async function eventWithFanoutJob(): Promise<string> {
    const T = `/v1/tenants/${t.tenantId}`;
    const connection = await t.tenant.post(`${T}/connections`, graphFixture(stack.sandbox.origin).connection);
    expect(connection.status).toBe(201);
    const { rows } = await db.query(`SELECT id FROM events WHERE resource_id = $1 AND type = 'connection.created'`, [connection.body.id]);
    const eventId = rows[0].id as string;
    const outbox = await db.query(`DELETE FROM outbox WHERE name = 'webhook.fanout' AND job_id = $1 RETURNING payload`, [
      fanoutJobId(eventId),
    ]);
    expect(outbox.rows).toHaveLength(1);
    await queue.add('webhook.fanout', outbox.rows[0].payload, { jobId: fanoutJobId(eventId) });
    return eventId;
  }

  /** The crashed worker takes the next job (active, locked). */
  async function take(expectedJobId: string): Promise<{ job: Job; token: string }> {
    const token = randomUUID();
    const job = await crashed.getNextJob(token, { block: false });
    expect(job?.id).toBe(expectedJobId);
    return { job: job!, token };
  }

  /** The crashed worker takes the next job and dies holding it: the job stays active, its lock expired. */
  async function takeAndDie(expectedJobId: string): Promise<void> {
    await take(expectedJobId);
    await redis.del(queue.toKey(`${expectedJobId}:lock`));
  }

  /** One run of BullMQ's stalled-job check by the crashed worker (maxStalledCount 1, BullMQ's default). */
  async function stalledCheck(): Promise<void> {
    await redis.del(queue.toKey('stalled-check'));
    // BullMQ runs this on its own timer (stalledInterval); a test runs it when it wants it.
    await (crashed as unknown as { moveStalledJobsToWait(): Promise<void> }).moveStalledJobsToWait();
  }

  beforeAll(async () => {
    await rx.start();
    stack = await startStack({ worker: false });
    db = new Client({ connectionString: stack.config.DATABASE_URL });
    await db.connect();
    redis = createRedisClient(stack.config);
    queues = testQueues(stack.config);
    queue = queues.queue(QUEUES.webhooks, { defaultJobOptions: DEFAULT_JOB_OPTIONS });
    crashed = queues.worker(QUEUES.webhooks, null, { autorun: false });
    t = await newTenant(stack.admin);
    const T = `/v1/tenants/${t.tenantId}`;
    const ep = await t.tenant.post(`${T}/webhooks`, { url: rx.route('recovered', { secrets: [] }), eventTypes: ['connection.created'] });
    expect(ep.status).toBe(201);

    // Lost for good: failed as BullMQ fails a job that stalled more than maxStalledCount, and kept under its id.
    events.lost = await eventWithFanoutJob();
    const lost = await take(fanoutJobId(events.lost));
    await lost.job.moveToFailed(new UnrecoverableError('job stalled more than allowable limit'), lost.token, false);

    // Stalled once (back to wait), then taken and dead again: the real worker's stalled check judges the second stall.
    events.stalled = await eventWithFanoutJob();
    await takeAndDie(fanoutJobId(events.stalled));
    await stalledCheck();
    await stalledCheck();
    await takeAndDie(fanoutJobId(events.stalled));
    await stalledCheck();
    await redis.del(queue.toKey('stalled-check'));

    // Both events are owed their fan-out (the events trigger wrote the pending rows with the events).
    expect([await pending(events.lost), await pending(events.stalled)]).toEqual([1, 1]);
    await crashed.close(true);
    worker = await createWorker(stack.config);
  }, 180_000);

  afterAll(async () => {
    await worker?.close();
    await queues?.close();
    await redis?.quit();
    await db?.end();
    await stack?.stop();
    await rx.stop();
  }, 180_000);

  it('a fan-out job that stalled twice still runs: its event gets its delivery', async () => {
    const state = await eventually(
      () => queue.getJobState(fanoutJobId(events.stalled!)),
      (s) => s === 'completed' || s === 'failed',
      60_000,
    );
    expect(state).toBe('completed');
    expect(await deliveries(events.stalled!)).toBe(1);
    expect(await pending(events.stalled!)).toBe(0);
    const got = await eventually(
      async () => rx.accepted('recovered').filter((r) => r.headers['webhook-id'] === events.stalled),
      (r) => r.length >= 1,
    );
    expect(got).toHaveLength(1);
  });

  it('an event whose fan-out job failed for good is fanned out by the maintenance sweep once its grace is over', async () => {
    const job = await queue.getJob(fanoutJobId(events.lost!));
    expect([await job!.getState(), job!.failedReason]).toEqual(['failed', 'job stalled more than allowable limit']);
    expect(await deliveries(events.lost!)).toBe(0);

    const maintenance = worker!.get(MaintenanceProcessor);
    // Within the grace period a fan-out is not overdue (its job may be on its way).
    expect(await maintenance.sweepWebhookFanouts(new Date())).toBe(0);
    const later = new Date(Date.now() + 5 * 60_000);
    const owed = (await db.query('SELECT count(*)::int AS n FROM pending_webhook_fanouts')).rows[0].n as number;
    expect(owed).toBeGreaterThanOrEqual(1);
    expect(await maintenance.sweepWebhookFanouts(later)).toBe(owed);
    expect(await deliveries(events.lost!)).toBe(1);
    expect(await pending(events.lost!)).toBe(0);
    // Fanned out and settled: nothing is owed any more, so a second sweep has nothing to do.
    expect(await maintenance.sweepWebhookFanouts(later)).toBe(0);
    const got = await eventually(
      async () => rx.accepted('recovered').filter((r) => r.headers['webhook-id'] === events.lost),
      (r) => r.length >= 1,
    );
    expect(got).toHaveLength(1);
    expect(await deliveries(events.lost!)).toBe(1);
  });
});
