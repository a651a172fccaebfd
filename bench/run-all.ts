// `npm run bench`: runs the quick benchmarks one after another (each in its own process, so one's
// services never overlap another's) and prints one summary table: figure, baseline, ratio, target,
// PASS or BELOW. The soak is separate (npm run bench:soak). Exits 1 only when a bench failed to run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { LOG_DIR, formatTable, say, type BenchResult } from './support';

const BENCHES = [
  'get-restore-job.bench.js',
  'accept-restore-job.bench.js',
  'worker-throughput.bench.js',
  'scale-1m.bench.js',
  'health-sweep.bench.js',
];

function main(): void {
  const resultsFile = resolve(LOG_DIR, 'results.jsonl');
  if (existsSync(resultsFile)) rmSync(resultsFile);
  const failed: string[] = [];
  for (const bench of BENCHES) {
    say(`\n=== ${bench.replace(/\.js$/, '')}`);
    const run = spawnSync(process.execPath, [resolve(__dirname, bench)], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_RESULTS_FILE: resultsFile },
    });
    if (run.status !== 0) failed.push(bench);
  }
  const results: BenchResult[] = existsSync(resultsFile)
    ? readFileSync(resultsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as BenchResult)
    : [];
  say('\n=== summary (ratios of figures measured in the same run; 2-core machines are noisy, compare runs with care)');
  say(formatTable(results));
  if (failed.length) {
    say(`\nfailed to run: ${failed.join(', ')} (see the output above and .data/bench/*.log)`);
    process.exit(1);
  }
}

main();
