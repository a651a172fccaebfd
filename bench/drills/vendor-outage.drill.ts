// Drill 5, vendor-outage: one connection's vendor account (a sandbox scope; faults are per account, so
// no other connection is touched) is unreachable (every call answers 503) for DRILL_VENDOR_DOWN_SECONDS
// (60), then slow (2 s per call) for DRILL_VENDOR_SLOW_SECONDS (10), then answers its restore calls 429
// with Retry-After (DRILL_VENDOR_RETRY_AFTER_SECONDS, 5) three times. Jobs on that connection wait and
// finish; the sandbox's call log shows no call made to the account while a Retry-After ran (calls
// compared by arrival time with the 429's answer time, see throttle-check.ts); other
// connections' jobs are not delayed (their median accept-to-done time during the fault vs before it).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { say, sleep } from '../support';
import { submit, type Submission } from './client';
import { finalChecks, prepare, result, teardown, untilAllTerminal, type DrillContext } from './common';
import type { DrillTenant } from './accounts';
import { DRILL_LOG_DIR } from './infra';
import { retryAfterCheck, type CallRecord } from './throttle-check';
import type { DrillResult } from './report';

const DOWN_MS = Number(process.env.DRILL_VENDOR_DOWN_SECONDS ?? 60) * 1000;
const SLOW_MS = Number(process.env.DRILL_VENDOR_SLOW_SECONDS ?? 10) * 1000;
const RETRY_AFTER_S = Number(process.env.DRILL_VENDOR_RETRY_AFTER_SECONDS ?? 5);
/** The load before the fault (the others' baseline) and while the 429s are armed. */
const BEFORE_MS = Number(process.env.DRILL_VENDOR_BEFORE_SECONDS ?? 8) * 1000;
const THROTTLED_MS = Number(process.env.DRILL_VENDOR_THROTTLED_SECONDS ?? 12) * 1000;
const TENANTS = Number(process.env.DRILL_VENDOR_TENANTS ?? 8);
/** After a 429 is answered, how long the throttled worker may take to record the pause (see throttle-check.ts). */
const GRACE_MS = Number(process.env.DRILL_THROTTLE_GRACE_MS ?? 50);

async function faults(t: DrillTenant, method: 'POST' | 'DELETE', body?: unknown): Promise<void> {
  const res = await fetch(`${t.control.origin}/_sandbox/${t.control.vendorPrefix}/scopes/${encodeURIComponent(t.control.scope)}/faults`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`sandbox faults ${method}: ${res.status}`);
}

/** Submits one job per tenant every `everyMs` until `until`. */
async function steady(
  c: DrillContext,
  tenants: DrillTenant[],
  everyMs: number,
  until: number,
  out: Array<{ s: Promise<Submission>; phase: string }>,
  phase: string,
) {
  while (Date.now() < until) {
    for (const t of tenants) out.push({ s: submit(c.gatewayUrls, t, Date.now() + 120_000), phase });
    await sleep(everyMs);
  }
}

export async function vendorOutage(): Promise<DrillResult> {
  const started = Date.now();
  let ctx: DrillContext | undefined;
  try {
    ctx = await prepare('vendor-outage', { tenants: TENANTS });
    const c = ctx;
    const victim = c.tenants.find((t) => t.vendor === 'veeam')!;
    const subs: Array<{ s: Promise<Submission>; phase: string }> = [];
    await victim.control.clearCalls();
    await steady(c, c.tenants, 4000, Date.now() + BEFORE_MS, subs, 'before');
    await faults(victim, 'POST', { status: 503, count: -1 });
    await steady(c, c.tenants, 4000, Date.now() + DOWN_MS, subs, 'down');
    await faults(victim, 'DELETE');
    await faults(victim, 'POST', { latencyMs: 2000, count: -1 });
    await steady(c, c.tenants, 4000, Date.now() + SLOW_MS, subs, 'slow');
    await faults(victim, 'DELETE');
    // Three restore starts refused with 429 + Retry-After (the path of a Veeam restore start).
    await faults(victim, 'POST', {
      method: 'POST',
      path: '/Organization/Sites/[^/]+/restore(To)?$',
      status: 429,
      retryAfterSeconds: RETRY_AFTER_S,
      count: 3,
    });
    await steady(c, c.tenants, 4000, Date.now() + THROTTLED_MS, subs, 'throttled');
    const answered = await Promise.all(subs.map(async (x) => ({ ...(await x.s), phase: x.phase })));
    const accepted = answered.filter((s) => s.first?.status === 202);
    say(`  ${accepted.length} jobs accepted (${answered.length} POSTed); victim ${victim.vendor} ${victim.control.scope}`);
    const settleMs = await untilAllTerminal(c.pool);
    const checks = await finalChecks(c, accepted.length);

    // The victim's call log: after each 429 with Retry-After, no call to the account before it expires.
    const calls = (await victim.control.calls()) as CallRecord[];
    writeFileSync(resolve(DRILL_LOG_DIR, 'vendor-outage-calls.json'), JSON.stringify(calls, null, 2));
    const throttle = retryAfterCheck(calls, RETRY_AFTER_S * 1000, GRACE_MS);
    writeFileSync(resolve(DRILL_LOG_DIR, 'vendor-outage-throttle.json'), JSON.stringify(throttle.detail, null, 2));
    const { throttled, early } = throttle;

    // Others' jobs: accept-to-done time, before the fault vs while the victim was down or slow.
    const { rows } = await c.pool.query<{ id: string; tenant_id: string; status: string; ms: number }>(
      `SELECT id, tenant_id, status, extract(epoch FROM completed_at - created_at) * 1000 AS ms FROM restore_jobs`,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
    const timesOf = (phase: string, who: (t: DrillTenant) => boolean) =>
      accepted.filter((s) => s.phase === phase && who(s.tenant)).map((s) => Number(byId.get(s.first!.jobId!)?.ms ?? NaN));
    const othersBefore = median(timesOf('before', (t) => t !== victim));
    const othersDuring = median([...timesOf('down', (t) => t !== victim), ...timesOf('slow', (t) => t !== victim)]);
    const victimJobs = accepted.filter((s) => s.tenant === victim).map((s) => byId.get(s.first!.jobId!));
    const victimSucceeded = victimJobs.filter((j) => j?.status === 'succeeded').length;
    const failures = [...checks.failures];
    if (early)
      failures.push(
        `${early} vendor calls (${throttle.earlyWrites} writes) made while a recorded Retry-After pause ran (calls of submissions already past the pause check; vendor-outage-throttle.json)`,
      );
    if (!throttled) failures.push('no 429 reached the vendor account (the throttled phase did not run)');
    if (victimSucceeded < victimJobs.length) failures.push(`${victimJobs.length - victimSucceeded} of the victim's jobs did not succeed`);
    if (othersDuring > Math.max(2 * othersBefore, othersBefore + 5000))
      failures.push(
        `other connections' jobs slowed down: median ${othersDuring.toFixed(0)} ms during the fault vs ${othersBefore.toFixed(0)} ms before`,
      );
    return result(
      'vendor-outage',
      `Veeam account of 1 of ${c.tenants.length} tenants: 503 for ${DOWN_MS / 1000} s, 2 s/call for ${SLOW_MS / 1000} s, 3x 429 Retry-After ${RETRY_AFTER_S} s; a job per tenant every 4 s`,
      started,
      {
        accepted: accepted.length,
        victimJobs: victimJobs.length,
        victimSucceeded,
        vendor429s: throttled,
        callsInFlightAt429: throttle.inFlight,
        [`callsWithin${GRACE_MS}msOf429`]: throttle.withinGrace,
        callsBeforeRetryAfter: early,
        writesBeforeRetryAfter: throttle.earlyWrites,
        sameJobMinWaitAfter429Ms: Number.isFinite(throttle.sameJobMinWaitMs) ? throttle.sameJobMinWaitMs : 'n/a',
        othersMedianMsBefore: Math.round(othersBefore),
        othersMedianMsDuringFault: Math.round(othersDuring),
        ...checks.counts,
        settleSeconds: Math.round(settleMs / 1000),
      },
      failures,
    );
  } finally {
    await teardown(ctx);
  }
}
