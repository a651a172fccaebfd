// Shared pieces of the benchmarks: bench databases, seeding, child processes (gateway, worker, twins,
// sandbox) started from dist/, load generation with autocannon, RSS sampling and the result table.
// The services under test always run in their own processes; this process only drives them and measures.
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { Queue, type ConnectionOptions } from 'bullmq';
import { Client, Pool } from 'pg';
import { newId } from '@bg/domain';
import { QUEUES, createOwnerDataSource, generateApiKey, loadConfig, migrate } from '@bg/platform';
import { serverSlug, veeamFixtureSites, veeamSandboxPassword } from '../apps/sandbox/src/veeam/veeam.fixtures';

/** The compiled tree (dist/, where this file runs from) and the repository root (npm runs scripts there). */
export const DIST = resolve(__dirname, '..');
export const ROOT = process.cwd();
export const LOG_DIR = resolve(ROOT, process.env.BENCH_LOG_DIR ?? '.data/bench');
export const SANDBOX_CERT = resolve(ROOT, process.env.SANDBOX_CERT_PATH ?? '.data/sandbox-cert.pem');

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** Ours and the twin are measured alternately this many times each; the figure is the mean. */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/backup_gateway_bench';

/** The bench database URL, or a sibling database `<name>_<suffix>` (one per bench, so runs never see each other's rows). */
export function benchDatabaseUrl(suffix?: string): string {
  if (!suffix) return BASE_URL;
  const u = new URL(BASE_URL);
  u.pathname = `${u.pathname.replace(/^\//, '')}_${suffix}`;
  return u.toString();
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------
// Environment and database

/** Secrets and settings every child of one bench run shares (a fresh queue prefix per run). */
export interface BenchEnv {
  databaseUrl: string;
  adminKey: string;
  env: NodeJS.ProcessEnv;
}

export function benchEnv(databaseUrl: string, extra: Record<string, string> = {}): BenchEnv {
  const adminKey = `admin_${randomBytes(24).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    ADMIN_API_KEY: adminKey,
    MASTER_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    QUEUE_PREFIX: `bench_${randomBytes(4).toString('hex')}`,
    MAINTENANCE_ENABLED: 'false',
    NODE_EXTRA_CA_CERTS: SANDBOX_CERT,
    SANDBOX_CERT_PATH: SANDBOX_CERT,
    // The limiter runs on every request (its cost is measured) but never refuses the load generator. Its
    // lease is 2% of the quota as in production: a key that can sustain this load has a quota this large.
    RATE_LIMIT_PER_KEY: '1000000000',
    RATE_LIMIT_PER_TENANT: '1000000000',
    ...extra,
  };
  return { databaseUrl, adminKey, env };
}

/** Creates the database when missing and runs the migrations (as the owner). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const admin = new URL(databaseUrl);
  const name = decodeURIComponent(admin.pathname.replace(/^\//, ''));
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (e) {
    if ((e as { code?: string }).code !== '42P04') throw e;
  } finally {
    await client.end();
  }
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: databaseUrl,
    NODE_ENV: 'test',
    ADMIN_API_KEY: undefined,
    MASTER_KEY: undefined,
  });
  const owner = createOwnerDataSource(config, 1);
  await owner.initialize();
  try {
    await migrate(owner, config);
  } finally {
    await owner.destroy();
  }
}

/** Empties every table a run writes (all but the migrations' own and the seeded error catalog). */
export async function resetDatabase(databaseUrl: string): Promise<void> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const { rows } = await pool.query<{ t: string }>(
      `SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('migrations', 'error_catalog', 'audit_log')`,
    );
    await pool.query(`TRUNCATE ${rows.map((r) => r.t).join(', ')} CASCADE`);
    // The audit log is append-only (TRUNCATE refused): emptied through its retention prune, as the owner.
    while ((await pool.query<{ n: number }>(`SELECT audit_log_prune(now() + interval '1 day', 100000) AS n`)).rows[0].n > 0);
  } finally {
    await pool.end();
  }
}

export interface SeededTenant {
  partnerId: string;
  tenantId: string;
  connectionId: string;
  /** A tenant API key (bgk_...). */
  key: string;
}

/** A partner, a tenant, its API key and one connection (vendor `vendor`, at `endpoint`). */
export async function seedTenant(pool: Pool, opts: { name?: string; vendor?: string; endpoint?: string } = {}): Promise<SeededTenant> {
  const partnerId = newId();
  const tenantId = newId();
  const connectionId = newId();
  const key = generateApiKey();
  const name = opts.name ?? 'bench';
  await pool.query('INSERT INTO partners (id, name) VALUES ($1, $2)', [partnerId, name]);
  await pool.query('INSERT INTO tenants (id, partner_id, name) VALUES ($1, $2, $3)', [tenantId, partnerId, name]);
  await pool.query(
    `INSERT INTO api_keys (id, role, partner_id, tenant_id, name, prefix, key_hash) VALUES ($1, 'tenant', $2, $3, $4, $5, $6)`,
    [newId(), partnerId, tenantId, name, key.prefix, key.hash],
  );
  await pool.query(
    `INSERT INTO connections (id, tenant_id, vendor, display_name, endpoint, secret_ciphertext, secret_wrapped_key, secret_key_id)
    VALUES ($1, $2, $3, $4, $5, '\\x00', '\\x00', 'k1')`,
    [connectionId, tenantId, opts.vendor ?? 'graph', name, opts.endpoint ?? 'https://example.invalid'],
  );
  return { partnerId, tenantId, connectionId, key: key.key };
}

/** A policy protecting one item with one restore point on the tenant's connection; returns the restore point id. */
export async function seedRestorePoint(pool: Pool, t: SeededTenant, workload = 'sharepoint'): Promise<string> {
  const policyId = newId();
  const itemId = newId();
  const pointId = newId();
  const {
    rows: [c],
  } = await pool.query('SELECT vendor FROM connections WHERE id = $1', [t.connectionId]);
  await pool.query(
    `INSERT INTO policies (id, tenant_id, connection_id, vendor, workload, display_name, status, desired_active, vendor_ref)
    VALUES ($1, $2, $3, $4, $5, 'bench', 'active', true, 'policy-1')`,
    [policyId, t.tenantId, t.connectionId, c.vendor, workload],
  );
  await pool.query(
    `INSERT INTO protected_items (id, tenant_id, policy_id, connection_id, kind, external_id, display_name, status, vendor_ref)
    VALUES ($1, $2, $3, $4, 'site', 'site-1', 'Site 1', 'protected', 'item-1')`,
    [itemId, t.tenantId, policyId, t.connectionId],
  );
  await pool.query(
    `INSERT INTO restore_points (id, tenant_id, connection_id, protected_item_id, vendor_ref, point_in_time)
    VALUES ($1, $2, $3, $4, 'point-1', now() - interval '1 hour')`,
    [pointId, t.tenantId, t.connectionId, itemId],
  );
  return pointId;
}

/**
 * SQL for a time-ordered UUID (version 7 layout, like newId) from a millisecond timestamp and a row
 * number, so rows seeded by generate_series sort like rows the gateway writes.
 */
export function uuidv7Sql(msExpr: string, nExpr: string): string {
  const rnd = `md5(${nExpr}::text || '${randomBytes(4).toString('hex')}')`;
  return `(lpad(to_hex(${msExpr}), 12, '0') || '7' || substr(${rnd}, 1, 3) || '8' || substr(${rnd}, 4, 15))::uuid`;
}

/**
 * Inserts `count` finished restore jobs of one tenant with ONE INSERT ... SELECT generate_series.
 * The events trigger is skipped for the seeding session (session_replication_role = replica): the
 * reads under test never look at events, and 1M event rows would only slow seeding down.
 */
export async function seedRestoreJobs(databaseUrl: string, t: SeededTenant, count: number): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SET session_replication_role = replica');
    const base = Date.now() - count - 60_000;
    await client.query(
      `INSERT INTO restore_jobs (id, tenant_id, connection_id, vendor, workload, destination, status, items, created_at, updated_at, completed_at, deadline_at)
       SELECT ${uuidv7Sql(`(${base} + n)`, 'n')}, $1, $2, 'graph', 'sharepoint', 'original', 'succeeded',
              jsonb_build_array(jsonb_build_object('restorePointId', gen_random_uuid(), 'protectedItemId', gen_random_uuid(),
                'externalId', 'site-' || n, 'restorePointRef', 'rp-' || n, 'protectedItemRef', 'pi-' || n,
                'pointInTime', now(), 'status', 'succeeded')),
              now(), now(), now(), now() + interval '1 day'
         FROM generate_series(1, $3::int) AS n`,
      [t.tenantId, t.connectionId, count],
    );
    await client.query('ANALYZE restore_jobs');
  } finally {
    await client.end();
  }
}

/** A job id from the middle of the tenant's jobs (by id order). */
export async function middleJobId(pool: Pool, tenantId: string): Promise<string> {
  const { rows } = await pool.query(
    `SELECT id FROM restore_jobs WHERE tenant_id = $1 ORDER BY id OFFSET (SELECT count(*) / 2 FROM restore_jobs WHERE tenant_id = $1) LIMIT 1`,
    [tenantId],
  );
  return rows[0].id;
}

// ---------------------------------------------------------------------------------------------------
// Child processes

/** Children still running; killed when this process exits, however it exits. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => ok(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface Service {
  name: string;
  pid: number;
  /** Where it listens (http://127.0.0.1:<port>), for HTTP services. */
  url: string;
  port: number;
  logFile: string;
  /** Resident set size in bytes, from /proc. */
  rss(): number;
  /** CPU time used so far (user + system), in milliseconds, from /proc. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/**
 * Starts `node <dist script>` with `env` and PORT set, and waits until `ready` (a path on
 * http://127.0.0.1:<port>, or a function of the port giving a URL) answers 200, or until `check`
 * holds. Its output goes to .data/bench/<name>.log.
 */
export async function startService(
  name: string,
  script: string,
  env: NodeJS.ProcessEnv,
  opts: { ready?: string | ((port: number) => string); check?: () => Promise<boolean>; port?: number; nodeArgs?: string[] } = {},
): Promise<Service> {
  const path = resolve(DIST, script);
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build first`);
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = resolve(LOG_DIR, `${name}.log`);
  writeFileSync(logFile, '');
  const port = opts.port ?? (await freePort());
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), path], {
    cwd: ROOT,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', SANDBOX_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const log = (chunk: Buffer) => appendFileSync(logFile, chunk);
  child.stdout!.on('data', log);
  child.stderr!.on('data', log);
  let exited: string | undefined;
  const exit = new Promise<void>((r) =>
    child.on('exit', (code, signal) => {
      exited = `exited (${signal ?? code})`;
      running.delete(child);
      r();
    }),
  );
  const tail = () => readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
  const url = `http://127.0.0.1:${port}`;
  const readyUrl = typeof opts.ready === 'function' ? opts.ready(port) : opts.ready ? `${url}${opts.ready}` : undefined;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${name} ${exited} before it was ready:\n${tail()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within 60 s:\n${tail()}`);
    }
    if (readyUrl) {
      try {
        const res = await fetch(readyUrl);
        if (res.ok) break;
      } catch {
        /* not yet */
      }
    } else if (!opts.check || (await opts.check())) {
      break;
    }
    await sleep(200);
  }
  return {
    name,
    pid: child.pid!,
    url,
    port,
    logFile,
    rss: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    },
    cpuMs: () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** The gateway from dist (apps/gateway/src/main.js). */
export function startGateway(env: NodeJS.ProcessEnv, name = 'gateway', nodeArgs: string[] = []): Promise<Service> {
  return startService(name, 'apps/gateway/src/main.js', env, { ready: '/health/ready', nodeArgs });
}

/** The worker from dist (apps/worker/src/main.js); ready when a consumer of the restore-jobs queue is connected. */
export async function startWorker(env: NodeJS.ProcessEnv, name = 'worker'): Promise<Service> {
  const queue = new Queue(QUEUES.restoreJobs, { connection: redisConnection(env), prefix: env.QUEUE_PREFIX });
  try {
    // Several workers may run at once: each metrics listener takes a free port unless one is given.
    return await startService(
      name,
      'apps/worker/src/main.js',
      { WORKER_METRICS_PORT: '0', ...env },
      {
        check: async () => (await queue.getWorkers()).length > 0,
      },
    );
  } finally {
    await queue.close();
  }
}

/** BullMQ connection options for env.REDIS_URL. */
export function redisConnection(env: NodeJS.ProcessEnv): ConnectionOptions {
  const u = new URL(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username || undefined,
    password: u.password || undefined,
    db: Number(u.pathname.slice(1) || 0),
    maxRetriesPerRequest: null,
  };
}

/** The vendor sandbox from dist (apps/sandbox/src/main.js), on https://localhost:<port>. */
export async function startSandbox(env: NodeJS.ProcessEnv): Promise<Service & { origin: string }> {
  const svc = await startService('sandbox', 'apps/sandbox/src/main.js', env, { ready: (port) => `https://localhost:${port}/_sandbox` });
  return { ...svc, origin: `https://localhost:${svc.port}` };
}

/** A twin from dist/bench/twins (it answers GET /health when ready). */
export function startTwin(script: string, env: NodeJS.ProcessEnv, name = 'twin'): Promise<Service> {
  return startService(name, `bench/twins/${script}`, env, { ready: '/health' });
}

// ---------------------------------------------------------------------------------------------------
// Load

export interface LoadSpec {
  url: string;
  path: string;
  key: string;
  method?: 'GET' | 'POST';
  body?: unknown;
  /** A fresh Idempotency-Key on every request. */
  idempotencyKey?: boolean;
  seconds?: number;
  connections?: number;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
}

/** Runs autocannon against one endpoint; any non-2xx answer fails the bench (with a sample answer). */
export async function load(spec: LoadSpec): Promise<LoadResult> {
  const headers: Record<string, string> = { authorization: `Bearer ${spec.key}` };
  if (spec.body !== undefined) headers['content-type'] = 'application/json';
  let firstError: string | undefined;
  const result = await runAutocannon(
    {
      url: spec.url,
      connections: spec.connections ?? CONNECTIONS,
      duration: spec.seconds ?? SECONDS,
      requests: [
        {
          method: spec.method ?? 'GET',
          path: spec.path,
          headers,
          body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
          ...(spec.idempotencyKey
            ? {
                setupRequest: (req: { headers: Record<string, string> }) => ({
                  ...req,
                  headers: { ...req.headers, 'idempotency-key': randomBytes(12).toString('hex') },
                }),
              }
            : {}),
        },
      ],
    },
    (e) => {
      firstError ??= e.message;
    },
  );
  if (result.non2xx > 0 || result.errors > 0) {
    const sample = await fetch(`${spec.url}${spec.path}`, {
      method: spec.method ?? 'GET',
      headers: { ...headers, 'idempotency-key': randomBytes(12).toString('hex') },
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
    });
    throw new Error(
      `${spec.method ?? 'GET'} ${spec.url}${spec.path}: ${result.non2xx} non-2xx answers and ${result.errors} errors` +
        `${firstError ? ` (first: ${firstError})` : ''}, e.g. ${sample.status} ${(await sample.text()).slice(0, 500)}`,
    );
  }
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total };
}

/** autocannon with its result as a promise and request errors reported to `onError`. */
export function runAutocannon(opts: Record<string, unknown>, onError?: (e: Error) => void): Promise<any> {
  return new Promise((ok, fail) => {
    const instance = autocannon(opts, (e: Error | null, result: unknown) => (e ? fail(e) : ok(result)));
    if (onError) instance.on('reqError', onError);
  });
}

/**
 * Measures ours and the twin alternately (after one short warm-up of each), ROUNDS times each, and
 * returns the mean req/s of both. Alternating spreads the machine's drift over both sides.
 */
export async function compare(
  ours: LoadSpec,
  twin: LoadSpec,
  label: string,
  names: [string, string] = ['ours', 'twin'],
): Promise<{ ours: number; twin: number; oursP99: number; twinP99: number }> {
  await load({ ...twin, seconds: 3 });
  await load({ ...ours, seconds: 3 });
  const o: LoadResult[] = [];
  const t: LoadResult[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    t.push(await load(twin));
    o.push(await load(ours));
    say(
      `  ${label} round ${i + 1}: ${names[0]} ${o[i].rps.toFixed(0)} req/s (p50 ${o[i].p50} ms, p99 ${o[i].p99} ms), ${names[1]} ${t[i].rps.toFixed(0)} req/s (p50 ${t[i].p50} ms, p99 ${t[i].p99} ms)`,
    );
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    ours: mean(o.map((r) => r.rps)),
    twin: mean(t.map((r) => r.rps)),
    oursP99: mean(o.map((r) => r.p99)),
    twinP99: mean(t.map((r) => r.p99)),
  };
}

// ---------------------------------------------------------------------------------------------------
// Results

export interface BenchResult {
  bench: string;
  /** What was compared, e.g. "GET restore job by id, 1k jobs". */
  name: string;
  ours: number;
  base: number;
  unit: string;
  /** ours / base when higher is better (throughput); base / ours when lower is better (growth, latency). */
  ratio: number;
  /** e.g. ">= 0.70". */
  target: string;
  pass: boolean;
  baseLabel: string;
}

export function atLeast(
  bench: string,
  name: string,
  ours: number,
  base: number,
  unit: string,
  min: number,
  baseLabel = 'twin',
): BenchResult {
  const ratio = ours / base;
  return { bench, name, ours, base, unit, ratio, target: `>= ${min.toFixed(2)}`, pass: ratio >= min, baseLabel };
}

/** A figure that must stay at or below `max` times its baseline (e.g. memory growth). */
export function atMost(bench: string, name: string, ours: number, base: number, unit: string, max: number, baseLabel: string): BenchResult {
  const ratio = ours / base;
  return { bench, name, ours, base, unit, ratio, target: `<= ${max.toFixed(2)}`, pass: ratio <= max, baseLabel };
}

export function formatTable(results: BenchResult[]): string {
  const rows = results.map((r) => [
    r.name,
    `${fmt(r.ours)} ${r.unit}`,
    `${fmt(r.base)} ${r.unit} (${r.baseLabel})`,
    r.ratio.toFixed(2),
    r.target,
    r.pass ? 'PASS' : 'BELOW',
  ]);
  const head = ['benchmark', 'ours', 'baseline', 'ratio', 'target', 'result'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function fmt(n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2);
}

/**
 * Prints the table and, when BENCH_RESULTS_FILE is set (by `npm run bench`), appends the results
 * there as JSON lines for the summary.
 */
export function report(results: BenchResult[]): void {
  say('');
  say(formatTable(results));
  const file = process.env.BENCH_RESULTS_FILE;
  if (file) appendFileSync(file, results.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/** Runs a bench's main: exits 0 when it completed (whatever the ratios), 1 on an error. */
export function runBench(main: () => Promise<void>): void {
  void main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
      process.exit(1);
    },
  );
}

// ---------------------------------------------------------------------------------------------------
// API and sandbox control

/** Calls the gateway's API; returns the parsed body, failing on an unexpected status (default: any 2xx). */
export async function api(base: string, key: string, method: string, path: string, body?: unknown, status?: number): Promise<any> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (status ? res.status !== status : !res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}

/** Control of one simulated vendor account over the sandbox's control API (/_sandbox/<vendor>/scopes/<scope>). */
export class SandboxControl {
  constructor(
    readonly origin: string,
    readonly vendorPrefix: string,
    readonly scope: string,
  ) {}

  private async call(method: string, suffix: string, body?: unknown): Promise<any> {
    const res = await fetch(`${this.origin}/_sandbox/${this.vendorPrefix}/scopes/${encodeURIComponent(this.scope)}${suffix}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`sandbox control ${method} ${suffix}: ${res.status} ${await res.text()}`);
    return res.json();
  }

  injectFault(fault: { latencyMs?: number; count?: number; status?: number; path?: string }): Promise<void> {
    return this.call('POST', '/faults', fault);
  }
  async calls(): Promise<unknown[]> {
    return (await this.call('GET', '/calls')).calls;
  }
  clearCalls(): Promise<void> {
    return this.call('DELETE', '/calls');
  }
  advanceClock(ms: number): Promise<void> {
    return this.call('POST', '/clock', { advanceMs: ms });
  }
  configure(config: Record<string, unknown>): Promise<void> {
    return this.call('PATCH', '/config', config);
  }
}

export interface VeeamAccount {
  tenantId: string;
  connectionId: string;
  username: string;
  password: string;
  control: SandboxControl;
  /** A tenant API key. */
  key: string;
  /** The restore point the bench restores, with its protected item's ids. */
  point: { id: string; protected_item_id: string; vendor_ref: string; point_in_time: Date; external_id: string; item_ref: string };
  /** A restore target for destination 'new'. */
  target: { siteUrl: string };
}

/**
 * A simulated Veeam server (sandbox scope) connected and protected through the gateway's API, the
 * way a partner would: partner, tenant, connection, a policy over one site; returns once the first
 * restore point is listed. Backups run at once and restores take 500 ms in the simulator.
 */
export async function setupVeeamAccount(
  gatewayUrl: string,
  adminKey: string,
  origin: string,
  pool: Pool,
  i: number,
): Promise<VeeamAccount> {
  const username = `bench-veeam-${randomBytes(5).toString('hex')}`;
  const password = veeamSandboxPassword(username);
  const control = new SandboxControl(origin, 'veeam', username);
  await control.configure({ firstBackupDelayMs: 0, backupDurationMs: 1000, restoreDurationMs: 500 });
  const partner = await api(gatewayUrl, adminKey, 'POST', '/v1/partners', { name: `bench ${i}` }, 201);
  const partnerKey = partner.apiKey.key as string;
  const tenant = await api(gatewayUrl, partnerKey, 'POST', '/v1/tenants', { name: `bench ${i}` }, 201);
  const T = `/v1/tenants/${tenant.id}`;
  const tenantKey = (await api(gatewayUrl, partnerKey, 'POST', '/v1/api-keys', { name: 'bench', tenantId: tenant.id }, 201)).key as string;
  const connection = await api(
    gatewayUrl,
    tenantKey,
    'POST',
    `${T}/connections`,
    {
      vendor: 'veeam',
      displayName: 'Veeam sandbox',
      endpoint: `${origin}/veeam`,
      credentials: { username, password },
    },
    201,
  );
  const site = veeamFixtureSites(username)[0];
  const policy = await api(gatewayUrl, tenantKey, 'POST', `${T}/policies`, {
    connectionId: connection.id,
    workload: 'sharepoint',
    displayName: 'bench',
    items: [{ externalId: site.id, displayName: site.title }],
  });
  await until(async () => (await api(gatewayUrl, tenantKey, 'GET', `${T}/policies/${policy.id}`)).status === 'active', 'policy active');
  await control.advanceClock(5 * 60_000);
  await until(async () => (await api(gatewayUrl, tenantKey, 'GET', `${T}/restore-points`)).items.length > 0, 'first restore point');
  const {
    rows: [point],
  } = await pool.query(
    `SELECT rp.id, rp.protected_item_id, rp.vendor_ref, rp.point_in_time, i.external_id, i.vendor_ref AS item_ref
       FROM restore_points rp JOIN protected_items i ON i.id = rp.protected_item_id WHERE rp.tenant_id = $1 LIMIT 1`,
    [tenant.id],
  );
  return {
    tenantId: tenant.id,
    connectionId: connection.id,
    username,
    password,
    control,
    key: tenantKey,
    point,
    target: { siteUrl: `https://${serverSlug(username)}.sharepoint.com/sites/Restored` },
  };
}

/** Polls `check` until it holds (fails after `timeoutMs`). */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await sleep(250);
  }
}
