// The drills' own infrastructure: a private PostgreSQL cluster and a private Redis in a temp dir on
// free loopback ports (so they can be killed and restarted without touching the machine's shared
// services), and the stack's processes (sandbox, gateways, workers) from dist/ as child processes that
// a drill can SIGKILL and start again on the same port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { QUEUES, queueConnection } from '@bg/platform';
import { DIST, ROOT, SANDBOX_CERT, freePort, sleep } from '../support';

const PG_BIN = process.env.DRILL_PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const DRILL_LOG_DIR = resolve(ROOT, process.env.DRILL_LOG_DIR ?? '.data/drills');

const children = new Set<ChildProcess>();
const cleanups: Array<() => void> = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const f of cleanups) f();
});

/** initdb and pg_ctl refuse to run as root: as root they run as the postgres user (runuser). */
const asRoot = process.getuid?.() === 0;
function pgCommand(cmd: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', process.env.DRILL_PG_USER ?? 'postgres', '--', cmd, ...args]] : [cmd, args];
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(...pgCommand(cmd, args), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

/** A PostgreSQL 15 cluster of its own (initdb in a temp dir, trust auth, loopback only). */
export class PrivatePostgres {
  private pgDir!: string;
  private constructor(
    readonly port: number,
    readonly databaseUrl: string,
  ) {}

  static async start(name: string): Promise<PrivatePostgres> {
    const port = await freePort();
    const pg = new PrivatePostgres(port, `postgres://postgres@127.0.0.1:${port}/${name}`);
    pg.pgDir = mkdtempSync(join(tmpdir(), 'bg-drill-pg-'));
    if (asRoot) spawnSync('chown', [process.env.DRILL_PG_USER ?? 'postgres', pg.pgDir]);
    cleanups.push(() => {
      spawnSync(...pgCommand(`${PG_BIN}/pg_ctl`, ['-D', pg.pgDir, '-m', 'immediate', 'stop']), { stdio: 'ignore' });
      rmSync(pg.pgDir, { recursive: true, force: true });
    });
    run(`${PG_BIN}/initdb`, ['-D', pg.pgDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    // fsync off: the drills kill processes, not the machine; the OS keeps what Postgres wrote.
    appendFileSync(
      join(pg.pgDir, 'postgresql.conf'),
      [
        `port = ${port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${pg.pgDir}'`,
        'fsync = off',
        'full_page_writes = off',
        'max_connections = 300',
        'shared_buffers = 128MB',
      ].join('\n') + '\n',
    );
    pg.ctl('start');
    const admin = new Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    return pg;
  }

  private ctl(action: 'start' | 'stop' | 'restart', mode = 'fast'): void {
    const args = ['-D', this.pgDir, '-l', join(this.pgDir, 'server.log'), '-w', '-t', '60'];
    if (action !== 'start') args.push('-m', mode);
    run(`${PG_BIN}/pg_ctl`, [...args, action]);
  }

  /** Stops the cluster: 'immediate' is a crash (no checkpoint, every backend killed at once). */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    this.ctl('stop', mode);
  }
  start(): void {
    this.ctl('start');
  }
  restart(mode: 'fast' | 'immediate' = 'fast'): void {
    this.ctl('restart', mode);
  }
}

/** A redis-server of its own on a free loopback port, without persistence (a restart starts empty unless `persist`). */
export class PrivateRedis {
  private proc?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'bg-drill-redis-'));
  private constructor(
    readonly port: number,
    readonly persist: boolean,
  ) {
    cleanups.push(() => rmSync(this.dir, { recursive: true, force: true }));
  }
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(opts: { persist?: boolean } = {}): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort(), opts.persist ?? false);
    await r.start();
    return r;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    args.push('--appendonly', this.persist ? 'yes' : 'no');
    if (this.persist) args.push('--appendfsync', 'always');
    const p = spawn('redis-server', args, { stdio: 'ignore' });
    children.add(p);
    p.on('exit', () => children.delete(p));
    this.proc = p;
    for (let i = 0; i < 100; i++) {
      const ping = spawnSync('redis-cli', ['-p', String(this.port), 'ping'], { encoding: 'utf8' });
      if (ping.stdout.trim() === 'PONG') return;
      await sleep(100);
    }
    throw new Error(`redis-server on ${this.port} did not answer PING`);
  }

  /** SIGKILL (a crash: with persist, the append-only file is what comes back). */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }
}

/** One node process from dist/, restartable on the same port. */
export class Proc {
  private child?: ChildProcess;
  private exited = true;
  restarts = 0;
  readonly logFile: string;
  constructor(
    readonly name: string,
    readonly script: string,
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    mkdirSync(DRILL_LOG_DIR, { recursive: true });
    this.logFile = resolve(DRILL_LOG_DIR, `${name}.log`);
    writeFileSync(this.logFile, '');
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get alive(): boolean {
    return !this.exited;
  }

  spawn(): void {
    const path = resolve(DIST, this.script);
    if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build first`);
    const child = spawn(process.execPath, [path], {
      cwd: ROOT,
      env: { ...this.env, PORT: String(this.port), HOST: '127.0.0.1', SANDBOX_PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = false;
    children.add(child);
    const log = (chunk: Buffer) => appendFileSync(this.logFile, chunk);
    child.stdout!.on('data', log);
    child.stderr!.on('data', log);
    child.on('exit', (code, signal) => {
      this.exited = true;
      children.delete(child);
      appendFileSync(this.logFile, `\n--- ${this.name} exited (${signal ?? code}) at ${new Date().toISOString()}\n`);
    });
    this.child = child;
  }

  /** Waits until `url` answers 200 (or `check` holds), failing if the process exits first. */
  async ready(check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) throw new Error(`${this.name} exited before it was ready:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.tail()}`);
      if (await check().catch(() => false)) return;
      await sleep(200);
    }
  }

  tail(): string {
    return readFileSync(this.logFile, 'utf8').split('\n').slice(-20).join('\n');
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.child;
    if (!c || this.exited) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => c.kill('SIGKILL'), 10_000);
    await gone;
    if (timer) clearTimeout(timer);
  }
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  await res.arrayBuffer();
  return res.ok;
}

export interface StackOptions {
  gateways?: number;
  workers?: number;
  /** Extra env for every process (e.g. WEBHOOK_RETRY_SCHEDULE). */
  env?: Record<string, string>;
  redisPersist?: boolean;
  /**
   * Queues on a local three-master Redis Cluster (scripts/redis-cluster.mjs, loopback ports) instead of the
   * private Redis: REDIS_CLUSTER_NODES for every process, the queue prefix made cluster-safe by the config.
   * Default: DRILL_REDIS_CLUSTER=1. Not for drills that restart Redis.
   */
  redisCluster?: boolean;
}

/** A three-master Redis Cluster of its own, from scripts/redis-cluster.mjs; returns REDIS_CLUSTER_NODES. */
function startRedisCluster(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bg-drill-cluster-'));
  const script = resolve(ROOT, 'scripts/redis-cluster.mjs');
  cleanups.push(() => {
    spawnSync(process.execPath, [script, 'stop', '--dir', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });
  rmSync(dir, { recursive: true, force: true });
  const out = spawnSync(process.execPath, [script, 'start', '--port', 'auto', '--dir', dir], { encoding: 'utf8' });
  const line = /REDIS_CLUSTER_NODES=(\S+)/.exec(out.stdout ?? '');
  if (out.status !== 0 || !line) throw new Error(`Redis Cluster did not start (${out.status}): ${out.stderr}`);
  return line[1];
}

/** The whole deployment a drill runs against: private Postgres + Redis, one sandbox, N gateways, M workers. */
export class DrillStack {
  readonly adminKey = `admin_${randomBytes(24).toString('hex')}`;
  env!: NodeJS.ProcessEnv;
  pg!: PrivatePostgres;
  redis!: PrivateRedis;
  sandbox!: Proc;
  gateways: Proc[] = [];
  workers: Proc[] = [];
  /** REDIS_CLUSTER_NODES when the queues run on a Redis Cluster. */
  clusterNodes?: string;

  get origin(): string {
    return `https://localhost:${this.sandbox.port}`;
  }

  static async start(drill: string, opts: StackOptions = {}): Promise<DrillStack> {
    const s = new DrillStack();
    s.pg = await PrivatePostgres.start(`drill_${drill.replace(/-/g, '_')}`);
    s.redis = await PrivateRedis.start({ persist: opts.redisPersist });
    const cluster = (opts.redisCluster ?? process.env.DRILL_REDIS_CLUSTER === '1') ? startRedisCluster() : undefined;
    s.env = {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: s.pg.databaseUrl,
      REDIS_URL: s.redis.url,
      ADMIN_API_KEY: s.adminKey,
      MASTER_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: process.env.DRILL_LOG_LEVEL ?? 'warn',
      QUEUE_PREFIX: `drill_${randomBytes(3).toString('hex')}`,
      WEBHOOK_ALLOW_LOCAL_URLS: 'true',
      NODE_EXTRA_CA_CERTS: SANDBOX_CERT,
      SANDBOX_CERT_PATH: SANDBOX_CERT,
      USAGE_ROLLUP_ENABLED: 'false',
      DATABASE_POOL_SIZE: '10',
      // Three workers on one machine: each its own metrics port; the drill's load is not to be rate-limited.
      WORKER_METRICS_PORT: '0',
      RATE_LIMIT_PER_KEY: '1000000000',
      RATE_LIMIT_PER_TENANT: '1000000000',
      ...(cluster ? { REDIS_CLUSTER_NODES: cluster } : {}),
      ...opts.env,
    };
    s.clusterNodes = cluster;
    const migrate = spawnSync(process.execPath, [resolve(DIST, 'libs/platform/src/database/migrate.cli.js')], {
      env: s.env,
      encoding: 'utf8',
    });
    if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr}`);

    s.sandbox = new Proc(`${drill}-sandbox`, 'apps/sandbox/src/main.js', await freePort(), s.env);
    s.sandbox.spawn();
    await s.sandbox.ready(() => httpOk(`https://localhost:${s.sandbox.port}/_sandbox`));
    for (let i = 0; i < (opts.gateways ?? 2); i++) {
      const g = new Proc(`${drill}-gateway-${i + 1}`, 'apps/gateway/src/main.js', await freePort(), s.env);
      g.spawn();
      s.gateways.push(g);
    }
    for (let i = 0; i < (opts.workers ?? 3); i++) {
      const w = new Proc(`${drill}-worker-${i + 1}`, 'apps/worker/src/main.js', 0, s.env);
      w.spawn();
      s.workers.push(w);
    }
    for (const g of s.gateways) await s.gatewayReady(g);
    await s.workersReady(s.workers.length);
    return s;
  }

  gatewayReady(g: Proc): Promise<void> {
    return g.ready(() => httpOk(`${g.url}/health/ready`));
  }

  /** Waits until `n` consumers of the restore-jobs queue are connected. */
  async workersReady(n: number): Promise<void> {
    const redis = queueConnection({ REDIS_URL: this.redis.url, REDIS_CLUSTER_NODES: this.clusterNodes });
    // The config makes the prefix cluster-safe the same way for every process.
    const prefix = this.clusterNodes && !this.env.QUEUE_PREFIX!.includes('{') ? `{${this.env.QUEUE_PREFIX}}` : this.env.QUEUE_PREFIX;
    const queue = new Queue(QUEUES.restoreJobs, { connection: redis.connection, prefix });
    try {
      const w = this.workers[0];
      await w.ready(async () => (await queue.getWorkers()).length >= n);
    } finally {
      await queue.close();
      await redis.close();
    }
  }

  async stop(): Promise<void> {
    // All at once: each process's graceful shutdown is its own (up to 10 s before SIGKILL).
    await Promise.all([...this.workers, ...this.gateways, this.sandbox].map((p) => p?.kill('SIGTERM')));
    await this.redis?.kill();
    try {
      this.pg?.stop('immediate');
    } catch {
      /* already down */
    }
  }
}
