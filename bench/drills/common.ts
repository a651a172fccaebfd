// Pieces every drill shares: sizes from the environment, the stack with tenants and webhook receiver,
// waiting for the end state, and turning counts into a result.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Pool } from 'pg';
import { say, sleep } from '../support';
import { setupTenants, type DrillTenant } from './accounts';
import { TERMINAL, checkJobs, checkWebhooks, expectedDeliveries, type Counts } from './checks';
import { DRILL_LOG_DIR, DrillStack, type StackOptions } from './infra';
import { WebhookReceiver } from './receiver';
import type { DrillResult } from './report';

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/** Sizes: scaled so the whole set fits its 15-minute budget on the shared 2-core machine. DRILL_JOBS is worker-kill's. */
export const DRILL_JOBS = num('DRILL_JOBS', 1000);
export const DRILL_TENANTS = num('DRILL_TENANTS', 20);
export const DRILL_CLIENTS = num('DRILL_CLIENTS', 16);
/** Most a drill waits for every job to end (and every event to be delivered) after its load. */
export const DRILL_SETTLE_MS = num('DRILL_SETTLE_SECONDS', 240) * 1000;
/** How long a restore runs at the simulated vendor (every vendor; Graph's activation is a tenth of it). */
export const DRILL_RESTORE_MS = num('DRILL_RESTORE_MS', 500);

export interface DrillContext {
  drill: string;
  stack: DrillStack;
  pool: Pool;
  receiver: WebhookReceiver;
  tenants: DrillTenant[];
  gatewayUrls: () => string[];
}

/** Starts the stack, the receiver and `tenants` tenants (round-robin over the four vendors, each subscribed). */
export async function prepare(drill: string, opts: StackOptions & { tenants?: number; restoreMs?: number } = {}): Promise<DrillContext> {
  const t0 = Date.now();
  const stack = await DrillStack.start(drill, opts);
  const stackMs = Date.now() - t0;
  const receiver = new WebhookReceiver();
  await receiver.start();
  const tenants = await setupTenants(stack.gateways[0].url, stack.adminKey, stack.origin, opts.tenants ?? DRILL_TENANTS, {
    restoreMs: opts.restoreMs ?? DRILL_RESTORE_MS,
    webhookUrl: (route) => receiver.url(route),
  });
  for (const t of tenants) if (t.webhook) receiver.setSecret(t.webhook.route, t.webhook.secret);
  const pool = new Pool({ connectionString: stack.pg.databaseUrl, max: 3 });
  pool.on('error', () => undefined);
  say(
    `  ${drill}: stack up in ${secs(stackMs)} (2 gateways, 3 workers, private Postgres :${stack.pg.port}, ${stack.clusterNodes ? `Redis Cluster ${stack.clusterNodes}` : `Redis :${stack.redis.port}`}), ${tenants.length} tenants set up in ${secs(Date.now() - t0 - stackMs)}`,
  );
  return { drill, stack, pool, receiver, tenants, gatewayUrls: () => stack.gateways.map((g) => g.url) };
}

export async function teardown(ctx: DrillContext | undefined): Promise<void> {
  if (!ctx) return;
  const started = Date.now();
  await ctx.pool.end().catch(() => undefined);
  await ctx.receiver.stop().catch(() => undefined);
  await ctx.stack.stop();
  say(`  ${ctx.drill}: stack stopped in ${secs(Date.now() - started)}`);
}

/** Polls (with a deadline) until no job is non-terminal; returns how long it took. */
export async function untilAllTerminal(pool: Pool, timeoutMs = DRILL_SETTLE_MS): Promise<number> {
  const started = Date.now();
  for (;;) {
    const {
      rows: [r],
    } = await pool
      .query<{ open: number }>(`SELECT count(*)::int AS open FROM restore_jobs WHERE status <> ALL ($1)`, [TERMINAL])
      .catch(() => ({ rows: [{ open: -1 }] }));
    if (r.open === 0) return Date.now() - started;
    if (Date.now() - started > timeoutMs) return Date.now() - started;
    await sleep(1000);
  }
}

/** Job checks plus webhook checks (waiting up to `timeoutMs` for the deliveries to complete). */
export async function finalChecks(
  ctx: DrillContext,
  accepted: number,
  timeoutMs = 90_000,
): Promise<{ counts: Counts; failures: string[] }> {
  const jobs = await checkJobs(ctx.pool, ctx.tenants, accepted);
  if (jobs.diagnostics.length)
    writeFileSync(resolve(DRILL_LOG_DIR, `${ctx.drill}-diagnostics.json`), JSON.stringify(jobs.diagnostics, null, 2));
  const expected = await expectedDeliveries(ctx.pool, ctx.tenants);
  const waitStarted = Date.now();
  const deadline = waitStarted + timeoutMs;
  let hooks = checkWebhooks(ctx.receiver, expected);
  while (!hooks.complete && Date.now() < deadline) {
    await sleep(1000);
    hooks = checkWebhooks(ctx.receiver, expected);
    // With no delivery pending and no row for any missing event (a lost fan-out), nothing more comes once a
    // stalled fan-out job would have been retried (BullMQ's stalled check: 30 s): the wait ends at 45 s then.
    if (!hooks.complete && Date.now() - waitStarted > 45_000 && (await nothingUnderWay(ctx.pool, hooks.missingIds))) break;
  }
  if (hooks.missingIds.length) {
    // Where the undelivered events stand: pending with a later attempt (late, not lost) or failed for good.
    const { rows } = await ctx.pool.query<{ status: string; n: number }>(
      `SELECT coalesce(d.status, 'no delivery row') AS status, count(*)::int AS n
         FROM unnest($1::uuid[]) AS m(id) LEFT JOIN webhook_deliveries d ON d.event_id = m.id GROUP BY 1`,
      [hooks.missingIds],
    );
    hooks.failures.push(`undelivered events by delivery status: ${rows.map((r) => `${r.status} ${r.n}`).join(', ')}`);
  }
  return { counts: { ...jobs.counts, ...hooks.counts }, failures: [...jobs.failures, ...hooks.failures] };
}

/** No webhook delivery pending, and none at all for the events `missingIds`. */
async function nothingUnderWay(pool: Pool, missingIds: string[]): Promise<boolean> {
  const {
    rows: [r],
  } = await pool
    .query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending' OR event_id = ANY ($1::uuid[])`, [
      missingIds,
    ])
    .catch(() => ({ rows: [{ n: -1 }] }));
  return r.n === 0;
}

export function result(drill: string, setup: string, started: number, counts: Counts, failures: string[]): DrillResult {
  return {
    drill,
    setup,
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    pass: failures.length === 0,
    counts,
    failures,
  };
}

export const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)];
