// Drill 1, worker-kill: a random worker is SIGKILLed every DRILL_KILL_EVERY_SECONDS (and started again)
// while DRILL_JOBS restore jobs across DRILL_TENANTS tenants and the four vendors run. At the end: every
// job terminal (kills last DRILL_KILL_SECONDS at most, so the set fits its time budget), vendor restores (sandbox records) = jobs, every state change exactly one event, every
// subscribed endpoint received every event at least once with a valid signature.
import { say, sleep } from '../support';
import { submitMany } from './client';
import { DRILL_CLIENTS, DRILL_JOBS, finalChecks, pick, prepare, result, teardown, untilAllTerminal, type DrillContext } from './common';
import type { DrillResult } from './report';

const KILL_EVERY_MS = Number(process.env.DRILL_KILL_EVERY_SECONDS ?? 6) * 1000;
/** Kills stop after this long (or when every job has ended), so the drill ends within its budget. */
const KILL_FOR_MS = Number(process.env.DRILL_KILL_SECONDS ?? 60) * 1000;

/** Jobs of the worker-kill drill on a Redis Cluster (worker-kill-cluster). */
const CLUSTER_JOBS = Number(process.env.DRILL_CLUSTER_JOBS ?? 200);

/** worker-kill with the queues on a local three-master Redis Cluster (scripts/redis-cluster.mjs). */
export function workerKillCluster(): Promise<DrillResult> {
  return workerKill({ drill: 'worker-kill-cluster', jobs: CLUSTER_JOBS, redisCluster: true });
}

export async function workerKill(
  opts: { drill: string; jobs: number; redisCluster?: boolean } = { drill: 'worker-kill', jobs: DRILL_JOBS },
): Promise<DrillResult> {
  const started = Date.now();
  let ctx: DrillContext | undefined;
  try {
    ctx = await prepare(opts.drill, { redisCluster: opts.redisCluster });
    const c = ctx;
    let kills = 0;
    let killing = true;
    const killUntil = Date.now() + KILL_FOR_MS;
    const killer = (async () => {
      while (killing && Date.now() < killUntil) {
        await sleep(KILL_EVERY_MS);
        if (!killing) break;
        const w = pick(c.stack.workers);
        await w.kill('SIGKILL');
        kills++;
        w.spawn();
      }
    })();
    const loadStarted = Date.now();
    const subs = await submitMany(c.gatewayUrls, c.tenants, opts.jobs, DRILL_CLIENTS, Date.now() + 300_000);
    const accepted = subs.filter((s) => s.first?.status === 202).length;
    say(
      `  ${accepted} jobs accepted in ${((Date.now() - loadStarted) / 1000).toFixed(0)} s; killing workers every ${KILL_EVERY_MS / 1000} s`,
    );
    const settleMs = await untilAllTerminal(c.pool);
    killing = false;
    await killer;
    const checks = await finalChecks(c, accepted);
    const refused = subs.length - accepted;
    const failures = [...checks.failures, ...(refused ? [`${refused} submissions refused`] : [])];
    const redis = c.stack.clusterNodes ? ', queues on a 3-master Redis Cluster' : '';
    return result(
      opts.drill,
      `${opts.jobs} restore jobs, ${c.tenants.length} tenants x 4 vendors, 2 gateways, 3 workers${redis}, kill -9 a worker every ${KILL_EVERY_MS / 1000} s for ${KILL_FOR_MS / 1000} s`,
      started,
      { workerKills: kills, accepted, ...checks.counts, settleSeconds: Math.round(settleMs / 1000) },
      failures,
    );
  } finally {
    await teardown(ctx);
  }
}
