// GET a restore job by id: the gateway (dist, its own process) against the hand-written twin
// (bench/twins/restore-jobs.twin.ts, its own process), both measured alternately in the same run with
// autocannon from this process. Tenants with 1k and 100k jobs. Targets: GET by id >= 0.70x the twin's
// req/s; a list page (limit 50) >= 0.60x.
// Run: npm run bench:get   (BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_LARGE_JOBS)
import { Pool } from 'pg';
import {
  atLeast,
  benchDatabaseUrl,
  benchEnv,
  compare,
  ensureDatabase,
  middleJobId,
  report,
  resetDatabase,
  runBench,
  say,
  seedRestoreJobs,
  seedTenant,
  startGateway,
  startTwin,
  type BenchResult,
} from './support';

const TARGET = 0.7;
const LIST_TARGET = 0.6;

async function main(): Promise<void> {
  const databaseUrl = benchDatabaseUrl('get');
  await ensureDatabase(databaseUrl);
  await resetDatabase(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const sizes = [1_000, Number(process.env.BENCH_LARGE_JOBS ?? 100_000)];
  const tenants = [];
  for (const n of sizes) {
    const t = await seedTenant(pool, { name: `get-${n}` });
    await seedRestoreJobs(databaseUrl, t, n);
    tenants.push({ n, t, jobId: await middleJobId(pool, t.tenantId) });
  }
  await pool.end();

  const { env } = benchEnv(databaseUrl);
  const gateway = await startGateway(env);
  const twin = await startTwin('restore-jobs.twin.js', env);
  const results: BenchResult[] = [];
  try {
    for (const { n, t, jobId } of tenants) {
      const path = `/v1/tenants/${t.tenantId}/restore-jobs/${jobId}`;
      const label = `GET restore job by id, ${n / 1000}k jobs in tenant`;
      say(label);
      const r = await compare({ url: gateway.url, path, key: t.key }, { url: twin.url, path, key: t.key }, 'get');
      results.push(atLeast('get', label, r.ours, r.twin, 'req/s', TARGET));
      const listPath = `/v1/tenants/${t.tenantId}/restore-jobs?limit=50`;
      const listLabel = `GET a list page (limit 50), ${n / 1000}k jobs in tenant`;
      say(listLabel);
      const l = await compare({ url: gateway.url, path: listPath, key: t.key }, { url: twin.url, path: listPath, key: t.key }, 'get');
      results.push(atLeast('get', listLabel, l.ours, l.twin, 'req/s', LIST_TARGET));
    }
  } finally {
    await gateway.stop();
    await twin.stop();
  }
  report(results);
}

runBench(main);
