import type { Cluster } from 'ioredis';
import { protectOneItem, restoreBody, type ProtectedItemSetup } from '../support/protected-item';
import { testRedis } from '../support/redis';
import { redisServerInstalled, startTestRedisCluster, type TestRedisCluster } from '../support/redis-cluster';
import { eventually, startStack, type TestStack } from '../support/stack';

const TERMINAL = ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'];
const installed = redisServerInstalled();
if (!installed) console.warn('redis-cluster.e2e: skipped, redis-server is not installed (a local Redis Cluster cannot be started)');

/**
 * The whole stack on a three-master Redis Cluster (scripts/redis-cluster.mjs, loopback ports): BullMQ's
 * Lua scripts only run when every key of a queue hashes to one slot, so the queue prefix carries a hash tag.
 */
(installed ? describe : describe.skip)('on a Redis Cluster (three masters)', () => {
  let cluster: TestRedisCluster;
  let stack: TestStack;
  let graph: ProtectedItemSetup;
  let veeam: ProtectedItemSetup;

  beforeAll(async () => {
    cluster = startTestRedisCluster();
    stack = await startStack({ config: { REDIS_CLUSTER_NODES: cluster.nodes, WORKER_CONCURRENCY: '8' } });
    [graph, veeam] = await Promise.all([protectOneItem(stack, 'graph'), protectOneItem(stack, 'veeam')]);
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
    cluster?.stop();
  }, 180_000);

  it('wraps the queue prefix in a hash tag', () => {
    expect(stack.config.REDIS_CLUSTER_NODES).toBe(cluster.nodes);
    expect(stack.config.QUEUE_PREFIX).toMatch(/^\{bgtest_[0-9a-f]+\}$/);
  });

  it('runs a restore end to end: gateway -> outbox -> worker -> vendor, every transition once', async () => {
    const created = await graph.t.tenant.post(`${graph.T}/restore-jobs`, restoreBody(graph));
    expect(created.status).toBe(202);
    const done = await eventually(
      () => graph.t.tenant.get(`${graph.T}/restore-jobs/${created.body.id}`),
      (r) => TERMINAL.includes(r.body.status),
      60_000,
    );
    expect(done.body.status).toBe('succeeded');
    const events = (await graph.t.tenant.get(`${graph.T}/restore-jobs/${created.body.id}/events`)).body.items;
    const transitions = events.filter((e: any) => e.toStatus !== e.fromStatus).map((e: any) => e.toStatus);
    expect(transitions).toEqual(['queued', 'submitting', 'running', 'succeeded']);
  });

  it('submits and polls 40 jobs of two tenants and vendors to the end, each submitted once', async () => {
    const ids: Array<{ s: ProtectedItemSetup; id: string }> = [];
    for (const s of [graph, veeam]) {
      const answers = await Promise.all(Array.from({ length: 20 }, () => s.t.tenant.post(`${s.T}/restore-jobs`, restoreBody(s))));
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
      ids.push(...answers.map((a) => ({ s, id: a.body.id as string })));
    }
    for (const { s, id } of ids) {
      const done = await eventually(
        () => s.t.tenant.get(`${s.T}/restore-jobs/${id}`),
        (r) => TERMINAL.includes(r.body.status),
        90_000,
      );
      expect(done.body.status).toBe('succeeded');
      const events = (await s.t.tenant.get(`${s.T}/restore-jobs/${id}/events`)).body.items;
      expect(events.filter((e: any) => e.toStatus === 'submitting' && e.fromStatus !== 'submitting')).toHaveLength(1);
      expect(events.filter((e: any) => e.toStatus === 'succeeded')).toHaveLength(1);
    }
  }, 180_000);

  it('keeps every key of ours in one hash slot of the cluster, and none on the single Redis', async () => {
    const client = testRedis(stack.config) as Cluster;
    // The single server REDIS_URL names, through the same factory (no cluster nodes): none of our keys may land there.
    const single = testRedis({ REDIS_URL: stack.config.REDIS_URL, REDIS_CLUSTER_NODES: undefined });
    try {
      if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
      const keys: string[] = [];
      for (const node of client.nodes('master')) {
        let cursor = '0';
        do {
          const [next, batch] = await node.scan(cursor, 'MATCH', `${stack.config.QUEUE_PREFIX}*`, 'COUNT', 1000);
          keys.push(...batch);
          cursor = next;
        } while (cursor !== '0');
      }
      expect(keys.length).toBeGreaterThan(10);
      expect(keys.some((k) => k.includes(':restore-jobs:'))).toBe(true);
      const slots = new Set(await Promise.all(keys.map((k) => client.cluster('KEYSLOT', k))));
      expect(slots.size).toBe(1);
      expect(await single.keys(`${stack.config.QUEUE_PREFIX}*`)).toEqual([]);
    } finally {
      client.disconnect();
      single.disconnect();
    }
  });
});
