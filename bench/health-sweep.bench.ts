// Protection-health collection at scale: CONNECTIONS Veeam servers (sandbox scopes) x 100 protected items each (a
// SharePoint job over 60 sites and an Exchange job over 40 mailboxes), swept by the worker's maintenance.sync-backups
// exactly as in production (one backup.sync per policy, the worker in its own process). Measured per sweep, from
// the sandbox's own call log and Postgres' statistics: vendor calls, duration, and rows written. The second sweep
// runs with nothing changed at the vendors: it must write nothing (the usage meter's own counting insert aside).
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { createAdapter, type BackupVendorPort } from '@bg/adapters';
import { StaticErrorCatalog, newId, systemClock } from '@bg/domain';
import { CredentialCipher, QUEUES, loadConfig } from '@bg/platform';
import { VEEAM_ERROR_CATALOG } from '../libs/platform/src/migrations/data/veeam.catalog';
import { veeamFixtureSites, veeamFixtureUsers, veeamSandboxPassword } from '../apps/sandbox/src/veeam/veeam.fixtures';
import {
  SandboxControl,
  atMost,
  benchDatabaseUrl,
  benchEnv,
  ensureDatabase,
  redisConnection,
  report,
  resetDatabase,
  runBench,
  say,
  sleep,
  startSandbox,
  startWorker,
  type BenchResult,
  type Service,
} from './support';

const CONNECTIONS = Number(process.env.BENCH_HEALTH_CONNECTIONS ?? 1000);
const SITES = 60;
const USERS = 40;
const ITEMS = SITES + USERS;
const PARALLEL = 16;
const DAY = 24 * 60 * 60_000;
/** Tables whose writes are not protection-health state: the worker's vendor-call meter (one insert per flush). */
const METER_TABLES = ['usage_vendor_calls'];

interface Account {
  username: string;
  control: SandboxControl;
  tenantId: string;
  connectionId: string;
}

/** Runs `fn` over `xs`, PARALLEL at a time. */
async function eachParallel<T>(xs: T[], fn: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < xs.length) {
        const i = next++;
        await fn(xs[i], i);
      }
    }),
  );
}

/** Rows inserted, updated and deleted so far in the bench database, by table (after the stats are flushed). */
async function writesByTable(pool: Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ relname: string; n: string }>(
    'SELECT relname, (n_tup_ins + n_tup_upd + n_tup_del)::bigint AS n FROM pg_stat_user_tables',
  );
  return new Map(rows.map((r) => [r.relname, Number(r.n)]));
}

function diff(before: Map<string, number>, after: Map<string, number>): { health: number; meter: number; tables: string[] } {
  let health = 0;
  let meter = 0;
  const tables: string[] = [];
  for (const [t, n] of after) {
    const d = n - (before.get(t) ?? 0);
    if (!d) continue;
    if (METER_TABLES.includes(t)) meter += d;
    else {
      health += d;
      tables.push(`${t}:${d}`);
    }
  }
  return { health, meter, tables };
}

/**
 * One Veeam server with two jobs (60 sites, 40 mailboxes), made through the adapter (the vendor's side), and the
 * gateway's rows for it written directly (partner, tenant, encrypted connection, policies, protected items).
 */
async function seedAccount(pool: Pool, cipher: CredentialCipher, origin: string, i: number): Promise<Account> {
  const username = `bench-health-${i}-${newId().slice(-8)}`;
  const credentials = { username, password: veeamSandboxPassword(username) };
  const control = new SandboxControl(origin, 'veeam', username);
  await control.configure({ firstBackupDelayMs: 0, backupDurationMs: 1000 });
  const connectionId = newId();
  const adapter: BackupVendorPort = createAdapter('veeam', {
    connectionId,
    endpoint: `${origin}/veeam`,
    credentials,
    clock: systemClock,
    catalog: new StaticErrorCatalog(VEEAM_ERROR_CATALOG),
  });
  const ctx = {};
  const sites = veeamFixtureSites(username).slice(0, SITES);
  const users = veeamFixtureUsers(username).slice(0, USERS);
  const jobs = [
    await adapter.createPolicy(ctx, {
      workload: 'sharepoint',
      displayName: 'sites',
      items: sites.map((s) => ({ kind: 'site' as const, externalId: s.id })),
    }),
    await adapter.createPolicy(ctx, {
      workload: 'exchange',
      displayName: 'mail',
      items: users.map((u) => ({ kind: 'mailbox' as const, externalId: u.id })),
    }),
  ];
  const partnerId = newId();
  const tenantId = newId();
  const sealed = cipher.encrypt(connectionId, credentials);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO partners (id, name) VALUES ($1, $2)', [partnerId, `bench ${i}`]);
    await client.query('INSERT INTO tenants (id, partner_id, name) VALUES ($1, $2, $3)', [tenantId, partnerId, `bench ${i}`]);
    await client.query(
      `INSERT INTO connections (id, tenant_id, vendor, display_name, endpoint, secret_ciphertext, secret_wrapped_key, secret_key_id)
       VALUES ($1, $2, 'veeam', 'bench', $3, $4, $5, $6)`,
      [connectionId, tenantId, `${origin}/veeam`, sealed.ciphertext, sealed.wrappedKey, sealed.keyId],
    );
    for (const [k, job] of jobs.entries()) {
      const policyId = newId();
      await client.query(
        `INSERT INTO policies (id, tenant_id, connection_id, vendor, workload, display_name, status, desired_active, vendor_ref)
         VALUES ($1, $2, $3, 'veeam', $4, $5, 'active', true, $6)`,
        [policyId, tenantId, connectionId, k === 0 ? 'sharepoint' : 'exchange', `bench ${k}`, job.policy.vendorRef],
      );
      await client.query(
        `INSERT INTO protected_items (id, tenant_id, policy_id, connection_id, kind, external_id, status, vendor_ref)
         SELECT gen_random_uuid(), $1, $2, $3, i.kind, i.external_id, 'protected', i.vendor_ref
           FROM unnest($4::text[], $5::text[], $6::text[]) AS i(kind, external_id, vendor_ref)`,
        [
          tenantId,
          policyId,
          connectionId,
          job.items.map((it) => it.kind),
          job.items.map((it) => it.externalId),
          job.items.map((it) => it.vendorRef),
        ],
      );
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  // A day and a bit at the vendor: every job has had its daily session.
  await control.advanceClock(DAY + 60 * 60_000);
  return { username, control, tenantId, connectionId };
}

async function vendorCalls(accounts: Account[]): Promise<number> {
  let n = 0;
  await eachParallel(accounts, async (a) => {
    const calls = await a.control.calls();
    n += calls.length;
  });
  return n;
}

/** Queues one maintenance sweep and waits until every backup.sync it queued has run; returns the seconds it took. */
async function sweep(maintenance: Queue, backups: Queue): Promise<number> {
  const started = Date.now();
  const job = await maintenance.add('maintenance.sync-backups', {}, { jobId: `bench-sweep-${newId()}` });
  for (;;) {
    const state = await job.getState();
    if (state === 'completed') break;
    if (state === 'failed') throw new Error(`the sweep failed: ${(await maintenance.getJob(job.id!))?.failedReason}`);
    await sleep(50);
  }
  for (;;) {
    const c = await backups.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    if (Object.values(c).every((n) => n === 0)) break;
    await sleep(50);
  }
  const failed = await backups.getJobCounts('failed');
  if (failed.failed) throw new Error(`${failed.failed} backup.sync jobs failed`);
  return (Date.now() - started) / 1000;
}

async function main(): Promise<void> {
  const databaseUrl = benchDatabaseUrl('health');
  await ensureDatabase(databaseUrl);
  await resetDatabase(databaseUrl);
  const pool = new Pool({ connectionString: databaseUrl, max: PARALLEL });
  const { env } = benchEnv(databaseUrl, { USAGE_FLUSH_MS: '1000', USAGE_ROLLUP_ENABLED: 'false' });
  const config = loadConfig(env);
  const cipher = new CredentialCipher(config.MASTER_KEY_ID, config.masterKey!);
  const sandbox = await startSandbox(env);
  const services: Service[] = [sandbox];
  const connection = redisConnection(env);
  const maintenance = new Queue(QUEUES.maintenance, { connection, prefix: env.QUEUE_PREFIX });
  const backups = new Queue(QUEUES.backups, { connection, prefix: env.QUEUE_PREFIX });
  try {
    say(`seeding ${CONNECTIONS} Veeam servers x ${ITEMS} items (two jobs each) ...`);
    const accounts: Account[] = new Array(CONNECTIONS);
    await eachParallel(
      Array.from({ length: CONNECTIONS }, (_, i) => i),
      async (i) => {
        accounts[i] = await seedAccount(pool, cipher, sandbox.origin, i);
      },
    );
    const policies = CONNECTIONS * 2;
    const items = CONNECTIONS * ITEMS;
    services.push(await startWorker(env));
    await eachParallel(accounts, (a) => a.control.clearCalls());

    const results: BenchResult[] = [];
    const bench = 'health-sweep';
    for (const label of ['first sweep', 'idle sweep'] as const) {
      await sleep(12_000); // every backend has flushed its statistics (idle interval 10 s)
      const before = await writesByTable(pool);
      const seconds = await sweep(maintenance, backups);
      await sleep(12_000);
      const written = diff(before, await writesByTable(pool));
      const calls = await vendorCalls(accounts);
      if (process.env.BENCH_HEALTH_DEBUG)
        say(
          JSON.stringify(
            ((await accounts[0].control.calls()) as Array<{ method: string; path: string }>).map((c) => `${c.method} ${c.path}`),
          ),
        );
      await eachParallel(accounts, (a) => a.control.clearCalls());
      say(
        `${label}: ${seconds.toFixed(1)} s, ${calls} vendor calls (${(calls / policies).toFixed(2)} per policy, ` +
          `${(calls / items).toFixed(3)} per item), ${written.health} rows written [${written.tables.join(' ') || 'none'}], ` +
          `${written.meter} vendor-call meter rows`,
      );
      if (label === 'first sweep') {
        const judged = await pool.query(`SELECT protection_state AS s, count(*)::int AS n FROM protected_items GROUP BY 1`);
        say(`  items judged: ${judged.rows.map((r) => `${r.s} ${r.n}`).join(', ')}`);
        results.push(atMost(bench, `${label}: vendor calls per item`, calls, items, 'calls', 0.1, 'one per item'));
        results.push(atMost(bench, `${label}: duration per policy`, (seconds * 1000) / policies, 1000, 'ms', 1, '1 s per policy'));
      } else {
        results.push(atMost(bench, `${label}: vendor calls per item`, calls, items, 'calls', 0.1, 'one per item'));
        results.push(atMost(bench, `${label}: rows written (nothing changed)`, written.health, items, 'rows', 0, 'one per item'));
        results.push(atMost(bench, `${label}: duration per policy`, (seconds * 1000) / policies, 1000, 'ms', 1, '1 s per policy'));
      }
    }
    report(results);
  } finally {
    await maintenance.close();
    await backups.close();
    for (const s of services.reverse()) await s.stop();
    await pool.end();
  }
}

runBench(main);
