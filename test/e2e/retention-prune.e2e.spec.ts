import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { SYSTEM_DB } from '../../apps/worker/src/common/worker-platform.module';
import { MaintenanceProcessor } from '../../apps/worker/src/maintenance/maintenance.processor';
import { pruneRetention, type RetentionReport, type RetentionSettings } from '../../apps/worker/src/maintenance/retention-prune';
import { newTenant, type TenantContext } from '../support/factories';
import { startStack, type TestStack } from '../support/stack';
import { graphFixture } from '../support/vendor-fixtures';

const DAY_MS = 24 * 60 * 60_000;
/** A UUIDv7 of the time `$n` (like bg_uuid_v7(), at a chosen moment). */
const V7 = (n: number) =>
  `encode(overlay(uuid_send(gen_random_uuid()) PLACING substring(int8send(floor(extract(epoch FROM $${n}::timestamptz) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 'hex')::uuid`;

const SETTINGS: RetentionSettings = {
  EVENT_RETENTION_DAYS: 90,
  WEBHOOK_DELIVERY_RETENTION_DAYS: 30,
  USAGE_FACT_RETENTION_DAYS: 400,
  RETENTION_PRUNE_BATCH: 4,
  RETENTION_PRUNE_MAX_BATCHES: 3,
};

/**
 * Retention (maintenance.prune-retention) against a real database of its own: rows past retention go in
 * bounded batches; what is still needed stays (pending deliveries, events a delivery references,
 * protected_item events, usage facts of days the roll-up has not closed, everything recent).
 */
describe('retention prune: events, webhook deliveries, usage facts', () => {
  let stack: TestStack;
  let db: Client;
  let t: TenantContext;
  let endpointId: string;
  let connectionId: string;
  const now = new Date();
  const ago = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const tag = randomUUID();

  async function events(n: number, at: Date, resourceType = 'restore_job'): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(await event(at, resourceType));
    return ids;
  }

  async function event(at: Date, resourceType = 'restore_job'): Promise<string> {
    const { rows } = await db.query(
      `INSERT INTO events (id, partner_id, tenant_id, type, resource_type, resource_id, data, occurred_at)
       VALUES (${V7(1)}, $2, $3, $4, $5, gen_random_uuid(), jsonb_build_object('tag', $6::text), $1) RETURNING id`,
      [at, t.partnerId, t.tenantId, `${resourceType}.test`, resourceType, tag],
    );
    return rows[0].id;
  }

  async function delivery(eventId: string, status: 'pending' | 'succeeded' | 'failed', completedAt: Date | null): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO webhook_deliveries (id, partner_id, tenant_id, endpoint_id, kind, event_id, event_type, message_id, status, attempt_count, completed_at, created_at)
       VALUES ($1, $2, $3, $4, 'event', $5, 'restore_job.test', $8, $6, 1, $7::timestamptz, coalesce($7::timestamptz, now()))`,
      [id, t.partnerId, t.tenantId, endpointId, eventId, status, completedAt, `msg_${id}`],
    );
    await db.query(
      `INSERT INTO webhook_delivery_attempts (delivery_id, partner_id, tenant_id, attempt, url, status_code, duration_ms)
       VALUES ($1, $2, $3, 1, 'https://example.test/hook', 500, 10), ($1, $2, $3, 2, 'https://example.test/hook', 200, 10)`,
      [id, t.partnerId, t.tenantId],
    );
    return id;
  }

  async function vendorCalls(day: Date, closed: boolean): Promise<void> {
    const d = day.toISOString().slice(0, 10);
    await db.query(
      `INSERT INTO usage_vendor_calls (partner_id, tenant_id, vendor, connection_id, day, calls) VALUES ($1, $2, 'graph', $3, $4, 7)`,
      [t.partnerId, t.tenantId, connectionId, d],
    );
    await db.query(
      `INSERT INTO usage_vendor_samples (partner_id, tenant_id, connection_id, vendor, day, metric, quantity, sampled_at)
       VALUES ($1, $2, $3, 'graph', $4, 'licensed_users', 12, $4::date + interval '1 hour')`,
      [t.partnerId, t.tenantId, connectionId, d],
    );
    if (closed) await db.query(`INSERT INTO usage_days (day, closed_at) VALUES ($1, now()) ON CONFLICT DO NOTHING`, [d]);
  }

  const exists = async (table: string, id: string) => (await db.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id])).rowCount === 1;

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    db = new Client({ connectionString: stack.config.DATABASE_URL });
    await db.connect();
    t = await newTenant(stack.admin);
    const T = `/v1/tenants/${t.tenantId}`;
    endpointId = (await t.tenant.post(`${T}/webhooks`, { url: 'http://127.0.0.1:1/hook', eventTypes: ['restore_job.*'] })).body.id;
    connectionId = (await t.tenant.post(`${T}/connections`, graphFixture(stack.sandbox.origin).connection)).body.id;
    expect([endpointId, connectionId]).toEqual([expect.any(String), expect.any(String)]);
  });
  afterAll(async () => {
    await db.end();
    await stack.stop();
  });

  it('deletes only rows past retention, keeps the protected ones, and never exceeds its batch budget per run', async () => {
    const oldEvents = await events(25, ago(200));
    const recentEvents = await events(5, ago(1));
    const protectedItemEvents = await events(3, ago(200), 'protected_item');
    const pendingOld = await delivery(await event(ago(200)), 'pending', null);
    const recentFinished = await delivery(await event(ago(200)), 'succeeded', ago(1));
    const oldFinishedEvent = await event(ago(200));
    const oldFinished = await delivery(oldFinishedEvent, 'failed', ago(100));
    await vendorCalls(ago(500), true);
    await vendorCalls(ago(501), false);
    await vendorCalls(ago(3), true);

    const runs: RetentionReport[] = [];
    for (let i = 0; i < 10; i++) {
      const report = await pruneRetention(stack.worker!.get<DataSource>(SYSTEM_DB).manager, SETTINGS, now);
      runs.push(report);
      // Per table at most MAX_BATCHES statements of at most BATCH rows.
      expect(report.events).toBeLessThanOrEqual(SETTINGS.RETENTION_PRUNE_BATCH * SETTINGS.RETENTION_PRUNE_MAX_BATCHES);
      expect(report.batches).toBeLessThanOrEqual(4 * SETTINGS.RETENTION_PRUNE_MAX_BATCHES);
      if (!report.budgetExhausted) break;
    }
    // 26 old deletable events (25 + the one whose only delivery went) cannot go in one run of 3 x 4.
    expect(runs.length).toBeGreaterThan(1);
    expect(runs[0].budgetExhausted).toBe(true);
    expect(runs.at(-1)!.budgetExhausted).toBe(false);
    const total = (k: 'events' | 'webhookDeliveries' | 'webhookDeliveryAttempts' | 'usageVendorCalls') =>
      runs.reduce((n, r) => n + r[k], 0);
    expect(total('webhookDeliveries')).toBe(1);
    expect(total('webhookDeliveryAttempts')).toBe(2);
    expect(total('usageVendorCalls')).toBe(1);

    for (const id of [...oldEvents, oldFinishedEvent]) expect(await exists('events', id)).toBe(false);
    for (const id of [...recentEvents, ...protectedItemEvents]) expect(await exists('events', id)).toBe(true);
    expect(await exists('webhook_deliveries', pendingOld)).toBe(true);
    expect(await exists('webhook_deliveries', recentFinished)).toBe(true);
    expect(await exists('webhook_deliveries', oldFinished)).toBe(false);
    const { rows: referenced } = await db.query(
      `SELECT count(*)::int AS n FROM events e JOIN webhook_deliveries d ON d.event_id = e.id WHERE d.id = ANY($1)`,
      [[pendingOld, recentFinished]],
    );
    expect(referenced[0].n).toBe(2);
    const { rows: calls } = await db.query(`SELECT day::text FROM usage_vendor_calls WHERE connection_id = $1 ORDER BY day`, [
      connectionId,
    ]);
    expect(calls.map((r) => r.day)).toEqual([ago(501), ago(3)].map((d) => d.toISOString().slice(0, 10)));
    const { rows: samples } = await db.query(`SELECT day::text FROM usage_vendor_samples WHERE connection_id = $1 ORDER BY day`, [
      connectionId,
    ]);
    expect(samples.map((r) => r.day)).toEqual([ago(501), ago(3)].map((d) => d.toISOString().slice(0, 10)));
    expect(runs.reduce((n, r) => n + r.usageVendorSamples, 0)).toBe(1);
    const { rows: attempts } = await db.query(`SELECT count(*)::int AS n FROM webhook_delivery_attempts WHERE delivery_id = $1`, [
      oldFinished,
    ]);
    expect(attempts[0].n).toBe(0);
    expect(total('events')).toBe(26);
  });

  it('runs as the maintenance job with the configured retention (defaults keep a day-old event)', async () => {
    const kept = await event(ago(1));
    const gone = await event(ago(91));
    const report = await stack.worker!.get(MaintenanceProcessor).pruneRetention(now);
    expect(report.events).toBeGreaterThanOrEqual(1);
    expect(report.budgetExhausted).toBe(false);
    expect(await exists('events', kept)).toBe(true);
    expect(await exists('events', gone)).toBe(false);
  });

  it('keeps an old event whose webhook fan-out still waits in the outbox, and the events after it', async () => {
    const older = await event(ago(150));
    const waiting = await event(ago(120));
    const later = await event(ago(110));
    // The prune runs inside the transaction that wrote the outbox row, so the running relay cannot take it away.
    const tx = {
      async query<T>(sql: string, params?: unknown[]): Promise<T> {
        const r = await db.query(sql, params);
        return (r.command === 'DELETE' ? [r.rows, r.rowCount ?? 0] : r.rows) as T;
      },
    };
    await db.query('BEGIN');
    try {
      await db.query(
        `INSERT INTO outbox (tenant_id, queue, name, job_id, payload, created_at) VALUES ($1, 'webhooks', 'webhook.fanout', $2, $3, $4)`,
        [t.tenantId, `webhook.fanout_${waiting}`, { tenantId: t.tenantId, eventId: waiting }, ago(120)],
      );
      await pruneRetention(tx, SETTINGS, now);
      expect(await exists('events', older)).toBe(false);
      expect(await exists('events', waiting)).toBe(true);
      expect(await exists('events', later)).toBe(true);
    } finally {
      await db.query('ROLLBACK');
    }
  });

  it('keeps an old event still owed its webhook fan-out (pending_webhook_fanouts), not the old events around it', async () => {
    const older = await event(ago(150));
    const owed = await event(ago(120));
    const later = await event(ago(110));
    await db.query(`INSERT INTO pending_webhook_fanouts (event_id, partner_id, tenant_id) VALUES ($1, $2, $3)`, [
      owed,
      t.partnerId,
      t.tenantId,
    ]);
    // A batch large enough to reach these events past whatever earlier cases kept.
    await pruneRetention(stack.worker!.get<DataSource>(SYSTEM_DB).manager, { ...SETTINGS, RETENTION_PRUNE_BATCH: 10_000 }, now);
    expect(await exists('events', older)).toBe(false);
    expect(await exists('events', owed)).toBe(true);
    expect(await exists('events', later)).toBe(false);
  });
});
