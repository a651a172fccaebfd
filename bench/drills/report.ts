// Drill results: a counts table on stdout, one JSON file per run of the set (.data/drills/results.json,
// merged by drill name) and the "Fault drills" table of BENCHMARKS.md, rewritten from those results.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, say } from '../support';
import { DRILL_LOG_DIR } from './infra';
import type { Counts } from './checks';

export interface DrillResult {
  drill: string;
  /** What ran: jobs, tenants, processes, faults (one line). */
  setup: string;
  startedAt: string;
  durationSeconds: number;
  pass: boolean;
  counts: Counts;
  failures: string[];
}

const RESULTS = resolve(DRILL_LOG_DIR, 'results.json');
const BENCHMARKS = resolve(ROOT, 'BENCHMARKS.md');
const HEADING = '## Fault drills (`npm run drill`)';

export function printCounts(r: DrillResult): void {
  const rows = Object.entries(r.counts).map(([k, v]) => [k, String(v)]);
  const w = Math.max(...rows.map((x) => x[0].length), 5);
  say(`\n${r.drill}: ${r.setup}`);
  for (const [k, v] of rows) say(`  ${k.padEnd(w)}  ${v}`);
  say(`  ${'took'.padEnd(w)}  ${r.durationSeconds.toFixed(0)} s`);
  say(`  ${r.pass ? 'PASS' : 'FAIL'}${r.failures.length ? `: ${r.failures.join('; ')}` : ''}`);
}

export function loadResults(): Record<string, DrillResult> {
  return existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
}

export function saveResult(r: DrillResult): void {
  mkdirSync(DRILL_LOG_DIR, { recursive: true });
  const all = loadResults();
  all[r.drill] = r;
  writeFileSync(RESULTS, JSON.stringify(all, null, 2) + '\n');
  writeFileSync(resolve(DRILL_LOG_DIR, `${r.drill}.json`), JSON.stringify(r, null, 2) + '\n');
}

export function markdownRow(r: DrillResult): string {
  const counts = Object.entries(r.counts)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`)
    .join(', ');
  const why = r.failures.length ? ` (${r.failures.join('; ')})` : '';
  return `| ${r.drill} | ${r.setup} | ${counts} | ${r.durationSeconds.toFixed(0)} s | ${r.pass ? 'PASS' : `FAIL${why}`} |`;
}

/** Replaces (or appends) the drills section of BENCHMARKS.md with every result on record, in drill order. */
export function writeBenchmarks(order: string[], date: string, setSeconds?: number): void {
  const all = loadResults();
  const rows = order.filter((d) => all[d]).map((d) => markdownRow(all[d]));
  if (!rows.length) return;
  const section = [
    HEADING,
    '',
    `${date}, the 2-core build machine shared with other engineers' test runs. Each drill runs its own Postgres and Redis`,
    '(private, loopback ports), one sandbox, 2 gateways and 3 workers from dist/ as child processes; counts of vendor',
    "restores are read from the sandbox's own records, events and terminal states from our tables. Sizes are scaled by",
    'DRILL_JOBS / DRILL_TENANTS (README, Fault drills); a drill exits non-zero on any loss or duplicate. Durations are wall',
    `time per drill, setup and teardown included${setSeconds ? `; this run of the set took ${setSeconds.toFixed(0)} s` : ''}.`,
    '',
    '| drill | setup | counts | duration | result |',
    '|---|---|---|---|---|',
    ...rows,
    // A blank line before the next section's heading.
    '',
    '',
  ].join('\n');
  const text = existsSync(BENCHMARKS) ? readFileSync(BENCHMARKS, 'utf8') : '# Benchmarks\n';
  const start = text.indexOf(HEADING);
  let next: string;
  if (start < 0) next = `${text.replace(/\n*$/, '\n\n')}${section}`;
  else {
    const after = text.indexOf('\n## ', start + HEADING.length);
    next = `${text.slice(0, start)}${section}${after < 0 ? '' : text.slice(after + 1)}`;
  }
  writeFileSync(BENCHMARKS, next);
}
