#!/usr/bin/env node
// A local three-master Redis Cluster on loopback ports, for tests and drills (no replicas, no persistence).
//
//   node scripts/redis-cluster.mjs start [--port 7001|auto] [--dir .data/redis-cluster]
//   node scripts/redis-cluster.mjs stop  [--dir .data/redis-cluster]
//
// `start` runs three `redis-server --cluster-enabled yes` daemons on ports P, P+1, P+2 (and their cluster
// bus ports P+10000..), joins them with `redis-cli --cluster create`, waits for cluster_state:ok and prints
// one line: REDIS_CLUSTER_NODES=127.0.0.1:P,127.0.0.1:P+1,127.0.0.1:P+2 (also written to <dir>/nodes.env).
// `--port auto` picks free ports. `stop` ends the three servers by the pids in their pid files and removes <dir>.
// Exit code 3 when redis-server or redis-cli is not installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';

const MASTERS = 3;
let started = false;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function installed(bin) {
  return spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;
}

function portFree(port) {
  return new Promise((res) => {
    const srv = net.createServer();
    srv.once('error', () => res(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
  });
}

async function allFree(base) {
  for (let i = 0; i < MASTERS; i++) {
    if (!(await portFree(base + i)) || !(await portFree(base + i + 10000))) return false;
  }
  return true;
}

async function pickBase(requested) {
  if (requested !== 'auto') {
    const base = Number(requested);
    if (!(await allFree(base)))
      throw new Error(`ports ${base}..${base + MASTERS - 1} (or their bus ports +10000) are in use; try --port auto`);
    return base;
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    if (await allFree(base)) return base;
  }
  throw new Error('no free port range found');
}

function cli(port, ...args) {
  return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' }).trim();
}

async function until(what, fn, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (fn()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function start(dir) {
  if (!installed('redis-server') || !installed('redis-cli')) {
    console.error('redis-server/redis-cli not installed: cannot start a Redis Cluster');
    process.exit(3);
  }
  if (existsSync(join(dir, 'nodes.env'))) throw new Error(`a cluster already runs from ${dir}; stop it first`);
  const base = await pickBase(arg('port', '7001'));
  const ports = Array.from({ length: MASTERS }, (_, i) => base + i);
  started = true;
  for (const port of ports) {
    const d = join(dir, String(port));
    mkdirSync(d, { recursive: true });
    execFileSync('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      '5000',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'yes',
      '--dir',
      d,
      '--pidfile',
      join(d, 'redis.pid'),
      '--logfile',
      join(d, 'redis.log'),
    ]);
  }
  for (const port of ports) await until(`redis on ${port}`, () => cli(port, 'ping') === 'PONG');
  execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
    stdio: 'ignore',
  });
  for (const port of ports) await until(`cluster_state:ok on ${port}`, () => cli(port, 'cluster', 'info').includes('cluster_state:ok'));
  const line = `REDIS_CLUSTER_NODES=${ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
  writeFileSync(join(dir, 'nodes.env'), `${line}\n`);
  console.log(line);
}

async function stop(dir) {
  if (!existsSync(dir)) return;
  const pids = [];
  for (const entry of readdirSync(dir)) {
    const pidFile = join(dir, entry, 'redis.pid');
    if (existsSync(pidFile)) pids.push(Number(readFileSync(pidFile, 'utf8').trim()));
  }
  const alive = (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGTERM');
  // A server writes nodes.conf as it shuts down: remove its folder once it has exited.
  await until('the cluster servers to exit', () => !pids.some(alive), 10_000).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}

const [command] = process.argv.slice(2);
const dir = resolve(arg('dir', '.data/redis-cluster'));
try {
  if (command === 'start') await start(dir);
  else if (command === 'stop') await stop(dir);
  else {
    console.error('usage: node scripts/redis-cluster.mjs start [--port 7001|auto] [--dir DIR] | stop [--dir DIR]');
    process.exit(2);
  }
} catch (e) {
  console.error(`redis-cluster ${command}: ${e.message}`);
  if (started) await stop(dir);
  process.exit(1);
}
