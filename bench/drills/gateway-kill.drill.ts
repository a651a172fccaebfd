// Drill 2, gateway-kill: DRILL_CLIENTS clients POST restore jobs with an Idempotency-Key, retrying with
// the same key on connection errors, 5xx and 409 (in flight), while a random gateway is SIGKILLed every
// DRILL_GATEWAY_KILL_EVERY_SECONDS (and started again): kills land at random moments under load, some
// between the job's commit and its answer. Each client replays its request once after its answer.
// At the end: every key answered and mapped to exactly one job, no job without a key (none doubled),
// every replay answered like the first (same status, same job id), and the jobs end as in worker-kill.
import { say, sleep } from '../support';
import { submit, type Submission } from './client';
import { DRILL_CLIENTS, finalChecks, pick, prepare, result, teardown, untilAllTerminal, type DrillContext } from './common';
import type { DrillResult } from './report';

const KILL_EVERY_MS = Number(process.env.DRILL_GATEWAY_KILL_EVERY_SECONDS ?? 3) * 1000;
/** The load goes on until at least this many gateways were killed under it. */
const MIN_KILLS = Number(process.env.DRILL_GATEWAY_KILLS ?? 5);
const CLIENTS = Number(process.env.DRILL_GATEWAY_CLIENTS ?? DRILL_CLIENTS);

export async function gatewayKill(): Promise<DrillResult> {
  const started = Date.now();
  let ctx: DrillContext | undefined;
  try {
    ctx = await prepare('gateway-kill');
    const c = ctx;
    let kills = 0;
    let killing = true;
    // Every ~KILL_EVERY_MS a random gateway that is serving (started and ready) is killed and started
    // again; the killer does not wait for the restart (a boot takes longer than the kill interval on this
    // machine), so at times both gateways are down and the clients' retries meet connection errors.
    const serving = new Set(c.stack.gateways);
    const restarts: Array<Promise<void>> = [];
    const killer = (async () => {
      while (killing) {
        await sleep(KILL_EVERY_MS * (0.5 + Math.random()));
        if (!killing) break;
        const g = pick([...serving]);
        if (!g) continue;
        serving.delete(g);
        await g.kill('SIGKILL');
        kills++;
        g.spawn();
        restarts.push(
          c.stack
            .gatewayReady(g)
            .then(() => void serving.add(g))
            .catch(() => undefined),
        );
      }
    })();
    // Clients submit one key after another (no batches: a key waiting out an in-flight lease holds only its
    // client) until at least MIN_KILLS gateways were killed under the load and `jobs` keys were submitted.
    const jobs = Number(process.env.DRILL_GATEWAY_JOBS ?? 100);
    const subs: Submission[] = [];
    const loadDeadline = Date.now() + 300_000;
    const more = () => (subs.length < jobs || kills < MIN_KILLS) && Date.now() < loadDeadline;
    let t = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (more()) subs.push(await submit(c.gatewayUrls, c.tenants[t++ % c.tenants.length], loadDeadline, true));
      }),
    );
    killing = false;
    await killer;
    await Promise.all(restarts);
    const answered = subs.filter((s) => s.first);
    const unanswered = subs.length - answered.length;
    const accepted = answered.filter((s) => s.first!.status === 202);
    const networkErrors = subs.reduce((n, s) => n + s.answers.filter((a) => a.status === 0).length, 0);
    const inFlight = subs.reduce((n, s) => n + s.answers.filter((a) => a.status === 409).length, 0);
    const fiveXx = subs.reduce((n, s) => n + s.answers.filter((a) => a.status >= 500).length, 0);
    // Replays: every final answer after the first must equal it.
    let replayMismatch = 0;
    let replays = 0;
    for (const s of answered) {
      const finals = s.answers.filter((a) => a.status !== 0 && a.status < 500 && a.status !== 409);
      for (const a of finals.slice(1)) {
        replays++;
        if (a.status !== s.first!.status || a.jobId !== s.first!.jobId) replayMismatch++;
      }
    }
    say(
      `  ${subs.length} keys, ${accepted.length} accepted, ${kills} gateway kills, ${networkErrors} connection errors, ${fiveXx} 5xx, ${inFlight} 409 in flight`,
    );
    const settleMs = await untilAllTerminal(c.pool);
    const { rows } = await c.pool.query<{ id: string }>('SELECT id FROM restore_jobs');
    const stored = new Set(rows.map((r) => r.id));
    const answeredIds = new Set(accepted.map((s) => s.first!.jobId!));
    const orphans = [...stored].filter((id) => !answeredIds.has(id)).length;
    const lostIds = [...answeredIds].filter((id) => !stored.has(id)).length;
    const {
      rows: [stuck],
    } = await c.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM idempotency_keys WHERE state = 'in_flight'`);
    const checks = await finalChecks(c, stored.size);
    const failures = [
      ...checks.failures,
      ...(unanswered ? [`${unanswered} keys never answered (lost)`] : []),
      ...(subs.length - accepted.length - unanswered ? [`${subs.length - accepted.length - unanswered} keys refused`] : []),
      ...(orphans ? [`${orphans} jobs no client got an answer for (doubled or orphaned)`] : []),
      ...(lostIds ? [`${lostIds} answered jobs not stored`] : []),
      ...(replayMismatch ? [`${replayMismatch} replays answered differently from the first answer`] : []),
    ];
    return result(
      'gateway-kill',
      `${subs.length} keyed POSTs by ${CLIENTS} clients over 2 gateways (until >= ${MIN_KILLS} kills), kill -9 a gateway every ~${KILL_EVERY_MS / 1000} s, ${c.tenants.length} tenants`,
      started,
      {
        gatewayKills: kills,
        keys: subs.length,
        answered: answered.length,
        accepted: accepted.length,
        connectionErrors: networkErrors,
        answers5xx: fiveXx,
        answers409: inFlight,
        keysStuckInFlight: stuck.n,
        replays,
        replayMismatches: replayMismatch,
        orphanJobs: orphans,
        ...checks.counts,
        settleSeconds: Math.round(settleMs / 1000),
      },
      failures,
    );
  } finally {
    await teardown(ctx);
  }
}
