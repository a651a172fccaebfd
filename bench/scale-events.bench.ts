// Reads at 10M events + 1M restore jobs vs 1k of each, and the retention prune's cost per batch.
// GET a restore job by id, list restore jobs (first page) and list the tenant's events (first page and a
// page from the middle by cursor) on a gateway whose database holds 1k jobs and 1k events against one
// whose database holds 1M jobs and 10M events (one tenant each, in databases of their own, seeded with
// INSERT ... SELECT generate_series in 1M-row chunks). Target: the large figure within 1.2x of the small
// (req/s at scale >= 0.83x req/s at 1k). Then maintenance.prune-retention's loop runs on the large
// database (batch RETENTION_PRUNE_BATCH, default 5,000; BENCH_PRUNE_BATCHES batches, default 10) over
// the 2% of events seeded past retention: the slowest batch is reported (bounded: target <= 2x the
// run's mean batch, i.e. batches do not slow down as the walk goes on).
// Seeding is time-boxed (BENCH_EVENTS_TIME_BOX_S, default 1200): when the box ends the bench measures the
// size reached and says so. The databases are reused while they hold the seeded counts (BENCH_SCALE_RESEED=1).
// Run: npm run bench:scale-events   (BENCH_SCALE_EVENTS, BENCH_SCALE_JOBS, BENCH_SECONDS, BENCH_ROUNDS)
import { Client, Pool } from 'pg';
import { newId } from '@bg/domain';
import { generateApiKey, loadConfig, type SqlTx } from '@bg/platform';
import { pruneRetention } from '../apps/worker/src/maintenance/retention-prune';
import {
  atLeast,
  atMost,
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
  uuidv7Sql,
  type BenchResult,
  type Service,
} from './support';

const SMALL = { jobs: 1_000, events: 1_000 };
const LARGE = { jobs: Number(process.env.BENCH_SCALE_JOBS ?? 1_000_000), events: Number(process.env.BENCH_SCALE_EVENTS ?? 10_000_000) };
const TIME_BOX_MS = Number(process.env.BENCH_EVENTS_TIME_BOX_S ?? 1200) * 1000;
const PRUNE_BATCHES = Number(process.env.BENCH_PRUNE_BATCHES ?? 10);
const CHUNK = 1_000_000;
const TARGET = 1 / 1.2;
const TENANT_NAME = 'scale-events';
const DAY_MS = 24 * 60 * 60_000;
/** Share of seeded events older than the 90-day event retention (what the prune has to delete). */
const EXPIRED_SHARE = 0.02;

interface ScaleDb {
  label: string;
  jobs: number;
  events: number;
  databaseUrl: string;
  tenantId: string;
  key: string;
  middleJobId: string;
  middleEventId: string;
}

const size = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

/**
 * Appends events of one tenant, row n at a time spread so that EXPIRED_SHARE of them are 100-120 days
 * old and the rest within the last 80 days, ids time-ordered like bg_uuid_v7(). Triggers and FKs are
 * skipped for the seeding session (session_replication_role = replica). Stops at the time box.
 */
async function seedEvents(databaseUrl: string, t: { partnerId: string; tenantId: string }, count: number, from: number, deadline: number) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SET session_replication_role = replica');
    const now = Date.now();
    const expired = Math.floor(count * EXPIRED_SHARE);
    // ms of row n: the expired ones across 120..100 days ago, the others across 80..0 days ago.
    const ms = `(CASE WHEN n <= ${expired} THEN ${now - 120 * DAY_MS} + (n::bigint * ${20 * DAY_MS} / ${Math.max(expired, 1)})
                    ELSE ${now - 80 * DAY_MS} + ((n - ${expired})::bigint * ${80 * DAY_MS - 60_000} / ${Math.max(count - expired, 1)}) END)`;
    let done = from;
    while (done < count) {
      if (Date.now() > deadline) break;
      const end = Math.min(count, done + CHUNK);
      const started = Date.now();
      await client.query(
        `INSERT INTO events (id, partner_id, tenant_id, type, resource_type, resource_id, data, occurred_at)
         SELECT ${uuidv7Sql(ms, 'n')}, $1, $2, 'restore_job.succeeded', 'restore_job', md5(n::text)::uuid,
                jsonb_build_object('id', md5(n::text)::uuid, 'status', 'succeeded', 'previousStatus', 'running'),
                to_timestamp(${ms} / 1000.0)
           FROM generate_series($3::int, $4::int) AS n`,
        [t.partnerId, t.tenantId, done + 1, end],
      );
      done = end;
      say(
        `    events ${done.toLocaleString('en')} / ${count.toLocaleString('en')} (${((Date.now() - started) / 1000).toFixed(0)} s for this chunk)`,
      );
    }
    return done;
  } finally {
    await client.end();
  }
}

async function scaleDatabase(target: { jobs: number; events: number }, deadline: number): Promise<ScaleDb> {
  const label = `${size(target.jobs)} jobs, ${size(target.events)} events`;
  const databaseUrl = benchDatabaseUrl(`events_${size(target.events).toLowerCase()}`);
  await ensureDatabase(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const {
      rows: [existing],
    } = await pool.query(
      `SELECT t.id, t.partner_id, (SELECT count(*) FROM restore_jobs)::int AS jobs,
              (SELECT count(*) FROM events)::int AS events FROM tenants t WHERE t.name = $1`,
      [TENANT_NAME],
    );
    let tenantId: string;
    let key: string;
    let events: number;
    if (existing && existing.jobs === target.jobs && existing.events > 0 && process.env.BENCH_SCALE_RESEED !== '1') {
      tenantId = existing.id;
      events = existing.events;
      if (events < target.events * (1 - EXPIRED_SHARE)) {
        say(`  ${label}: ${events} events present, seeding on (time box) ...`);
        events = await seedEvents(databaseUrl, { partnerId: existing.partner_id, tenantId }, target.events, events, deadline);
        await pool.query('VACUUM ANALYZE events');
      } else say(`  ${label}: reusing the seeded database (${events.toLocaleString('en')} events)`);
      const k = generateApiKey();
      await pool.query(
        `INSERT INTO api_keys (id, role, partner_id, tenant_id, name, prefix, key_hash) VALUES ($1, 'tenant', $2, $3, 'bench run', $4, $5)`,
        [newId(), existing.partner_id, tenantId, k.prefix, k.hash],
      );
      key = k.key;
    } else {
      say(`  ${label}: seeding (once; reused by later runs) ...`);
      const started = Date.now();
      await resetDatabase(databaseUrl);
      const t = await seedTenant(pool, { name: TENANT_NAME });
      await seedRestoreJobs(databaseUrl, t, target.jobs);
      say(`    ${target.jobs.toLocaleString('en')} restore jobs in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      events = await seedEvents(databaseUrl, t, target.events, 0, deadline);
      await pool.query('VACUUM ANALYZE events');
      await pool.query('VACUUM ANALYZE restore_jobs');
      say(
        `  seeded in ${((Date.now() - started) / 1000).toFixed(0)} s${events < target.events ? ` (time box reached at ${events} events)` : ''}`,
      );
      tenantId = t.tenantId;
      key = t.key;
    }
    const {
      rows: [mid],
    } = await pool.query(`SELECT id FROM events WHERE tenant_id = $1 ORDER BY id OFFSET $2 LIMIT 1`, [tenantId, Math.floor(events / 2)]);
    return {
      label: `${size(target.jobs)} jobs, ${size(events)} events`,
      jobs: target.jobs,
      events,
      databaseUrl,
      tenantId,
      key,
      middleJobId: await middleJobId(pool, tenantId),
      middleEventId: mid.id,
    };
  } finally {
    await pool.end();
  }
}

/** Runs the retention loop (default settings, PRUNE_BATCHES batches at most) and returns the batch times. */
async function measurePrune(d: ScaleDb): Promise<{ deleted: number; batches: number; slowestMs: number; meanMs: number }> {
  const client = new Client({ connectionString: d.databaseUrl });
  await client.connect();
  try {
    const tx: SqlTx = {
      async query<T>(sql: string, params?: unknown[]): Promise<T> {
        const r = await client.query(sql, params);
        return (r.command === 'DELETE' || r.command === 'UPDATE' ? [r.rows, r.rowCount ?? 0] : r.rows) as T;
      },
    };
    const settings = { ...loadConfig({ MASTER_KEY: Buffer.alloc(32, 1).toString('base64') }), RETENTION_PRUNE_MAX_BATCHES: PRUNE_BATCHES };
    const started = performance.now();
    const r = await pruneRetention(tx, settings);
    const total = performance.now() - started;
    return { deleted: r.events, batches: r.batches, slowestMs: r.slowestBatchMs, meanMs: total / Math.max(r.batches, 1) };
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const deadline = Date.now() + TIME_BOX_MS;
  const small = await scaleDatabase(SMALL, deadline);
  const large = await scaleDatabase(LARGE, deadline);
  const gateways: Service[] = [];
  const results: BenchResult[] = [];
  try {
    const gSmall = await startGateway(benchEnv(small.databaseUrl).env, 'gateway-events-1k');
    gateways.push(gSmall);
    const gLarge = await startGateway(benchEnv(large.databaseUrl).env, 'gateway-events-large');
    gateways.push(gLarge);
    const cursor = (id: string) => Buffer.from(JSON.stringify({ after: id })).toString('base64url');
    const cases: Array<[string, (d: ScaleDb) => string]> = [
      ['GET restore job by id', (d) => `/v1/tenants/${d.tenantId}/restore-jobs/${d.middleJobId}`],
      ['list restore jobs, limit 50, first page', (d) => `/v1/tenants/${d.tenantId}/restore-jobs?limit=50`],
      ['list events, limit 50, first page', (d) => `/v1/tenants/${d.tenantId}/events?limit=50`],
      ['list events, limit 50, page from the middle', (d) => `/v1/tenants/${d.tenantId}/events?limit=50&cursor=${cursor(d.middleEventId)}`],
    ];
    for (const [label, path] of cases) {
      say(`${label}: ${large.label} vs ${small.label}`);
      const r = await compare(
        { url: gLarge.url, path: path(large), key: large.key },
        { url: gSmall.url, path: path(small), key: small.key },
        'scale-events',
        [large.label, small.label],
      );
      results.push(atLeast('scale-events', `${label}, ${large.label} vs 1k`, r.ours, r.twin, 'req/s', TARGET, small.label));
    }
  } finally {
    for (const g of gateways) await g.stop();
  }
  const pruneSmall = await measurePrune(small);
  const pruneLarge = await measurePrune(large);
  say(
    `retention prune (events past 90 days): ${large.label}: ${pruneLarge.deleted} deleted in ${pruneLarge.batches} batches, ` +
      `slowest ${pruneLarge.slowestMs.toFixed(0)} ms, mean ${pruneLarge.meanMs.toFixed(0)} ms; ${small.label}: ${pruneSmall.deleted} in ${pruneSmall.batches}, mean ${pruneSmall.meanMs.toFixed(1)} ms`,
  );
  // Bounded: no batch is much slower than the run's mean (the walk by id never rescans what it kept).
  results.push(
    atMost(
      'scale-events',
      `retention prune, slowest of ${pruneLarge.batches} batches, ${large.label}`,
      pruneLarge.slowestMs,
      pruneLarge.meanMs,
      'ms',
      2,
      'mean batch',
    ),
  );
  report(results);
}

runBench(main);
