// The own-API rate limiter's cost on the GET path: the same gateway build twice (its own process each),
// RATE_LIMIT_ENABLED=true vs false, loaded alternately in the same run with autocannon (GET a restore job
// by id, 1k jobs in the tenant). Reported: req/s, and the gateway's CPU time per request (from /proc),
// which a machine busy with other work disturbs far less than req/s. Target: the limited gateway spends
// at most 1.05x the unlimited one's CPU per request, and serves >= 0.95x its req/s.
// Run: npm run bench:rate-limit   (BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS)
import { Pool } from 'pg';
import {
  atLeast,
  atMost,
  benchDatabaseUrl,
  benchEnv,
  ensureDatabase,
  load,
  middleJobId,
  report,
  resetDatabase,
  runBench,
  say,
  seedRestoreJobs,
  seedTenant,
  startGateway,
  ROUNDS,
  type BenchResult,
  type LoadSpec,
  type Service,
} from './support';

const TARGET = 0.95;
const CPU_TARGET = 1.05;

/** Requests per second and CPU microseconds per request of one load run against `svc`. */
async function measure(svc: Service, spec: LoadSpec): Promise<{ rps: number; cpuUsPerReq: number }> {
  const before = svc.cpuMs();
  const r = await load(spec);
  return { rps: r.rps, cpuUsPerReq: ((svc.cpuMs() - before) * 1000) / Math.max(1, r.requests) };
}

async function main(): Promise<void> {
  const databaseUrl = benchDatabaseUrl('ratelimit');
  await ensureDatabase(databaseUrl);
  await resetDatabase(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const t = await seedTenant(pool, { name: 'ratelimit' });
  await seedRestoreJobs(databaseUrl, t, 1_000);
  const jobId = await middleJobId(pool, t.tenantId);
  await pool.end();

  const { env } = benchEnv(databaseUrl);
  // BENCH_LEASE_PERCENT=0 measures the worst case: every request counted in Redis (one round trip each).
  const lease = process.env.BENCH_LEASE_PERCENT ?? '2';
  // BENCH_CONTROL=1 runs the limiter off on both sides (an A/A control of the measurement itself).
  const enabled = process.env.BENCH_CONTROL === '1' ? 'false' : 'true';
  const limited = await startGateway({ ...env, RATE_LIMIT_ENABLED: enabled, RATE_LIMIT_LEASE_PERCENT: lease }, 'gateway-limited');
  const unlimited = await startGateway({ ...env, RATE_LIMIT_ENABLED: 'false' }, 'gateway-unlimited');
  try {
    const path = `/v1/tenants/${t.tenantId}/restore-jobs/${jobId}`;
    const label = `GET restore job by id, rate limiter on (lease ${lease}% of the quota) vs off`;
    say(label);
    const on: Array<{ rps: number; cpuUsPerReq: number }> = [];
    const off: Array<{ rps: number; cpuUsPerReq: number }> = [];
    await measure(limited, { url: limited.url, path, key: t.key, seconds: 3 });
    await measure(unlimited, { url: unlimited.url, path, key: t.key, seconds: 3 });
    const rounds = Math.max(ROUNDS, 9);
    for (let i = 0; i < rounds; i++) {
      off.push(await measure(unlimited, { url: unlimited.url, path, key: t.key }));
      on.push(await measure(limited, { url: limited.url, path, key: t.key }));
      say(
        `  round ${i + 1}: limiter on ${on[i].rps.toFixed(0)} req/s, ${on[i].cpuUsPerReq.toFixed(0)} µs CPU/req; ` +
          `limiter off ${off[i].rps.toFixed(0)} req/s, ${off[i].cpuUsPerReq.toFixed(0)} µs CPU/req`,
      );
    }
    // Medians: on a machine shared with other work a round can be several times off; the median pair is not.
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const results: BenchResult[] = [
      atLeast('rate-limit', `${label}, req/s`, median(on.map((r) => r.rps)), median(off.map((r) => r.rps)), 'req/s', TARGET, 'limiter off'),
      atMost(
        'rate-limit',
        `${label}, gateway CPU per request`,
        median(on.map((r) => r.cpuUsPerReq)),
        median(off.map((r) => r.cpuUsPerReq)),
        'µs/req',
        CPU_TARGET,
        'limiter off',
      ),
    ];
    report(results);
  } finally {
    await limited.stop();
    await unlimited.stop();
  }
}

runBench(main);
