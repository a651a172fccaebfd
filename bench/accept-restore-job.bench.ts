// Accept a restore job: POST /v1/tenants/{t}/restore-jobs with a fresh Idempotency-Key per request
// (idempotency row + restore_jobs row + event + outbox row, 202) on the gateway, against the twin's
// POST (Fastify + pg: restore point lookup, job row, outbox row and idempotency row in one transaction).
// Both in their own processes, measured alternately with autocannon. Target: ours >= 0.50x the twin.
// Run: npm run bench:accept   (BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS)
import { Pool } from 'pg';
import {
  atLeast,
  benchDatabaseUrl,
  benchEnv,
  compare,
  ensureDatabase,
  report,
  resetDatabase,
  runBench,
  say,
  seedRestorePoint,
  seedTenant,
  startGateway,
  startTwin,
} from './support';

const TARGET = 0.5;

async function main(): Promise<void> {
  const databaseUrl = benchDatabaseUrl('accept');
  await ensureDatabase(databaseUrl);
  await resetDatabase(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const t = await seedTenant(pool, { name: 'accept' });
  const restorePointId = await seedRestorePoint(pool, t);

  const { env } = benchEnv(databaseUrl);
  const gateway = await startGateway(env);
  const twin = await startTwin('restore-jobs.twin.js', env);
  const path = `/v1/tenants/${t.tenantId}/restore-jobs`;
  const body = { items: [{ restorePointId }], destination: 'original' };
  const spec = { path, key: t.key, method: 'POST' as const, body, idempotencyKey: true };
  try {
    say('POST restore job (202 accepted)');
    const r = await compare({ ...spec, url: gateway.url }, { ...spec, url: twin.url }, 'accept');
    const {
      rows: [counts],
    } = await pool.query(
      `SELECT (SELECT count(*) FROM restore_jobs)::int AS jobs, (SELECT count(*) FROM outbox)::int AS outbox, (SELECT count(*) FROM idempotency_keys)::int AS keys`,
    );
    say(`  stored: ${counts.jobs} jobs, ${counts.outbox} outbox rows, ${counts.keys} idempotency rows`);
    report([atLeast('accept', 'POST restore job, 202 accepted', r.ours, r.twin, 'req/s', TARGET)]);
  } finally {
    await gateway.stop();
    await twin.stop();
    await pool.end();
  }
}

runBench(main);
