// The hand-written twin of the restore-job worker: a bare BullMQ Worker (same concurrency as ours)
// that carries each job through the same vendor account with the same number of HTTP calls (each
// slowed by the sandbox's latency fault, like ours) and one UPDATE per state change:
//   queued -> submitting, half the calls, -> running, the other half, -> succeeded.
// No outbox, no checkpoints, no polling schedule, no row-level security (it connects as the owner).
// Env: DATABASE_URL, DATABASE_POOL_SIZE (default 20), REDIS_URL, QUEUE_PREFIX, WORKER_CONCURRENCY,
// PORT (GET /health once the worker is connected), TWIN_VENDOR = {"origin", "accounts": {connectionId: {username, password}}}.
// Job data: { restoreJobId, connectionId, calls }.
import { createServer } from 'node:http';
import { Worker, type Job } from 'bullmq';
import { Pool } from 'pg';

export const TWIN_QUEUE = 'restore-jobs-twin';

const vendor = JSON.parse(process.env.TWIN_VENDOR ?? '{}') as {
  origin: string;
  accounts: Record<string, { username: string; password: string }>;
};
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 20) });
const tokens = new Map<string, Promise<string>>();

/** One Veeam token per account, fetched once (ours caches its tokens too). */
function token(connectionId: string): Promise<string> {
  let t = tokens.get(connectionId);
  if (!t) {
    const { username, password } = vendor.accounts[connectionId];
    t = fetch(`${vendor.origin}/veeam/v8/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
    }).then(async (res) => {
      if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    });
    tokens.set(connectionId, t);
  }
  return t;
}

async function vendorCall(connectionId: string): Promise<void> {
  const res = await fetch(`${vendor.origin}/veeam/v8/Organizations`, { headers: { authorization: `Bearer ${await token(connectionId)}` } });
  if (!res.ok) throw new Error(`vendor call: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

async function run(job: Job<{ restoreJobId: string; connectionId: string; calls: number }>): Promise<void> {
  const { restoreJobId: id, connectionId, calls } = job.data;
  const half = Math.floor(calls / 2);
  await pool.query(`UPDATE restore_jobs SET status = 'submitting', updated_at = now() WHERE id = $1`, [id]);
  for (let i = 0; i < half; i++) await vendorCall(connectionId);
  await pool.query(`UPDATE restore_jobs SET status = 'running', vendor_ref = 'twin', updated_at = now() WHERE id = $1`, [id]);
  for (let i = half; i < calls; i++) await vendorCall(connectionId);
  await pool.query(`UPDATE restore_jobs SET status = 'succeeded', completed_at = now(), updated_at = now() WHERE id = $1`, [id]);
}

const redis = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const worker = new Worker(TWIN_QUEUE, run, {
  connection: { host: redis.hostname, port: Number(redis.port || 6379), maxRetriesPerRequest: null },
  prefix: process.env.QUEUE_PREFIX,
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 50),
});
worker.on('failed', (job, err) => process.stderr.write(`twin job ${job?.id} failed: ${err.message}\n`));

void worker.waitUntilReady().then(() => {
  createServer((_req, res) => res.end('ok')).listen(Number(process.env.PORT ?? 0), '127.0.0.1');
});
process.on(
  'SIGTERM',
  () =>
    void worker
      .close()
      .then(() => pool.end())
      .then(() => process.exit(0)),
);
