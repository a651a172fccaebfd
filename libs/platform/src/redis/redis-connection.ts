import Redis, { Cluster, type ClusterNode, type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';
import type { AppConfig } from '../config/config';

/** A Redis client of ours: one server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisClient = Redis | Cluster;

/**
 * The server options REDIS_URL gives: host, port, credentials, database and TLS. In cluster mode only
 * the credentials and TLS apply (to every node); a cluster has no database number.
 */
export function redisUrlOptions(redisUrl: string): RedisOptions {
  const u = new URL(redisUrl);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: Number(u.pathname.slice(1) || 0),
    tls: u.protocol === 'rediss:' ? {} : undefined,
  };
}

/** "host:port,host:port" -> cluster seed nodes (validated by the config schema). */
export function parseClusterNodes(value: string): ClusterNode[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const at = s.lastIndexOf(':');
      return { host: s.slice(0, at), port: Number(s.slice(at + 1)) };
    });
}

/**
 * The one place a Redis connection is made (gateway health, worker throttle, BullMQ). With
 * REDIS_CLUSTER_NODES set it is an ioredis Cluster seeded from those nodes, with REDIS_URL's credentials
 * and TLS; otherwise one server at REDIS_URL. `options` are the per-use client options (retries,
 * lazyConnect, offline queue).
 */
export function createRedisClient(config: Pick<AppConfig, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>, options: RedisOptions = {}): RedisClient {
  const server = redisUrlOptions(config.REDIS_URL);
  if (!config.REDIS_CLUSTER_NODES) return new Redis({ ...server, ...options });
  const { username, password, tls } = server;
  const { lazyConnect, enableOfflineQueue, ...redisOptions } = options;
  return new Cluster(parseClusterNodes(config.REDIS_CLUSTER_NODES), {
    lazyConnect,
    enableOfflineQueue,
    redisOptions: { username, password, tls, ...redisOptions },
  });
}

/**
 * The connection BullMQ queues and workers use. One server: connection options, so each queue and worker
 * opens (and closes) its own connections as before. A cluster: one shared Cluster client (BullMQ builds a
 * Cluster only from an instance; it duplicates it for blocking commands and never closes a shared one),
 * which `close()` ends once the queues and workers are closed.
 */
export function queueConnection(config: Pick<AppConfig, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>): {
  connection: ConnectionOptions;
  close(): Promise<void>;
} {
  if (!config.REDIS_CLUSTER_NODES) {
    const { host, port, username, password, db, tls } = redisUrlOptions(config.REDIS_URL);
    return { connection: { host, port, username, password, db, tls }, close: async () => undefined };
  }
  const cluster = createRedisClient(config, { maxRetriesPerRequest: null });
  return {
    connection: cluster,
    close: async () => {
      await cluster.quit().catch(() => cluster.disconnect());
    },
  };
}

/** A key prefix is cluster-safe when it holds a non-empty hash tag: every key under it maps to one slot. */
export function hasHashTag(prefix: string): boolean {
  return /\{[^{}]+\}/.test(prefix);
}
