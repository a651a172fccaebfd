import { Queue, QueueEvents, Worker, type Processor, type QueueOptions, type WorkerOptions } from 'bullmq';
import { QUEUES, createRedisClient, queueConnection, type AppConfig, type QueueName, type RedisClient } from '@bg/platform';
import { throttleKey } from '../../apps/worker/src/common/connection-throttle';

type RedisConfig = Pick<AppConfig, 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'QUEUE_PREFIX'>;

/**
 * Redis for a test, made only by the app's own factories (createRedisClient, queueConnection), so a test reaches
 * the stack's Redis whichever it is: one server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES), with the
 * stack's hash-tagged QUEUE_PREFIX. A test never opens a connection from REDIS_URL itself: on a cluster it would
 * silently talk to another Redis.
 */
export function testRedis(config: Pick<AppConfig, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>): RedisClient {
  return createRedisClient(config, { maxRetriesPerRequest: 3 });
}

type Own<T> = Omit<T, 'connection' | 'prefix'>;

/** BullMQ queues, queue events and workers of the stack (its prefix, its Redis), all closed by `close()`. */
export interface TestQueues {
  queue(name: QueueName, options?: Own<QueueOptions>): Queue;
  /** A worker of the test's own (e.g. one that takes a job and "dies" holding it). */
  worker(name: QueueName, processor: Processor | null, options?: Own<WorkerOptions>): Worker;
  /** Resolves once the events stream is read (events before that are not seen). */
  events(name: QueueName): Promise<QueueEvents>;
  close(): Promise<void>;
}

export function testQueues(config: RedisConfig): TestQueues {
  const redis = queueConnection(config);
  const open: Array<Queue | QueueEvents | Worker> = [];
  const options = { connection: redis.connection, prefix: config.QUEUE_PREFIX };
  return {
    queue(name, own) {
      const q = new Queue(name, { ...own, ...options });
      open.push(q);
      return q;
    },
    worker(name, processor, own) {
      const w = new Worker(name, processor, { ...own, ...options });
      open.push(w);
      return w;
    },
    async events(name) {
      const e = new QueueEvents(name, options);
      open.push(e);
      await e.waitUntilReady();
      return e;
    },
    async close() {
      await Promise.all(open.splice(0).map((o) => o.close()));
      await redis.close();
    },
  };
}

/**
 * Pauses every vendor call of a connection for `ms`, as the vendor's Retry-After would (the worker's
 * ConnectionThrottle reads the same key). Returns `resume`: ends the pause at once and promotes the stack's
 * delayed queue jobs (a job that met the pause was delayed until its end), so a test decides when the pause
 * ends instead of racing a wall-clock one.
 */
export async function pauseConnection(config: RedisConfig, connectionId: string, ms: number): Promise<() => Promise<void>> {
  const key = throttleKey(config.QUEUE_PREFIX, connectionId);
  const redis = testRedis(config);
  try {
    await redis.set(key, String(Date.now() + ms), 'PX', ms);
  } finally {
    redis.disconnect();
  }
  return async () => {
    const again = testRedis(config);
    try {
      await again.del(key);
    } finally {
      again.disconnect();
    }
    const queues = testQueues(config);
    try {
      await Promise.all(Object.values(QUEUES).map((name) => queues.queue(name).promoteJobs()));
    } finally {
      await queues.close();
    }
  };
}
