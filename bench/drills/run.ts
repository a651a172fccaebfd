// `npm run drill [-- <name> ...]`: fault drills against the real processes (see bench/drills/README.md).
// Runs the named drills (default: all, in order), prints each one's counts, writes .data/drills/*.json
// and the "Fault drills" table of BENCHMARKS.md; exits 1 when any drill lost or doubled something.
import { say } from '../support';
import { printCounts, saveResult, writeBenchmarks, type DrillResult } from './report';
import { gatewayKill } from './gateway-kill.drill';
import { postgresRestart } from './postgres-restart.drill';
import { redisRestart } from './redis-restart.drill';
import { vendorOutage } from './vendor-outage.drill';
import { webhookDown } from './webhook-down.drill';
import { workerKill, workerKillCluster } from './worker-kill.drill';

const DRILLS: Record<string, () => Promise<DrillResult>> = {
  'worker-kill': () => workerKill(),
  'worker-kill-cluster': workerKillCluster,
  'gateway-kill': gatewayKill,
  'redis-restart': redisRestart,
  'postgres-restart': postgresRestart,
  'vendor-outage': vendorOutage,
  'webhook-down': webhookDown,
};
const ORDER = Object.keys(DRILLS);
const DATE = process.env.DRILL_DATE ?? new Date().toISOString().slice(0, 10);

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !DRILLS[n]);
  if (unknown.length) throw new Error(`unknown drill ${unknown.join(', ')}; known: ${ORDER.join(', ')}`);
  const chosen = names.length ? ORDER.filter((n) => names.includes(n)) : ORDER;
  let failed = 0;
  const setStarted = Date.now();
  for (const name of chosen) {
    say(`\n=== drill ${name}`);
    const drillStarted = Date.now();
    let r: DrillResult;
    try {
      r = await DRILLS[name]();
    } catch (e) {
      r = {
        drill: name,
        setup: 'did not complete',
        startedAt: new Date().toISOString(),
        durationSeconds: 0,
        pass: false,
        counts: {},
        failures: [(e as Error).message.split('\n')[0]],
      };
      say(`  ${name} did not complete: ${(e as Error).stack}`);
    }
    // Wall time from the drill's start to its stack being gone (setup and teardown included).
    r.durationSeconds = (Date.now() - drillStarted) / 1000;
    printCounts(r);
    saveResult(r);
    if (!r.pass) failed++;
  }
  // The set's time is written only for a run of all six (a partial run keeps the other drills' older rows).
  writeBenchmarks(ORDER, DATE, chosen.length === ORDER.length ? (Date.now() - setStarted) / 1000 : undefined);
  say(
    `\n${chosen.length - failed}/${chosen.length} drills passed in ${((Date.now() - setStarted) / 1000).toFixed(0)} s; results in .data/drills/results.json and BENCHMARKS.md`,
  );
  process.exit(failed ? 1 : 0);
}

void main().catch((e) => {
  process.stderr.write(`drill failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
