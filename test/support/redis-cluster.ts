import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve(__dirname, '../../scripts/redis-cluster.mjs');

/** A three-master Redis Cluster for a test file: the one in REDIS_CLUSTER_NODES, or one of its own on free ports. */
export interface TestRedisCluster {
  nodes: string;
  stop(): void;
}

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function startTestRedisCluster(): TestRedisCluster {
  if (process.env.REDIS_CLUSTER_NODES) return { nodes: process.env.REDIS_CLUSTER_NODES, stop: () => undefined };
  const dir = mkdtempSync(path.join(tmpdir(), 'bg-redis-cluster-'));
  const out = execFileSync(process.execPath, [SCRIPT, 'start', '--port', 'auto', '--dir', dir], { encoding: 'utf8' });
  const nodes = /REDIS_CLUSTER_NODES=(\S+)/.exec(out)?.[1];
  if (!nodes) throw new Error(`redis-cluster start printed no nodes: ${out}`);
  return { nodes, stop: () => execFileSync(process.execPath, [SCRIPT, 'stop', '--dir', dir]) };
}
