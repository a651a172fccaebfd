// Drill 6, webhook-down: the receiver answers 503 to every delivery for "an hour" of worker time, then
// takes them again. Time is compressed 120x: WEBHOOK_RETRY_SCHEDULE is the default schedule
// (0,5s,5m,30m,2h,5h,10h,10h) divided by 120 and the receiver is down DRILL_WEBHOOK_DOWN_SECONDS (30 s
// = 1 h / 120). At the end: every event delivered (2xx) at least once, in order per resource (the
// job's own order of state changes), no retry earlier than the schedule allows, duplicates counted.
import { parseDurationList } from '@bg/platform';
import { say, sleep } from '../support';
import { submitMany } from './client';
import { prepare, result, teardown, untilAllTerminal, type DrillContext } from './common';
import { checkJobs, checkWebhooks, expectedDeliveries } from './checks';
import type { DrillResult } from './report';

const SCHEDULE = process.env.DRILL_WEBHOOK_SCHEDULE ?? '0,42ms,2500ms,15s,60s,150s,300s,300s';
const DOWN_MS = Number(process.env.DRILL_WEBHOOK_DOWN_SECONDS ?? 30) * 1000;
const JOBS = Number(process.env.DRILL_WEBHOOK_JOBS ?? 40);
const snake = (s: string) => s.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();

export async function webhookDown(): Promise<DrillResult> {
  const started = Date.now();
  let ctx: DrillContext | undefined;
  try {
    ctx = await prepare('webhook-down', { tenants: 8, env: { WEBHOOK_RETRY_SCHEDULE: SCHEDULE } });
    const c = ctx;
    const schedule = parseDurationList(SCHEDULE)!;
    c.receiver.up = false;
    const downAt = Date.now();
    const subs = await submitMany(c.gatewayUrls, c.tenants, JOBS, 8, Date.now() + 120_000);
    const accepted = subs.filter((s) => s.first?.status === 202).length;
    await sleep(Math.max(0, downAt + DOWN_MS - Date.now()));
    c.receiver.up = true;
    const failedWhileDown = c.receiver.deliveries.length;
    say(`  receiver down ${((Date.now() - downAt) / 1000).toFixed(0)} s (${failedWhileDown} attempts refused), now up`);
    const settleMs = await untilAllTerminal(c.pool);
    const jobs = await checkJobs(c.pool, c.tenants, accepted);
    const expected = await expectedDeliveries(c.pool, c.tenants);
    const deadline = Date.now() + schedule.slice(0, 6).reduce((a, b) => a + b, 0) + 30_000;
    let hooks = checkWebhooks(c.receiver, expected);
    while (!hooks.complete && Date.now() < deadline) {
      await sleep(1000);
      hooks = checkWebhooks(c.receiver, expected);
    }

    // Order per resource: the first accepted delivery of each event, in arrival order, against the job's changes.
    const { rows: hist } = await c.pool.query<{ restore_job_id: string; to_status: string }>(
      `SELECT restore_job_id, to_status FROM restore_job_events WHERE to_status IS DISTINCT FROM from_status ORDER BY id`,
    );
    const want = new Map<string, string[]>();
    for (const h of hist) want.set(h.restore_job_id, [...(want.get(h.restore_job_id) ?? []), `restore_job.${snake(h.to_status)}`]);
    const got = new Map<string, string[]>();
    const seen = new Set<string>();
    for (const d of c.receiver.deliveries) {
      if (d.status < 200 || d.status >= 300 || seen.has(`${d.route}:${d.eventId}`)) continue;
      seen.add(`${d.route}:${d.eventId}`);
      got.set(d.resourceId, [...(got.get(d.resourceId) ?? []), d.type]);
    }
    let outOfOrder = 0;
    for (const [id, types] of got) if (types.join(',') !== (want.get(id) ?? []).join(',')) outOfOrder++;

    // Retry spacing per message, from the receiver's own receipt times.
    let early = 0;
    let retries = 0;
    const byMessage = new Map<string, number[]>();
    for (const d of c.receiver.deliveries) byMessage.set(d.messageId, [...(byMessage.get(d.messageId) ?? []), d.at]);
    for (const times of byMessage.values())
      for (let i = 1; i < times.length; i++) {
        retries++;
        // Attempt i+1 waits schedule[i] after attempt i; 100 ms for timer and network jitter.
        if (times[i] - times[i - 1] < (schedule[i] ?? 0) - 100) early++;
      }
    const failures = [...jobs.failures, ...hooks.failures];
    if (outOfOrder) failures.push(`${outOfOrder} resources whose events arrived out of order`);
    if (early) failures.push(`${early} retries earlier than the schedule`);
    return result(
      'webhook-down',
      `${JOBS} jobs on ${c.tenants.length} tenants; receiver answers 503 for ${DOWN_MS / 1000} s (1 h at 120x); WEBHOOK_RETRY_SCHEDULE=${SCHEDULE}`,
      started,
      {
        accepted,
        attemptsRefusedWhileDown: failedWhileDown,
        retries,
        retriesEarlierThanSchedule: early,
        resourcesOutOfOrder: outOfOrder,
        ...jobs.counts,
        ...hooks.counts,
        settleSeconds: Math.round(settleMs / 1000),
      },
      failures,
    );
  } finally {
    await teardown(ctx);
  }
}
