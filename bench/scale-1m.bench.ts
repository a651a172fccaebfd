// Reads at 1M jobs vs 1k jobs: GET a restore job by id and list restore jobs (limit 50, first page and
// a page from the middle by cursor) on a gateway whose restore_jobs table holds 1k rows against a
// gateway whose table holds 1M rows (one tenant each, in databases of their own). Both gateways run
// from dist in their own processes and are measured alternately with autocannon.
// Target: the 1M figure within 1.2x of the 1k figure (req/s at 1M >= 0.83x req/s at 1k).
// The 1M database is seeded once (one INSERT ... SELECT generate_series) and reused while it holds
// exactly 1M jobs of the bench tenant; BENCH_SCALE_RESEED=1 seeds it again.
// Run: npm run bench:scale   (BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_SCALE_JOBS)
import { Pool } from 'pg';
import { newId } from '@bg/domain';
import { generateApiKey } from '@bg/platform';
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
  type BenchResult,
  type Service,
} from './support';

const SMALL = 1_000;
const LARGE = Number(process.env.BENCH_SCALE_JOBS ?? 1_000_000);
const TARGET = 1 / 1.2;
const TENANT_NAME = 'scale';

interface ScaleDb {
  jobs: number;
  databaseUrl: string;
  tenantId: string;
  key: string;
  middleId: string;
}

/** A database whose restore_jobs table holds exactly `jobs` rows of one tenant: reused when present, else seeded. */
async function scaleDatabase(jobs: number): Promise<ScaleDb> {
  const databaseUrl = benchDatabaseUrl(`scale_${jobs >= 1_000_000 ? `${jobs / 1_000_000}m` : `${jobs / 1000}k`}`);
  await ensureDatabase(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const {
      rows: [existing],
    } = await pool.query(`SELECT t.id, t.partner_id, (SELECT count(*) FROM restore_jobs)::int AS total FROM tenants t WHERE t.name = $1`, [
      TENANT_NAME,
    ]);
    let tenantId: string;
    if (existing && existing.total === jobs && process.env.BENCH_SCALE_RESEED !== '1') {
      tenantId = existing.id;
      say(`  ${databaseUrl.replace(/.*\//, '')}: reusing ${jobs} seeded jobs`);
      // Keys are stored hashed: a fresh one for this run.
      const key = generateApiKey();
      await pool.query(
        `INSERT INTO api_keys (id, role, partner_id, tenant_id, name, prefix, key_hash) VALUES ($1, 'tenant', $2, $3, 'bench run', $4, $5)`,
        [newId(), existing.partner_id, tenantId, key.prefix, key.hash],
      );
      return { jobs, databaseUrl, tenantId, key: key.key, middleId: await middleJobId(pool, tenantId) };
    }
    say(`  ${databaseUrl.replace(/.*\//, '')}: seeding ${jobs} jobs (once; reused by later runs) ...`);
    const started = Date.now();
    await resetDatabase(databaseUrl);
    const t = await seedTenant(pool, { name: TENANT_NAME });
    await seedRestoreJobs(databaseUrl, t, jobs);
    await pool.query('VACUUM ANALYZE restore_jobs');
    say(`  seeded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return { jobs, databaseUrl, tenantId: t.tenantId, key: t.key, middleId: await middleJobId(pool, t.tenantId) };
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  const small = await scaleDatabase(SMALL);
  const large = await scaleDatabase(LARGE);
  const gateways: Service[] = [];
  const results: BenchResult[] = [];
  try {
    const gSmall = await startGateway(benchEnv(small.databaseUrl).env, 'gateway-1k');
    gateways.push(gSmall);
    const gLarge = await startGateway(benchEnv(large.databaseUrl).env, 'gateway-1m');
    gateways.push(gLarge);
    const cursor = (id: string) => Buffer.from(JSON.stringify({ after: id })).toString('base64url');
    const cases: Array<[string, (d: ScaleDb) => string]> = [
      ['GET restore job by id', (d) => `/v1/tenants/${d.tenantId}/restore-jobs/${d.middleId}`],
      ['list restore jobs, limit 50, first page', (d) => `/v1/tenants/${d.tenantId}/restore-jobs?limit=50`],
      [
        'list restore jobs, limit 50, page from the middle',
        (d) => `/v1/tenants/${d.tenantId}/restore-jobs?limit=50&cursor=${cursor(d.middleId)}`,
      ],
    ];
    const sizeLabel = `${LARGE >= 1_000_000 ? `${LARGE / 1_000_000}M` : `${LARGE / 1000}k`} jobs`;
    for (const [label, path] of cases) {
      say(`${label}: ${sizeLabel} vs 1k jobs`);
      const r = await compare(
        { url: gLarge.url, path: path(large), key: large.key },
        { url: gSmall.url, path: path(small), key: small.key },
        'scale',
        [sizeLabel, '1k jobs'],
      );
      results.push(atLeast('scale', `${label}, ${sizeLabel} vs 1k`, r.ours, r.twin, 'req/s', TARGET, '1k jobs'));
    }
  } finally {
    for (const g of gateways) await g.stop();
  }
  report(results);
}

runBench(main);
