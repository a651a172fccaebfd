// Soak: the gateway and the worker (dist, their own processes) under steady load for
// BENCH_SOAK_MINUTES (default 30): GETs of a restore job and of the job list, and restore jobs POSTed
// through the API that the worker carries through the Veeam simulator (every vendor call 50 ms slower).
// RSS of both processes is sampled every BENCH_SOAK_SAMPLE_SECONDS. After a warm-up (a fifth of the
// run, at most 5 minutes) the mean of the first tenth of the samples (at least three) is the start and
// the mean of the last tenth the end, so one garbage-collection sawtooth does not decide the figure.
// Target: each grows by at most 10%. Samples go to .data/bench/soak-samples.csv.
// Run: npm run bench:soak   (BENCH_SOAK_MINUTES=2 for a short check; BENCH_SOAK_GET_RPS, BENCH_SOAK_POST_RPS)
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'pg';
import {
  LOG_DIR,
  api,
  atMost,
  benchDatabaseUrl,
  benchEnv,
  ensureDatabase,
  report,
  resetDatabase,
  runBench,
  say,
  setupVeeamAccount,
  sleep,
  startGateway,
  startSandbox,
  startWorker,
  type Service,
  type VeeamAccount,
} from './support';

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 30);
const WARMUP_MS = Math.min(5, MINUTES / 5) * 60_000;
const SAMPLE_MS = Number(process.env.BENCH_SOAK_SAMPLE_SECONDS ?? (MINUTES >= 10 ? 10 : 5)) * 1000;
const GET_RPS = Number(process.env.BENCH_SOAK_GET_RPS ?? 200);
const POST_RPS = Number(process.env.BENCH_SOAK_POST_RPS ?? 5);
const MAX_GROWTH = 1.1;

interface Sample {
  at: number;
  gateway: number;
  worker: number;
}

/** POSTs restore jobs at `rps` until `stop`, round-robin over the accounts; returns how many were accepted. */
async function postJobs(
  gatewayUrl: string,
  accounts: VeeamAccount[],
  rps: number,
  stop: () => boolean,
): Promise<{ accepted: number; failed: number }> {
  let accepted = 0;
  let failed = 0;
  for (let i = 0; !stop(); i++) {
    const next = Date.now() + 1000 / rps;
    const a = accounts[i % accounts.length];
    const res = await fetch(`${gatewayUrl}/v1/tenants/${a.tenantId}/restore-jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json', 'idempotency-key': randomBytes(12).toString('hex') },
      body: JSON.stringify({ items: [{ restorePointId: a.point.id }], destination: 'new', target: a.target }),
    });
    await res.arrayBuffer();
    if (res.status === 202) accepted++;
    else failed++;
    await sleep(Math.max(0, next - Date.now()));
  }
  return { accepted, failed };
}

const mb = (bytes: number) => bytes / 1024 / 1024;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main(): Promise<void> {
  const databaseUrl = benchDatabaseUrl('soak');
  await ensureDatabase(databaseUrl);
  await resetDatabase(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const { env, adminKey } = benchEnv(databaseUrl);
  const services: Service[] = [];
  try {
    const sandbox = await startSandbox(env);
    services.push(sandbox);
    const gateway = await startGateway(env);
    services.push(gateway);
    const worker = await startWorker(env);
    services.push(worker);
    const accounts = [
      await setupVeeamAccount(gateway.url, adminKey, sandbox.origin, pool, 1),
      await setupVeeamAccount(gateway.url, adminKey, sandbox.origin, pool, 2),
    ];
    for (const a of accounts) await a.control.injectFault({ latencyMs: 50, count: -1 });
    const first = accounts[0];
    const job = await api(
      gateway.url,
      first.key,
      'POST',
      `/v1/tenants/${first.tenantId}/restore-jobs`,
      { items: [{ restorePointId: first.point.id }], destination: 'new', target: first.target },
      202,
    );

    say(
      `soak: ${MINUTES} min (warm-up ${(WARMUP_MS / 60_000).toFixed(1)} min), ${GET_RPS} GET/s, ${POST_RPS} POST/s, RSS sampled every ${SAMPLE_MS / 1000} s`,
    );
    const started = Date.now();
    const end = started + MINUTES * 60_000;
    const samples: Sample[] = [];
    const timer = setInterval(() => samples.push({ at: Date.now() - started, gateway: gateway.rss(), worker: worker.rss() }), SAMPLE_MS);
    const T = `/v1/tenants/${first.tenantId}`;
    const reads = autocannon({
      url: gateway.url,
      connections: 8,
      duration: MINUTES * 60,
      overallRate: GET_RPS,
      headers: { authorization: `Bearer ${first.key}` },
      requests: [
        { method: 'GET', path: `${T}/restore-jobs/${job.id}` },
        { method: 'GET', path: `${T}/restore-jobs?limit=50` },
      ],
    });
    const posts = postJobs(gateway.url, accounts, POST_RPS, () => Date.now() >= end);
    const progress = setInterval(
      () => {
        const s = samples[samples.length - 1];
        if (s) say(`  ${(s.at / 60_000).toFixed(1)} min: gateway ${mb(s.gateway).toFixed(1)} MB, worker ${mb(s.worker).toFixed(1)} MB`);
      },
      Math.max(SAMPLE_MS, 60_000),
    );
    const [readResult, postResult] = await Promise.all([reads, posts]);
    clearInterval(timer);
    clearInterval(progress);
    const {
      rows: [jobs],
    } = await pool.query(`SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded FROM restore_jobs`);

    writeFileSync(
      resolve(LOG_DIR, 'soak-samples.csv'),
      `seconds,gateway_rss_bytes,worker_rss_bytes\n${samples.map((s) => `${(s.at / 1000).toFixed(0)},${s.gateway},${s.worker}`).join('\n')}\n`,
    );
    const afterWarmup = samples.filter((s) => s.at >= WARMUP_MS);
    if (afterWarmup.length < 6) throw new Error(`too few samples after the warm-up (${afterWarmup.length}); run longer`);
    const window = Math.max(3, Math.round(afterWarmup.length / 10));
    const startOf = (k: 'gateway' | 'worker') => mean(afterWarmup.slice(0, window).map((s) => mb(s[k])));
    const endOf = (k: 'gateway' | 'worker') => mean(afterWarmup.slice(-window).map((s) => mb(s[k])));
    const peak = (k: 'gateway' | 'worker') => Math.max(...afterWarmup.map((s) => mb(s[k])));
    say(
      `  RSS after warm-up (MB, mean of ${window} samples): gateway ${startOf('gateway').toFixed(1)} -> ${endOf('gateway').toFixed(1)} (peak ${peak('gateway').toFixed(1)}), ` +
        `worker ${startOf('worker').toFixed(1)} -> ${endOf('worker').toFixed(1)} (peak ${peak('worker').toFixed(1)})`,
    );
    say(
      `  reads: ${readResult.requests.total} (${readResult.non2xx} non-2xx, ${readResult.errors} errors); POSTs: ${postResult.accepted} accepted, ${postResult.failed} refused; ` +
        `jobs: ${jobs.total} stored, ${jobs.succeeded} succeeded`,
    );
    if (readResult.non2xx || readResult.errors || postResult.failed) throw new Error('the soak load saw errors; see .data/bench/*.log');
    report([
      atMost('soak', `gateway RSS over a ${MINUTES} min soak`, endOf('gateway'), startOf('gateway'), 'MB', MAX_GROWTH, 'after warm-up'),
      atMost('soak', `worker RSS over a ${MINUTES} min soak`, endOf('worker'), startOf('worker'), 'MB', MAX_GROWTH, 'after warm-up'),
    ]);
  } finally {
    for (const s of services.reverse()) await s.stop();
    await pool.end();
  }
}

runBench(main);
