import { Cluster } from 'ioredis';
import { loadConfig } from '../config/config';
import { createRedisClient, hasHashTag, parseClusterNodes, queueConnection } from './redis-connection';

const env = { MASTER_KEY: Buffer.alloc(32, 1).toString('base64') };

describe('Redis connections and the cluster-safe queue prefix', () => {
  it('keeps QUEUE_PREFIX as given on one Redis server', () => {
    expect(loadConfig({ ...env, QUEUE_PREFIX: 'bg' }).QUEUE_PREFIX).toBe('bg');
  });

  it('wraps a prefix without a hash tag in braces on a Redis Cluster, and keeps one that has a tag', () => {
    expect(loadConfig({ ...env, QUEUE_PREFIX: 'bg', REDIS_CLUSTER_NODES: '127.0.0.1:7001' }).QUEUE_PREFIX).toBe('{bg}');
    expect(loadConfig({ ...env, QUEUE_PREFIX: 'prod-{bg}', REDIS_CLUSTER_NODES: '127.0.0.1:7001' }).QUEUE_PREFIX).toBe('prod-{bg}');
    expect(hasHashTag('{bg}')).toBe(true);
    expect(hasHashTag('bg')).toBe(false);
  });

  it('refuses a malformed node list or prefix, naming the variable', () => {
    expect(() => loadConfig({ ...env, REDIS_CLUSTER_NODES: 'redis://a:1' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => loadConfig({ ...env, QUEUE_PREFIX: '{a}{b}' })).toThrow(/QUEUE_PREFIX/);
    expect(() => loadConfig({ ...env, QUEUE_PREFIX: 'a:b' })).toThrow(/QUEUE_PREFIX/);
  });

  it('parses seed nodes and builds a cluster client with REDIS_URL credentials, or options for one server', async () => {
    expect(parseClusterNodes('10.0.0.1:7001, redis-2:7002')).toEqual([
      { host: '10.0.0.1', port: 7001 },
      { host: 'redis-2', port: 7002 },
    ]);
    const config = { REDIS_URL: 'redis://user:s%40cret@ignored:6379', REDIS_CLUSTER_NODES: '127.0.0.1:1,127.0.0.1:2' };
    const cluster = createRedisClient(config, { lazyConnect: true });
    expect(cluster).toBeInstanceOf(Cluster);
    expect((cluster as Cluster).options.redisOptions).toMatchObject({ username: 'user', password: 's@cret' });
    cluster.disconnect();
    const single = queueConnection({ REDIS_URL: 'rediss://:pw@cache:6380/2', REDIS_CLUSTER_NODES: undefined });
    expect(single.connection).toEqual({ host: 'cache', port: 6380, username: undefined, password: 'pw', db: 2, tls: {} });
    await single.close();
  });

  it('refuses usage fact retention not longer than the roll-up look-back', () => {
    expect(() => loadConfig({ ...env, USAGE_FACT_RETENTION_DAYS: '7', USAGE_ROLLUP_LOOKBACK_DAYS: '7' })).toThrow(
      /USAGE_FACT_RETENTION_DAYS/,
    );
    expect(loadConfig({ ...env, USAGE_FACT_RETENTION_DAYS: '0' }).USAGE_FACT_RETENTION_DAYS).toBe(0);
  });
});
