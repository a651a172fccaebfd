// Drill 4, postgres-restart: restore jobs are POSTed at a steady pace (clients retry 5xx with their key)
// while the private Postgres is stopped (immediate: a crash, no checkpoint) for DRILL_PG_OUTAGE_SECONDS
// (15) and started again. Meanwhile a probe POSTs and lists jobs: the gateway answers 503 problem+json
// with Retry-After at once instead of hanging or answering a bare 500. After recovery no job is stuck
// non-terminal; repairs by the reconciler are recorded as job events (counted).
import { say, sleep } from '../support';
import { finalChecks, prepare, result, teardown, untilAllTerminal, type DrillContext } from './common';
import { pacedLoad, probe } from './outage';
import type { DrillResult } from './report';

const OUTAGE_MS = Number(process.env.DRILL_PG_OUTAGE_SECONDS ?? 15) * 1000;

export async function postgresRestart(): Promise<DrillResult> {
  const started = Date.now();
  let ctx: DrillContext | undefined;
  try {
    ctx = await prepare('postgres-restart');
    const c = ctx;
    const jobs = Number(process.env.DRILL_PG_JOBS ?? 50);
    const spreadMs = OUTAGE_MS + 30_000;
    const load = pacedLoad(c.gatewayUrls, c.tenants, jobs, spreadMs, Date.now() + 300_000);
    await sleep(10_000);
    const p = probe(c.gatewayUrls, c.tenants);
    await sleep(500);
    c.stack.pg.stop('immediate');
    const downAt = Date.now();
    await sleep(OUTAGE_MS);
    const during = await p.stop();
    c.stack.pg.start();
    say(
      `  postgres down for ${((Date.now() - downAt) / 1000).toFixed(0)} s; probe: ${JSON.stringify(during.statuses)}, max ${during.maxMs} ms`,
    );
    const subs = await load;
    const accepted = subs.filter((s) => s.first?.status === 202).length;
    const probeAccepted = during.statuses['POST job 202'] ?? 0;
    const settleMs = await untilAllTerminal(c.pool);
    const checks = await finalChecks(c, accepted + probeAccepted);
    const {
      rows: [repairs],
    } = await c.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM restore_job_events WHERE type = 'reconciler_resumed'`);
    const failures = [...checks.failures];
    if (accepted < subs.length) failures.push(`${subs.length - accepted} POSTs never accepted`);
    if (during.maxMs > 1000) failures.push(`an answer took ${during.maxMs} ms while Postgres was down (limit 1 s)`);
    if (during.bare5xx) failures.push(`${during.bare5xx} 5xx answers without problem+json and Retry-After while Postgres was down`);
    const retried = subs.filter((s) => s.answers.length > 1).length;
    return result(
      'postgres-restart',
      `${jobs} jobs POSTed over ${spreadMs / 1000} s; Postgres stopped (immediate) for ${OUTAGE_MS / 1000} s; ${c.tenants.length} tenants`,
      started,
      {
        accepted: accepted + probeAccepted,
        clientsThatRetried: retried,
        answersWhileDown: during.answers,
        problem503WhileDown: during.proper503,
        bare5xxWhileDown: during.bare5xx,
        maxAnswerMsWhileDown: during.maxMs,
        reconcilerRepairs: repairs.n,
        ...checks.counts,
        settleSeconds: Math.round(settleMs / 1000),
      },
      failures,
    );
  } finally {
    await teardown(ctx);
  }
}
