import { randomUUID } from 'node:crypto';
import type { Queue, QueueEvents } from 'bullmq';
import { Client } from 'pg';
import { QUEUES } from '@bg/platform';
import type { ApiClient } from '../support/api-client';
import { newTenant, type TenantContext } from '../support/factories';
import { SandboxControl } from '../support/sandbox';
import { testQueues, type TestQueues } from '../support/redis';
import { eventually, startStack, type TestStack } from '../support/stack';
import { graphFixture, veeamFixture } from '../support/vendor-fixtures';

const DAY = 86_400_000;
const PROBLEM = 'application/problem+json';
const CSV_COLUMNS = [
  'period',
  'tenantId',
  'vendor',
  'closed',
  'protectedItems',
  'protectedItemDays',
  'protectedBytes',
  'protectedByteDays',
  'restoreJobsSucceeded',
  'restoreJobsPartiallySucceeded',
  'restoreJobsFailed',
  'restoreJobsCancelled',
  'restoreJobsTotal',
  'restoredItems',
  'restoredBytes',
  'vendorApiCalls',
  'backedUpBytes',
  'licensedUsers',
  'storageBytes',
];
type Status = 'pending' | 'protected' | 'failed' | 'removed';
type JobStatus = 'succeeded' | 'partiallySucceeded' | 'failed' | 'cancelled';
interface Conn {
  tenantId: string;
  connectionId: string;
  policyId: string;
  vendor: string;
  items: Array<{ id: string; createdAt: number }>;
}
interface Metrics {
  protectedItems: number;
  protectedItemDays: number;
  protectedBytes: number;
  protectedByteDays: number;
  restoreJobs: { succeeded: number; partiallySucceeded: number; failed: number; cancelled: number; total: number };
  restoredItems: number;
  restoredBytes: number;
  vendorApiCalls: number;
  backedUpBytes: number;
  licensedUsers: number;
  storageBytes: number;
}
interface Row {
  period: string;
  tenantId: string;
  vendor: string;
  metrics: Metrics;
}

/** Deterministic randomness: a failing run can be replayed with USAGE_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function emptyMetrics(): Metrics {
  return {
    protectedItems: 0,
    protectedItemDays: 0,
    protectedBytes: 0,
    protectedByteDays: 0,
    restoreJobs: { succeeded: 0, partiallySucceeded: 0, failed: 0, cancelled: 0, total: 0 },
    restoredItems: 0,
    restoredBytes: 0,
    vendorApiCalls: 0,
    backedUpBytes: 0,
    licensedUsers: 0,
    storageBytes: 0,
  };
}

/** A minimal RFC 4180 parser (quoted fields, doubled quotes, CRLF), to check what the gateway writes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field || row.length) throw new Error('CSV does not end with CRLF');
  return rows;
}

function csvToRows(text: string): Row[] {
  const [header, ...lines] = parseCsv(text);
  expect(header).toEqual(CSV_COLUMNS);
  return lines.map((l) => {
    const v = Object.fromEntries(header.map((h, i) => [h, l[i]]));
    const num = (k: string) => Number(v[k]);
    return {
      period: v.period,
      tenantId: v.tenantId,
      vendor: v.vendor,
      metrics: {
        protectedItems: num('protectedItems'),
        protectedItemDays: num('protectedItemDays'),
        protectedBytes: num('protectedBytes'),
        protectedByteDays: num('protectedByteDays'),
        restoreJobs: {
          succeeded: num('restoreJobsSucceeded'),
          partiallySucceeded: num('restoreJobsPartiallySucceeded'),
          failed: num('restoreJobsFailed'),
          cancelled: num('restoreJobsCancelled'),
          total: num('restoreJobsTotal'),
        },
        restoredItems: num('restoredItems'),
        restoredBytes: num('restoredBytes'),
        vendorApiCalls: num('vendorApiCalls'),
        backedUpBytes: num('backedUpBytes'),
        licensedUsers: num('licensedUsers'),
        storageBytes: num('storageBytes'),
      },
    };
  });
}

const byKey = (a: Row, b: Row) => `${a.period}|${a.tenantId}|${a.vendor}`.localeCompare(`${b.period}|${b.tenantId}|${b.vendor}`);
const strip = (rows: Row[]): Row[] =>
  rows.map(({ period, tenantId, vendor, metrics }) => ({ period, tenantId, vendor, metrics })).sort(byKey);

/** Month rows from day rows: protected* peak (max) and sums over days; licensed users and storage the peak; everything else sums. */
function toMonths(days: Row[]): Row[] {
  const out = new Map<string, Row>();
  for (const d of days) {
    const key = `${d.period.slice(0, 7)}|${d.tenantId}|${d.vendor}`;
    const m = out.get(key)?.metrics ?? emptyMetrics();
    out.set(key, { period: d.period.slice(0, 7), tenantId: d.tenantId, vendor: d.vendor, metrics: m });
    m.protectedItems = Math.max(m.protectedItems, d.metrics.protectedItems);
    m.protectedBytes = Math.max(m.protectedBytes, d.metrics.protectedBytes);
    m.protectedItemDays += d.metrics.protectedItemDays;
    m.protectedByteDays += d.metrics.protectedByteDays;
    for (const k of ['succeeded', 'partiallySucceeded', 'failed', 'cancelled', 'total'] as const)
      m.restoreJobs[k] += d.metrics.restoreJobs[k];
    m.restoredItems += d.metrics.restoredItems;
    m.restoredBytes += d.metrics.restoredBytes;
    m.vendorApiCalls += d.metrics.vendorApiCalls;
    m.backedUpBytes += d.metrics.backedUpBytes;
    m.licensedUsers = Math.max(m.licensedUsers, d.metrics.licensedUsers);
    m.storageBytes = Math.max(m.storageBytes, d.metrics.storageBytes);
  }
  return [...out.values()].sort(byKey);
}

/**
 * Usage metering: a generated month of history (items protected/removed, restore jobs completing with
 * mixed outcomes) written through the real tables so the triggers fire, then backdated with the owner
 * connection; the worker's roll-up; the API's totals against totals computed here with SQL.
 */
describe('usage metering', () => {
  const seed = Number(process.env.USAGE_SEED ?? Date.now() % 2_147_483_647);
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];
  // A random month of 2001-2020: already closed, and unlikely to share days with another run on this database.
  const year = int(2001, 2020);
  const month = int(1, 12);
  const monthStart = Date.UTC(year, month - 1, 1);
  const monthEnd = Date.UTC(year, month, 1);
  const days = Math.round((monthEnd - monthStart) / DAY);
  const dayOf = (i: number) => new Date(monthStart + i * DAY).toISOString().slice(0, 10);
  const from = dayOf(0);
  const to = dayOf(days - 1);
  const monthDays = Array.from({ length: days }, (_, i) => dayOf(i));

  let stack: TestStack;
  let db: Client;
  let queues: TestQueues;
  let queue: Queue;
  let queueEvents: QueueEvents;
  let a: TenantContext; // partner A, tenant T1
  let t2: { tenantId: string; tenant: ApiClient };
  let b: TenantContext; // partner B, tenant T3
  const conns: Conn[] = [];

  async function rollup(rollupDays: string[]): Promise<Array<{ day: string; state: string; rows: number }>> {
    const jobs = await queue.addBulk(
      rollupDays.map((day) => ({ name: 'usage.rollup', data: { day }, opts: { jobId: `usage-test-${day}-${randomUUID()}` } })),
    );
    const out = [];
    for (const job of jobs) out.push(...(await job.waitUntilFinished(queueEvents, 60_000)));
    return out;
  }

  async function all(client: ApiClient, path: string, limit = 200): Promise<Array<Row & { closed: boolean }>> {
    const out = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: any } = await client.get(
        `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      out.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return out;
  }

  async function csv(client: ApiClient, path: string) {
    const res = await client.get<string>(path, { accept: 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/csv/);
    return csvToRows(typeof res.body === 'string' ? res.body : String(res.body));
  }

  async function backdate(resourceId: string, type: string, at: Date): Promise<void> {
    const res = await db.query(
      `UPDATE events SET occurred_at = $3 WHERE resource_id = $1 AND type = $2 AND occurred_at > now() - interval '1 day'`,
      [resourceId, type, at],
    );
    expect(res.rowCount).toBe(1);
  }

  async function connect(client: ApiClient, tenantId: string, vendor: 'graph' | 'veeam'): Promise<Conn> {
    const fx = (vendor === 'graph' ? graphFixture : veeamFixture)(stack.sandbox.origin);
    const res = await client.post(`/v1/tenants/${tenantId}/connections`, fx.connection);
    expect(res.status).toBe(201);
    const policyId = randomUUID();
    await db.query(
      `INSERT INTO policies (id, tenant_id, connection_id, vendor, workload, display_name, status, desired_active, vendor_ref)
      VALUES ($1, $2, $3, $4, 'sharepoint', 'usage', 'active', true, $5)`,
      [policyId, tenantId, res.body.id, vendor, `ref-${policyId}`],
    );
    const conn = { tenantId, connectionId: res.body.id, policyId, vendor, items: [] };
    conns.push(conn);
    return conn;
  }

  /** Inserts an item (pending) and moves it through `steps`, each dated `at`, the way the worker does. */
  async function addItem(conn: Conn, createdAt: Date, size: number | null, steps: Array<{ status: Status; at: Date }>): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO protected_items (id, tenant_id, policy_id, connection_id, kind, external_id, status, size_bytes, created_at, updated_at)
      VALUES ($1, $2, $3, $4, 'site', $5, 'pending', $6, $7, $7)`,
      [id, conn.tenantId, conn.policyId, conn.connectionId, `site-${id}`, size, createdAt],
    );
    await backdate(id, 'protected_item.added', createdAt);
    for (const s of steps) {
      if (s.status === 'removed')
        await db.query(`UPDATE protected_items SET status = 'removing', updated_at = $2 WHERE id = $1`, [id, s.at]);
      await db.query(`UPDATE protected_items SET status = $2, updated_at = $3 WHERE id = $1`, [id, s.status, s.at]);
      await backdate(id, `protected_item.${s.status}`, s.at);
    }
    conn.items.push({ id, createdAt: createdAt.getTime() });
    return id;
  }

  /** A restore job queued, then ended with `status` at `completedAt` (items with their own outcome). */
  async function addJob(
    conn: Conn,
    status: JobStatus | 'running',
    completedAt: Date,
    items: Array<{ id: string; status: string }>,
  ): Promise<string> {
    const id = randomUUID();
    const record = (s: string) =>
      items.map((i) => ({
        restorePointId: randomUUID(),
        protectedItemId: i.id,
        externalId: `site-${i.id}`,
        restorePointRef: 'rp',
        protectedItemRef: 'pi',
        pointInTime: new Date(completedAt.getTime() - DAY).toISOString(),
        status: s === 'pending' ? 'pending' : i.status,
      }));
    const created = new Date(completedAt.getTime() - int(1, 600) * 60_000);
    await db.query(
      `INSERT INTO restore_jobs (id, tenant_id, connection_id, vendor, workload, destination, status, items, created_at, updated_at, deadline_at)
      VALUES ($1, $2, $3, $4, 'sharepoint', 'original', 'queued', $5, $6, $6, $7)`,
      [id, conn.tenantId, conn.connectionId, conn.vendor, JSON.stringify(record('pending')), created, new Date(created.getTime() + DAY)],
    );
    await db.query(`UPDATE restore_jobs SET status = $2, items = $3, completed_at = $4, updated_at = $5 WHERE id = $1`, [
      id,
      status,
      JSON.stringify(record(status)),
      status === 'running' ? null : completedAt,
      completedAt,
    ]);
    return id;
  }

  /** A random life for one item around the month: protected, removed, failed and back, boundary instants. */
  function itemLife(early: boolean): { createdAt: Date; steps: Array<{ status: Status; at: Date }> } {
    const created = monthStart + int(-12 * 24, early ? -11 * 24 : (days - 1) * 24) * 3_600_000 + int(0, 3_599_999);
    const steps: Array<{ status: Status; at: Date }> = [];
    let t = created;
    const next = (status: Status, gapMs: number) => {
      t += Math.max(1, gapMs);
      steps.push({ status, at: new Date(t) });
    };
    const shape = pick(['stays', 'removed', 'flaps', 'sameDay', 'never', 'midnight'] as const);
    if (shape === 'never')
      return { createdAt: new Date(created), steps: rand() < 0.5 ? [] : [{ status: 'failed', at: new Date(created + 60_000) }] };
    next('protected', int(1, 72 * 60) * 60_000);
    if (shape === 'removed') next('removed', int(1, 20 * 24 * 60) * 60_000);
    if (shape === 'sameDay') next('removed', int(1, 90) * 60_000);
    if (shape === 'flaps') {
      next('failed', int(60, 5 * 24 * 60) * 60_000);
      next('protected', int(1, 2 * 24 * 60) * 60_000);
      if (rand() < 0.5) next('removed', int(1, 10 * 24 * 60) * 60_000);
    }
    if (shape === 'midnight') {
      // Removed exactly at a UTC midnight: protected until then, not on the day that starts there.
      const midnight = Math.ceil((t + 1) / DAY) * DAY + int(0, 5) * DAY;
      next('removed', midnight - t);
    }
    return { createdAt: new Date(created), steps };
  }

  function completionTime(i: number): Date {
    // The first four are the boundaries: the month's first and last instant, and the instants just outside.
    const special = [monthStart, monthEnd - 1, monthEnd, monthStart - 1];
    return new Date(i < special.length ? special[i] : monthStart + int(0, days * DAY - 1));
  }

  async function generate(conn: Conn, itemCount: number, jobCount: number): Promise<void> {
    for (let i = 0; i < itemCount; i++) {
      const life = itemLife(i < 2);
      // Some vendors report no size (counted as 0 bytes); the first item of a connection always has one.
      await addItem(conn, life.createdAt, i > 0 && rand() < 0.2 ? null : int(1, 5_000) * 1_048_576, life.steps);
    }
    for (let i = 0; i < jobCount; i++) {
      const status = pick(['succeeded', 'succeeded', 'partiallySucceeded', 'failed', 'cancelled'] as const);
      // A job restores items that existed when it ran (the first two items of a connection predate the month).
      const at = completionTime(i);
      const chosen = conn.items
        .filter((it) => it.createdAt < at.getTime())
        .map((it) => it.id)
        .sort(() => rand() - 0.5)
        .slice(0, int(status === 'partiallySucceeded' ? 2 : 1, 4));
      const itemStatus = (k: number) =>
        status === 'succeeded'
          ? 'succeeded'
          : status === 'failed'
            ? 'failed'
            : status === 'cancelled'
              ? pick(['cancelled', 'failed'])
              : k === 0
                ? 'succeeded'
                : k === 1
                  ? 'failed'
                  : pick(['succeeded', 'failed']);
      await addJob(
        conn,
        status,
        at,
        chosen.map((id, k) => ({ id, status: itemStatus(k) })),
      );
    }
    await addJob(conn, 'running', new Date(monthStart + int(0, days * DAY - 1)), [{ id: conn.items[0].id, status: 'running' }]);
    // Backup runs the vendor reported, some with bytes processed, ended at the month's boundaries and inside it;
    // one still running and one without a byte count count nothing.
    for (let i = 0; i < 8; i++) {
      const ended = completionTime(i);
      await addRun(conn, pick(['succeeded', 'warning', 'failed'] as const), ended, i === 5 ? null : int(1, 900) * 1_048_576);
    }
    await addRun(conn, 'running', null, 1_048_576);
    // Veeam reports its licensed users and storage: the day's latest sample counts, on a few days of the month.
    if (conn.vendor === 'veeam') {
      for (const day of [0, int(1, days - 2), days - 1]) {
        for (let k = 0; k < 2; k++) await addSample(conn, dayOf(day), 'licensed_users', int(1, 300));
        await addSample(conn, dayOf(day), 'storage_bytes', int(1, 10_000) * 1_048_576);
      }
    }
  }

  /** A backup run the vendor reported for the connection's policy, ended at `endedAt` (null: still running). */
  async function addRun(conn: Conn, status: string, endedAt: Date | null, bytes: number | null): Promise<void> {
    const started = new Date((endedAt ?? new Date(monthStart + DAY)).getTime() - int(1, 120) * 60_000);
    await db.query(
      `INSERT INTO backup_runs (id, tenant_id, connection_id, policy_id, trigger, status, vendor_ref, vendor_status, started_at, ended_at, bytes_processed)
      VALUES ($1, $2, $3, $4, 'scheduled', $5, $6, $7, $8, $9, $10)`,
      [randomUUID(), conn.tenantId, conn.connectionId, conn.policyId, status, randomUUID(), status, started, endedAt, bytes],
    );
  }

  /** A vendor usage sample of the day, stored the way the worker stores it (a later sample of the day replaces it). */
  async function addSample(conn: Conn, day: string, metric: 'licensed_users' | 'storage_bytes', quantity: number): Promise<void> {
    await db.query(
      `INSERT INTO usage_vendor_samples (partner_id, tenant_id, connection_id, vendor, day, metric, quantity, sampled_at)
      SELECT t.partner_id, t.id, $2, $3, $4::date, $5, $6, $4::date + interval '12 hours' FROM tenants t WHERE t.id = $1
      ON CONFLICT (connection_id, day, metric) DO UPDATE SET quantity = EXCLUDED.quantity`,
      [conn.tenantId, conn.connectionId, conn.vendor, day, metric, quantity],
    );
  }

  /** What the history says, computed here with SQL from restore_jobs, protected_items and their events. */
  async function expectedDays(tenantIds: string[]): Promise<Row[]> {
    const rows = new Map<string, Row>();
    const at = (day: string, tenantId: string, vendor: string) => {
      const key = `${day}|${tenantId}|${vendor}`;
      if (!rows.has(key)) rows.set(key, { period: day, tenantId, vendor, metrics: emptyMetrics() });
      return rows.get(key)!.metrics;
    };
    const range = [new Date(monthStart), new Date(monthEnd)];
    const jobs = await db.query(
      `SELECT tenant_id, vendor, to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, status, count(*)::int AS n
      FROM restore_jobs WHERE tenant_id = ANY($1) AND completed_at >= $2 AND completed_at < $3 GROUP BY 1, 2, 3, 4`,
      [tenantIds, ...range],
    );
    for (const r of jobs.rows) {
      const m = at(r.day, r.tenant_id, r.vendor);
      m.restoreJobs[r.status as JobStatus] += r.n;
      m.restoreJobs.total += r.n;
    }
    const restored = await db.query(
      `SELECT j.tenant_id, j.vendor, to_char(j.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
        count(*)::int AS n, coalesce(sum(p.size_bytes), 0)::bigint AS bytes
      FROM restore_jobs j CROSS JOIN jsonb_array_elements(j.items) i LEFT JOIN protected_items p ON p.id = (i->>'protectedItemId')::uuid
      WHERE j.tenant_id = ANY($1) AND j.completed_at >= $2 AND j.completed_at < $3 AND i->>'status' = 'succeeded' GROUP BY 1, 2, 3`,
      [tenantIds, ...range],
    );
    for (const r of restored.rows) Object.assign(at(r.day, r.tenant_id, r.vendor), { restoredItems: r.n, restoredBytes: Number(r.bytes) });
    // An item counts on a day when its state at the day's first instant was protected, or it became protected during the day.
    const items = await db.query(
      `SELECT to_char(d.day AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, p.tenant_id, c.vendor,
        count(*)::int AS n, coalesce(sum(p.size_bytes), 0)::bigint AS bytes
      FROM generate_series($2::timestamptz, $3::timestamptz - interval '1 day', interval '1 day') AS d(day)
      JOIN protected_items p ON p.tenant_id = ANY($1) JOIN connections c ON c.id = p.connection_id
      WHERE (SELECT e.data->>'status' FROM events e WHERE e.resource_id = p.id AND e.occurred_at <= d.day ORDER BY e.occurred_at DESC LIMIT 1) = 'protected'
         OR EXISTS (SELECT 1 FROM events e WHERE e.resource_id = p.id AND e.type = 'protected_item.protected' AND e.occurred_at >= d.day AND e.occurred_at < d.day + interval '1 day')
      GROUP BY 1, 2, 3`,
      [tenantIds, ...range],
    );
    for (const r of items.rows) {
      Object.assign(at(r.day, r.tenant_id, r.vendor), {
        protectedItems: r.n,
        protectedItemDays: r.n,
        protectedBytes: Number(r.bytes),
        protectedByteDays: Number(r.bytes),
      });
    }
    const runs = await db.query(
      `SELECT r.tenant_id, c.vendor, to_char(r.ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, sum(r.bytes_processed)::bigint AS bytes
      FROM backup_runs r JOIN connections c ON c.id = r.connection_id
      WHERE r.tenant_id = ANY($1) AND r.ended_at >= $2 AND r.ended_at < $3 AND r.bytes_processed IS NOT NULL GROUP BY 1, 2, 3`,
      [tenantIds, ...range],
    );
    for (const r of runs.rows) at(r.day, r.tenant_id, r.vendor).backedUpBytes = Number(r.bytes);
    const samples = await db.query(
      `SELECT tenant_id, vendor, to_char(day, 'YYYY-MM-DD') AS day, metric, sum(quantity)::bigint AS q
      FROM usage_vendor_samples WHERE tenant_id = ANY($1) AND day >= $2::date AND day < $3::date GROUP BY 1, 2, 3, 4`,
      [tenantIds, ...range],
    );
    for (const r of samples.rows) {
      const m = at(r.day, r.tenant_id, r.vendor);
      if (r.metric === 'licensed_users') m.licensedUsers = Number(r.q);
      else m.storageBytes = Number(r.q);
    }
    return [...rows.values()].sort(byKey);
  }

  beforeAll(async () => {
    stack = await startStack({ config: { USAGE_FLUSH_MS: '200' } });
    db = new Client({ connectionString: stack.config.DATABASE_URL });
    await db.connect();
    await db.query(`SET TimeZone = 'UTC'`);
    queues = testQueues(stack.config);
    queue = queues.queue(QUEUES.usage);
    queueEvents = await queues.events(QUEUES.usage);

    a = await newTenant(stack.admin);
    const second = (await a.partner.post('/v1/tenants', { name: 'second' })).body;
    t2 = {
      tenantId: second.id,
      tenant: stack.admin.withKey((await a.partner.post('/v1/api-keys', { name: 'k', tenantId: second.id })).body.key),
    };
    b = await newTenant(stack.admin);
    for (const [client, tenantId] of [
      [a.tenant, a.tenantId],
      [t2.tenant, t2.tenantId],
    ] as const) {
      await generate(await connect(client, tenantId, 'graph'), 7, 12);
      await generate(await connect(client, tenantId, 'veeam'), 6, 10);
    }
    await generate(await connect(b.tenant, b.tenantId, 'graph'), 4, 6);
    const results = await rollup(monthDays);
    expect(results.map((r) => r.day)).toEqual(monthDays);
    expect(results.every((r) => r.state === 'closed' || r.state === 'final')).toBe(true);
  }, 180_000);
  afterAll(async () => {
    await queues?.close();
    await db?.end();
    await stack?.stop();
  });

  it(`totals per day, tenant and vendor equal the job and item history (seed ${seed})`, async () => {
    const expected = await expectedDays([a.tenantId, t2.tenantId]);
    expect(expected.length).toBeGreaterThan(20);
    const rows = await all(a.partner, `/v1/usage?from=${from}&to=${to}`, 37);
    expect(rows.every((r) => r.closed)).toBe(true);
    expect(strip(rows)).toEqual(expected);
    // The same through one tenant's endpoint and key, and narrowed by vendor.
    expect(strip(await all(t2.tenant, `/v1/tenants/${t2.tenantId}/usage?from=${from}&to=${to}`))).toEqual(
      expected.filter((r) => r.tenantId === t2.tenantId),
    );
    expect(strip(await all(a.partner, `/v1/usage?from=${from}&to=${to}&tenantId=${a.tenantId}&vendor=veeam`))).toEqual(
      expected.filter((r) => r.tenantId === a.tenantId && r.vendor === 'veeam'),
    );
  });

  it('month rows are the sums of their days (protected items: peak day and item-days)', async () => {
    const expected = toMonths(await expectedDays([a.tenantId, t2.tenantId]));
    expect(expected).toHaveLength(4);
    const rows = await all(a.partner, `/v1/usage?from=${from}&to=${to}&granularity=month`);
    expect(rows.map((r) => r.period)).toEqual(expected.map(() => from.slice(0, 7)));
    expect(rows.every((r) => r.closed)).toBe(true);
    expect(strip(rows)).toEqual(expected);
    const total = expected.reduce((n, r) => n + r.metrics.restoreJobs.total, 0);
    const inMonth = await db.query(
      `SELECT count(*)::int AS n FROM restore_jobs WHERE tenant_id = ANY($1) AND completed_at >= $2 AND completed_at < $3`,
      [[a.tenantId, t2.tenantId], new Date(monthStart), new Date(monthEnd)],
    );
    expect(total).toBe(inMonth.rows[0].n);
  });

  it('answers CSV (RFC 4180, header row, whole range) whose numbers equal the JSON', async () => {
    const json = strip(await all(a.partner, `/v1/usage?from=${from}&to=${to}`));
    expect(await csv(a.partner, `/v1/usage?from=${from}&to=${to}`)).toEqual(json);
    const months = strip(await all(a.partner, `/v1/usage?from=${from}&to=${to}&granularity=month`));
    expect(await csv(a.partner, `/v1/usage?from=${from}&to=${to}&granularity=month`)).toEqual(months);
    const empty = await a.partner.get<string>('/v1/usage?from=1999-01-01&to=1999-01-31', { accept: 'text/csv' });
    expect(empty.body).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });

  it('never rewrites a closed day: a late change becomes a correction row and totals still match', async () => {
    const conn = conns.find((c) => c.tenantId === a.tenantId && c.vendor === 'graph')!;
    const day = dayOf(int(1, days - 2));
    const before = (
      await db.query(`SELECT id, metric, kind, quantity, closed_at FROM usage_daily WHERE tenant_id = $1 AND day = $2 ORDER BY id`, [
        a.tenantId,
        day,
      ])
    ).rows;
    const sized = (
      await db.query(
        `SELECT id, size_bytes FROM protected_items WHERE connection_id = $1 AND size_bytes IS NOT NULL AND created_at < $2 LIMIT 2`,
        [conn.connectionId, new Date(`${day}T00:00:00Z`)],
      )
    ).rows;
    await addJob(
      conn,
      'succeeded',
      new Date(`${day}T12:34:56.789Z`),
      sized.map((r) => ({ id: r.id, status: 'succeeded' })),
    );

    const [result] = await rollup([day]);
    expect(result).toMatchObject({ day, state: 'final', rows: 3 });
    const after = (
      await db.query(`SELECT id, metric, kind, quantity, closed_at FROM usage_daily WHERE tenant_id = $1 AND day = $2 ORDER BY id`, [
        a.tenantId,
        day,
      ])
    ).rows;
    expect(after.slice(0, before.length)).toEqual(before);
    const added = after.slice(before.length).filter((r) => r.kind === 'correction');
    expect(added.map((r) => [r.metric, r.quantity]).sort()).toEqual(
      [
        ['restore_jobs_succeeded', '1'],
        ['restored_bytes', String(sized.reduce((n, r) => n + Number(r.size_bytes), 0))],
        ['restored_items', String(sized.length)],
      ].sort(),
    );
    expect(added.every((r) => r.closed_at !== null)).toBe(true);
    const closedRow = after[0].id;
    await expect(db.query(`UPDATE usage_daily SET quantity = quantity + 1 WHERE id = $1`, [closedRow])).rejects.toThrow(/closed/);
    await expect(db.query(`DELETE FROM usage_daily WHERE id = $1`, [closedRow])).rejects.toThrow(/closed/);

    // Rolling the day up again changes nothing; the API's totals include the correction.
    expect(await rollup([day])).toEqual([{ day, state: 'final', rows: 0 }]);
    const expected = await expectedDays([a.tenantId, t2.tenantId]);
    expect(strip(await all(a.partner, `/v1/usage?from=${from}&to=${to}`))).toEqual(expected);
  });

  it('bytes of a past day stay what the vendor reported then, after the item grows', async () => {
    const t4 = (await b.partner.post('/v1/tenants', { name: 'sizes' })).body.id as string;
    const conn = await connect(b.partner, t4, 'graph');
    const item = await addItem(conn, new Date(monthStart - 5 * DAY), 100, [{ status: 'protected', at: new Date(monthStart - 4 * DAY) }]);
    await addJob(conn, 'succeeded', new Date(monthStart + 4 * DAY + 3_600_000), [{ id: item, status: 'succeeded' }]);
    await db.query(`UPDATE protected_items SET size_bytes = 300, updated_at = $2 WHERE id = $1`, [
      item,
      new Date(monthStart + 9 * DAY + 12 * 3_600_000),
    ]);
    await addJob(conn, 'succeeded', new Date(monthStart + 19 * DAY), [{ id: item, status: 'succeeded' }]);
    await rollup(monthDays);
    const rows = await all(b.partner, `/v1/tenants/${t4}/usage?from=${from}&to=${to}`);
    expect(rows.map((r) => r.metrics.protectedBytes)).toEqual(monthDays.map((_, i) => (i < 9 ? 100 : 300)));
    expect(rows.map((r) => r.metrics.protectedItems)).toEqual(monthDays.map(() => 1));
    expect(rows.filter((r) => r.metrics.restoredBytes).map((r) => [r.period, r.metrics.restoredBytes])).toEqual([
      [dayOf(4), 100],
      [dayOf(19), 300],
    ]);
    const [month] = await all(b.partner, `/v1/tenants/${t4}/usage?from=${from}&to=${to}&granularity=month`);
    expect(month.metrics).toMatchObject({
      protectedItems: 1,
      protectedItemDays: days,
      protectedBytes: 300,
      protectedByteDays: 9 * 100 + (days - 9) * 300,
      restoredBytes: 400,
    });
  });

  it('counts every vendor API call the worker made, equal to the calls the sandbox received', async () => {
    const t = await newTenant(stack.admin);
    const fx = graphFixture(stack.sandbox.origin);
    const T = `/v1/tenants/${t.tenantId}`;
    const connection = (await t.tenant.post(`${T}/connections`, fx.connection)).body.id;
    expect((await t.tenant.post(`${T}/connections/${connection}/verify`)).status).toBe(202);
    await t.tenant.post(`${T}/policies`, { connectionId: connection, workload: 'sharepoint', displayName: 'metered', items: fx.items(2) });
    const points = await eventually(
      () => t.tenant.get(`${T}/restore-points`),
      (r) => r.body.items?.length >= 1,
    );
    const job = (await t.tenant.post(`${T}/restore-jobs`, { items: [{ restorePointId: points.body.items[0].id }] })).body.id;
    await eventually(
      () => t.tenant.get(`${T}/restore-jobs/${job}`),
      (r) => r.body.status === 'succeeded',
      60_000,
    );

    const control = new SandboxControl(stack.sandbox.origin, fx.sandboxPrefix, fx.scope);
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - DAY).toISOString().slice(0, 10);
    // Stable when the sandbox saw the same number of calls before and after the roll-up counted them.
    const seen = await eventually(
      async () => {
        const sandboxBefore = (await control.calls()).length;
        await rollup([yesterday, today]);
        const rows = await all(t.tenant, `${T}/usage?from=${yesterday}&to=${today}`);
        return {
          sandboxBefore,
          metered: rows.reduce((n, r) => n + r.metrics.vendorApiCalls, 0),
          sandboxAfter: (await control.calls()).length,
          rows,
        };
      },
      (s) => s.sandboxBefore === s.metered && s.metered === s.sandboxAfter,
      60_000,
      500,
    );
    expect(seen.metered).toBeGreaterThan(3);
    expect(seen.rows.map((r) => r.vendor)).toEqual(seen.rows.map(() => 'graph'));
    const todayRow = seen.rows.find((r) => r.period === today)!;
    expect(todayRow).toMatchObject({
      closed: false,
      metrics: { restoreJobs: { succeeded: 1, total: 1 }, restoredItems: 1, protectedItems: 2 },
    });
    const stored = await db.query(`SELECT sum(calls)::int AS n FROM usage_vendor_calls WHERE connection_id = $1`, [connection]);
    expect(stored.rows[0].n).toBe(seen.metered);
  });

  describe('access', () => {
    it('gives a partner its own tenants only, and a tenant key its own tenant only', async () => {
      const partnerRows = await all(a.partner, `/v1/usage?from=${from}&to=${to}`);
      expect(new Set(partnerRows.map((r) => r.tenantId))).toEqual(new Set([a.tenantId, t2.tenantId]));
      const tenantRows = await all(a.tenant, `/v1/usage?from=${from}&to=${to}`);
      expect(tenantRows.length).toBeGreaterThan(0);
      expect(tenantRows.every((r) => r.tenantId === a.tenantId)).toBe(true);
      const otherPartner = await all(b.partner, `/v1/usage?from=${from}&to=${to}`);
      expect(otherPartner.length).toBeGreaterThan(0);
      expect(otherPartner.some((r) => [a.tenantId, t2.tenantId].includes(r.tenantId))).toBe(false);
      expect((await csv(b.partner, `/v1/usage?from=${from}&to=${to}`)).some((r) => r.tenantId === a.tenantId)).toBe(false);
    });

    it.each([
      ['a tenant key, another tenant of its partner', () => a.tenant, () => `/v1/tenants/${t2.tenantId}/usage`],
      ['a tenant key, another tenant via tenantId', () => a.tenant, () => `/v1/usage?tenantId=${t2.tenantId}`],
      ["a partner key, another partner's tenant", () => b.partner, () => `/v1/tenants/${a.tenantId}/usage`],
      ["a partner key, another partner's tenant via tenantId", () => b.partner, () => `/v1/usage?tenantId=${a.tenantId}`],
      ['an unknown tenant', () => a.partner, () => `/v1/tenants/${randomUUID()}/usage`],
    ])('answers 404 NOT_FOUND for %s', async (_label, client, path) => {
      for (const accept of ['application/json', 'text/csv']) {
        const res = await client().get(path(), { accept });
        expect([res.status, res.contentType, res.body.code]).toEqual([404, expect.stringContaining(PROBLEM), 'NOT_FOUND']);
      }
    });

    it('rejects a missing or unknown key with 401', async () => {
      for (const key of [undefined, 'bgk_notARealKeyAtAll000000000000']) {
        const res = await stack.admin.withKey(key).get('/v1/usage');
        expect([res.status, res.body.code]).toEqual([401, 'UNAUTHENTICATED']);
      }
    });
  });

  describe('validation', () => {
    it.each([
      ['from=2025-13-01', 'from'],
      ['from=yesterday', 'from'],
      ['from=2025-03-10&to=2025-03-01', 'to'],
      ['from=2024-01-01&to=2025-02-05', 'to'],
      ['granularity=week', 'granularity'],
      ['vendor=acme', 'vendor'],
      ['limit=0', 'limit'],
      ['colour=red', ''],
      ['cursor=not-a-cursor', 'cursor'],
    ])('refuses %s with 400 VALIDATION_FAILED naming %s', async (query, path) => {
      const res = await a.partner.get(`/v1/usage?${query}`);
      expect(res.status).toBe(400);
      expect(res.contentType).toContain(PROBLEM);
      expect(res.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        type: '/v1/errors/VALIDATION_FAILED',
        errors: [expect.objectContaining({ path })],
      });
    });

    it('refuses tenantId on the tenant endpoint, a cursor with CSV, and an operator without tenantId', async () => {
      expect((await a.partner.get(`/v1/tenants/${a.tenantId}/usage?tenantId=${a.tenantId}`)).status).toBe(400);
      const csvCursor = await a.partner.get(`/v1/usage?cursor=abc`, { accept: 'text/csv' });
      expect([csvCursor.status, csvCursor.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const admin = await stack.admin.get('/v1/usage');
      expect([admin.status, admin.body.errors?.[0]?.path]).toEqual([400, 'tenantId']);
      expect((await stack.admin.get(`/v1/usage?tenantId=${a.tenantId}&from=${from}&to=${to}`)).body.items.length).toBeGreaterThan(0);
    });

    it('defaults to the current month so far, and allows 400 days', async () => {
      const today = new Date().toISOString().slice(0, 10);
      const res = await a.partner.get('/v1/usage');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ from: `${today.slice(0, 7)}-01`, to: today, granularity: 'day', nextCursor: null });
      const long = await a.partner.get(
        `/v1/usage?from=${from}&to=${new Date(monthStart + 399 * DAY).toISOString().slice(0, 10)}&granularity=month`,
      );
      expect(long.status).toBe(200);
    });
  });

  describe('the scheduled roll-up', () => {
    let scheduled: TestStack;
    beforeAll(async () => {
      scheduled = await startStack({
        config: { USAGE_ROLLUP_ENABLED: 'true', USAGE_ROLLUP_EVERY_MS: '1000', USAGE_DAY_CLOSE_GRACE_MINUTES: '0' },
      });
    });
    afterAll(async () => scheduled?.stop());

    it('keeps today open and closes yesterday on its own, without an explicit usage.rollup', async () => {
      const t = await newTenant(scheduled.admin);
      const T = `/v1/tenants/${t.tenantId}`;
      const conn = (await t.tenant.post(`${T}/connections`, graphFixture(scheduled.sandbox.origin).connection)).body.id;
      const owner = new Client({ connectionString: scheduled.config.DATABASE_URL });
      await owner.connect();
      const now = Date.now();
      try {
        for (const [status, at] of [
          ['succeeded', now - DAY],
          ['failed', now - 60_000],
        ] as const) {
          const id = randomUUID();
          await owner.query(
            `INSERT INTO restore_jobs (id, tenant_id, connection_id, vendor, workload, destination, status, items, deadline_at)
            VALUES ($1, $2, $3, 'graph', 'sharepoint', 'original', 'queued', '[]', now() + interval '1 day')`,
            [id, t.tenantId, conn],
          );
          await owner.query(`UPDATE restore_jobs SET status = $2, completed_at = $3 WHERE id = $1`, [id, status, new Date(at)]);
        }
      } finally {
        await owner.end();
      }
      const [yesterday, today] = [new Date(now - DAY), new Date(now)].map((d) => d.toISOString().slice(0, 10));
      const rows = await eventually(
        () => all(t.tenant, `${T}/usage?from=${yesterday}&to=${today}`),
        (r) => r.length === 2 && r[0].closed,
        60_000,
        250,
      );
      expect(rows.map((r) => [r.period, r.closed, r.metrics.restoreJobs])).toEqual([
        [yesterday, true, { succeeded: 1, partiallySucceeded: 0, failed: 0, cancelled: 0, total: 1 }],
        [today, false, { succeeded: 0, partiallySucceeded: 0, failed: 1, cancelled: 0, total: 1 }],
      ]);
    });
  });

  it('documents both endpoints in the OpenAPI document', async () => {
    const doc = (await stack.admin.withKey(undefined).get('/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/usage', '/v1/tenants/{tenantId}/usage']));
    const op = doc.paths['/v1/usage'].get;
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['from', 'to', 'tenantId', 'vendor', 'granularity', 'cursor', 'limit']),
    );
    expect(Object.keys(op.responses['200'].content)).toEqual(expect.arrayContaining(['application/json', 'text/csv']));
  });
});
