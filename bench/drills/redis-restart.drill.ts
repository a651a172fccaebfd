// Drill 3, redis-restart: restore jobs are POSTed at a steady pace while the private Redis is killed
// (SIGKILL) and started again mid-run, and later stopped for DRILL_REDIS_OUTAGE_SECONDS (30). Redis runs
// with its append-only file (appendfsync always), as BullMQ requires in production: a restart keeps the
// queues. Meanwhile a probe POSTs and lists jobs: the gateway keeps accepting (jobs and their outbox rows
// are in Postgres; the relay hands them over when Redis is back) and answers within a second.
// At the end every job is terminal, vendor restores = jobs, events and webhooks complete.
import { say, sleep } from '../support';
import { finalChecks, prepare, result, teardown, untilAllTerminal, type DrillContext } from './common';
import { pacedLoad, probe } from './outage';
import type { DrillResult } from './report';

const OUTAGE_MS = Number(process.env.DRILL_REDIS_OUTAGE_SECONDS ?? 30) * 1000;

export async function redisRestart(): Promise<DrillResult> {
  const started = Date.now();
  let ctx: DrillContext | undefined;
  try {
    ctx = await prepare('redis-restart', { redisPersist: true });
    const c = ctx;
    const jobs = Number(process.env.DRILL_REDIS_JOBS ?? 50);
    const spreadMs = OUTAGE_MS + 30_000;
    const load = pacedLoad(c.gatewayUrls, c.tenants, jobs, spreadMs, Date.now() + 300_000);
    await sleep(5_000);
    await c.stack.redis.kill();
    await c.stack.redis.start();
    say('  redis killed and restarted');
    await sleep(5_000);
    const p = probe(c.gatewayUrls, c.tenants);
    await c.stack.redis.kill();
    const downAt = Date.now();
    await sleep(OUTAGE_MS);
    const during = await p.stop();
    await c.stack.redis.start();
    say(
      `  redis down for ${((Date.now() - downAt) / 1000).toFixed(0)} s; probe: ${JSON.stringify(during.statuses)}, max ${during.maxMs} ms`,
    );
    const subs = await load;
    const accepted = subs.filter((s) => s.first?.status === 202).length;
    const probeAccepted = during.statuses['POST job 202'] ?? 0;
    const settleMs = await untilAllTerminal(c.pool);
    const checks = await finalChecks(c, accepted + probeAccepted);
    const failures = [...checks.failures];
    if (accepted < subs.length) failures.push(`${subs.length - accepted} POSTs not accepted`);
    if (during.maxMs > 1000) failures.push(`an answer took ${during.maxMs} ms while Redis was down (limit 1 s)`);
    if (during.bare5xx) failures.push(`${during.bare5xx} 5xx answers without problem+json and Retry-After while Redis was down`);
    return result(
      'redis-restart',
      `${jobs} jobs POSTed over ${spreadMs / 1000} s; Redis (AOF) kill -9 + restart, then down ${OUTAGE_MS / 1000} s; ${c.tenants.length} tenants`,
      started,
      {
        accepted: accepted + probeAccepted,
        answersWhileDown: during.answers,
        acceptedWhileDown: probeAccepted,
        maxAnswerMsWhileDown: during.maxMs,
        problem503WhileDown: during.proper503,
        ...checks.counts,
        settleSeconds: Math.round(settleMs / 1000),
      },
      failures,
    );
  } finally {
    await teardown(ctx);
  }
}
