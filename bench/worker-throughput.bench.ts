// Worker throughput against a slow vendor: our worker (dist, its own process) carries N restore jobs
// through the Veeam simulator (apps/sandbox, its own process) while every call to the vendor account
// takes BENCH_VENDOR_LATENCY_MS more (the sandbox's latency fault); the twin (bench/twins/worker.twin.ts,
// a bare BullMQ Worker with the same concurrency) carries N jobs with the same number of HTTP calls per
// job to the same slowed accounts and one UPDATE per state change. Jobs/s of each, measured alternately.
//
// Jobs reach our worker the way the gateway hands them over: restore_jobs row (queued) + 'created'
// event + outbox row (restore-job.submit) in one transaction, as RestoreJobsService.create writes them
// (inserted here in bulk so the gateway's own cost stays out of the measurement); the twin's reach
// BullMQ directly. Target: ours >= 0.80x the twin's jobs/s.
// Both sides first run BENCH_WORKER_WARMUP_JOBS (300) unmeasured jobs.
// Run: npm run bench:worker   (BENCH_WORKER_JOBS, BENCH_WORKER_WARMUP_JOBS, BENCH_WORKER_ACCOUNTS, BENCH_VENDOR_LATENCY_MS, WORKER_CONCURRENCY, BENCH_ROUNDS)
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { newId } from '@bg/domain';
import { OUTBOX_CHANNEL } from '@bg/platform';
import {
  ROUNDS,
  atLeast,
  benchDatabaseUrl,
  benchEnv,
  ensureDatabase,
  redisConnection,
  report,
  resetDatabase,
  runBench,
  say,
  setupVeeamAccount,
  sleep,
  startGateway,
  startSandbox,
  startTwin,
  startWorker,
  type Service,
  type VeeamAccount as Account,
} from './support';

const JOBS = Number(process.env.BENCH_WORKER_JOBS ?? 1000);
const WARMUP_JOBS = Number(process.env.BENCH_WORKER_WARMUP_JOBS ?? 300);
const ACCOUNTS = Number(process.env.BENCH_WORKER_ACCOUNTS ?? 5);
const LATENCY_MS = Number(process.env.BENCH_VENDOR_LATENCY_MS ?? 50);
const CONCURRENCY = process.env.WORKER_CONCURRENCY ?? '50';
const TARGET = 0.8;
const TERMINAL = `('succeeded', 'partiallySucceeded', 'failed', 'cancelled')`;

/**
 * Inserts `count` queued jobs spread over the accounts, in one transaction, with the rows
 * RestoreJobsService.create writes: the job (items as the service builds them), its 'created' event
 * and, with `outbox`, the restore-job.submit outbox row plus the relay's wake-up.
 */
async function insertJobs(pool: Pool, accounts: Account[], count: number, outbox: boolean): Promise<Array<{ id: string; a: Account }>> {
  const jobs = Array.from({ length: count }, (_, i) => ({ id: newId(), a: accounts[i % accounts.length] }));
  const items = (a: Account) =>
    JSON.stringify([
      {
        restorePointId: a.point.id,
        protectedItemId: a.point.protected_item_id,
        externalId: a.point.external_id,
        restorePointRef: a.point.vendor_ref,
        protectedItemRef: a.point.item_ref,
        pointInTime: new Date(a.point.point_in_time).toISOString(),
        status: 'pending',
      },
    ]);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO restore_jobs (id, tenant_id, connection_id, vendor, workload, destination, target, status, items, deadline_at)
       SELECT id, tenant_id, connection_id, 'veeam', 'sharepoint', 'new', target::jsonb, 'queued', items::jsonb, now() + interval '1440 minutes'
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[]) AS j(id, tenant_id, connection_id, target, items)`,
      [
        jobs.map((j) => j.id),
        jobs.map((j) => j.a.tenantId),
        jobs.map((j) => j.a.connectionId),
        jobs.map((j) => JSON.stringify(j.a.target)),
        jobs.map((j) => items(j.a)),
      ],
    );
    await client.query(
      `INSERT INTO restore_job_events (tenant_id, restore_job_id, type, from_status, to_status, detail)
       SELECT tenant_id, id, 'created', NULL, 'queued', '{"items":1,"destination":"new"}' FROM unnest($1::uuid[], $2::uuid[]) AS j(id, tenant_id)`,
      [jobs.map((j) => j.id), jobs.map((j) => j.a.tenantId)],
    );
    if (outbox) {
      await client.query(
        `INSERT INTO outbox (tenant_id, queue, name, job_id, payload, delay_ms)
         SELECT tenant_id, 'restore-jobs', 'restore-job.submit', 'restore-job.submit_' || id,
                jsonb_build_object('tenantId', tenant_id, 'restoreJobId', id, 'connectionId', connection_id, 'vendor', 'veeam'), 0
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS j(id, tenant_id, connection_id)`,
        [jobs.map((j) => j.id), jobs.map((j) => j.a.tenantId), jobs.map((j) => j.a.connectionId)],
      );
      await client.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return jobs;
}

/** Seconds from now until every job is terminal; fails unless all succeeded. */
async function waitDone(pool: Pool, ids: string[], started: number): Promise<number> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const {
      rows: [r],
    } = await pool.query(`SELECT count(*) FILTER (WHERE status IN ${TERMINAL})::int AS done FROM restore_jobs WHERE id = ANY($1::uuid[])`, [
      ids,
    ]);
    if (r.done === ids.length) break;
    if (Date.now() > deadline) throw new Error(`only ${r.done} of ${ids.length} jobs ended within 10 minutes`);
    await sleep(100);
  }
  const seconds = (Date.now() - started) / 1000;
  const { rows } = await pool.query(
    `SELECT status, error_code, count(*)::int AS n FROM restore_jobs WHERE id = ANY($1::uuid[]) GROUP BY 1, 2`,
    [ids],
  );
  if (rows.length !== 1 || rows[0].status !== 'succeeded') throw new Error(`not every job succeeded: ${JSON.stringify(rows)}`);
  return seconds;
}

/** Transactions committed in the bench database so far (every connection, both apps). */
async function commits(pool: Pool): Promise<number> {
  const {
    rows: [r],
  } = await pool.query('SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = current_database()');
  return Number(r.n);
}

async function vendorCalls(accounts: Account[]): Promise<number> {
  let n = 0;
  for (const a of accounts) {
    const calls = await a.control.calls();
    if (calls.length >= 5000) throw new Error('the sandbox call log (5,000 per account) overflowed: use more accounts or fewer jobs');
    n += calls.length;
  }
  return n;
}

async function main(): Promise<void> {
  const databaseUrl = benchDatabaseUrl('worker');
  await ensureDatabase(databaseUrl);
  await resetDatabase(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  const { env, adminKey } = benchEnv(databaseUrl, { WORKER_CONCURRENCY: CONCURRENCY });
  const sandbox = await startSandbox(env);
  const services: Service[] = [sandbox];
  try {
    const gateway = await startGateway(env);
    services.push(gateway);
    const worker = await startWorker(env);
    services.push(worker);
    say(`setting up ${ACCOUNTS} Veeam accounts through the API ...`);
    const accounts: Account[] = [];
    for (let i = 0; i < ACCOUNTS; i++) accounts.push(await setupVeeamAccount(gateway.url, adminKey, sandbox.origin, pool, i));
    await gateway.stop();
    for (const a of accounts) await a.control.injectFault({ latencyMs: LATENCY_MS, count: -1 });

    const twinEnv = {
      ...env,
      QUEUE_PREFIX: `${env.QUEUE_PREFIX}_twin`,
      TWIN_VENDOR: JSON.stringify({
        origin: sandbox.origin,
        accounts: Object.fromEntries(accounts.map((a) => [a.connectionId, { username: a.username, password: a.password }])),
      }),
    };
    const twin = await startTwin('worker.twin.js', twinEnv);
    services.push(twin);
    const twinQueue = new Queue('restore-jobs-twin', { connection: redisConnection(twinEnv), prefix: twinEnv.QUEUE_PREFIX });

    // Warm-up, unmeasured, like the HTTP benchmarks' warm-up: both sides run WARMUP_JOBS first (JIT, pools, tokens).
    const warm = await insertJobs(pool, accounts, WARMUP_JOBS, true);
    await waitDone(
      pool,
      warm.map((j) => j.id),
      Date.now(),
    );
    const warmTwin = await insertJobs(pool, accounts, WARMUP_JOBS, false);
    await twinQueue.addBulk(
      warmTwin.map((j) => ({
        name: 'restore-job.submit',
        data: { restoreJobId: j.id, connectionId: j.a.connectionId, calls: 10 },
        opts: { jobId: `restore-job.submit_${j.id}`, removeOnComplete: { age: 3600, count: 10_000 } },
      })),
    );
    await waitDone(
      pool,
      warmTwin.map((j) => j.id),
      Date.now(),
    );

    const ours: number[] = [];
    const base: number[] = [];
    let callsPerJob = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      for (const a of accounts) await a.control.clearCalls();
      let cpu = worker.cpuMs();
      let vendorCpu = sandbox.cpuMs();
      let xacts = await commits(pool);
      let started = Date.now();
      const jobs = await insertJobs(pool, accounts, JOBS, true);
      ours.push(
        JOBS /
          (await waitDone(
            pool,
            jobs.map((j) => j.id),
            started,
          )),
      );
      const oursCpu = (worker.cpuMs() - cpu) / JOBS;
      const oursVendorCpu = (sandbox.cpuMs() - vendorCpu) / JOBS;
      const oursXacts = ((await commits(pool)) - xacts) / JOBS;
      callsPerJob = (await vendorCalls(accounts)) / JOBS;

      const twinJobs = await insertJobs(pool, accounts, JOBS, false);
      cpu = twin.cpuMs();
      vendorCpu = sandbox.cpuMs();
      xacts = await commits(pool);
      started = Date.now();
      await twinQueue.addBulk(
        twinJobs.map((j) => ({
          name: 'restore-job.submit',
          data: { restoreJobId: j.id, connectionId: j.a.connectionId, calls: Math.round(callsPerJob) },
          opts: { jobId: `restore-job.submit_${j.id}`, removeOnComplete: { age: 3600, count: 10_000 } },
        })),
      );
      base.push(
        JOBS /
          (await waitDone(
            pool,
            twinJobs.map((j) => j.id),
            started,
          )),
      );
      const twinCpu = (twin.cpuMs() - cpu) / JOBS;
      const twinVendorCpu = (sandbox.cpuMs() - vendorCpu) / JOBS;
      const twinXacts = ((await commits(pool)) - xacts) / JOBS;
      say(
        `  worker round ${round}: ours ${ours[round - 1].toFixed(1)} jobs/s (per job: ${callsPerJob.toFixed(2)} vendor calls, ${oursXacts.toFixed(1)} commits, ${oursCpu.toFixed(1)} ms worker CPU, ${oursVendorCpu.toFixed(1)} ms simulator CPU), ` +
          `twin ${base[round - 1].toFixed(1)} jobs/s (per job: ${Math.round(callsPerJob)} calls, ${twinXacts.toFixed(1)} commits, ${twinCpu.toFixed(1)} ms CPU, ${twinVendorCpu.toFixed(1)} ms simulator CPU)`,
      );
    }
    await twinQueue.close();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    report([
      atLeast(
        'worker',
        `worker, ${JOBS} jobs, ${LATENCY_MS} ms vendor, concurrency ${CONCURRENCY}`,
        mean(ours),
        mean(base),
        'jobs/s',
        TARGET,
        'bare BullMQ',
      ),
    ]);
  } finally {
    for (const s of services.reverse()) await s.stop();
    await pool.end();
  }
}

runBench(main);
