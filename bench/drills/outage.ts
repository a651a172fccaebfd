// Load and probes for the outage drills (Redis, Postgres): restore jobs POSTed at a steady pace while a
// backing service goes away, and a probe that measures how the gateway answers meanwhile.
import { sleep } from '../support';
import { postOnce, submit, type Answer, type Submission } from './client';
import type { DrillTenant } from './accounts';

/** POSTs `count` jobs evenly over `spreadMs` (each retried with its key until answered). */
export async function pacedLoad(
  gateways: () => string[],
  tenants: DrillTenant[],
  count: number,
  spreadMs: number,
  deadline: number,
): Promise<Submission[]> {
  const pending: Array<Promise<Submission>> = [];
  const every = spreadMs / Math.max(1, count);
  for (let i = 0; i < count; i++) {
    pending.push(submit(gateways, tenants[i % tenants.length], deadline));
    await sleep(every);
  }
  return Promise.all(pending);
}

export interface ProbeStats {
  answers: number;
  /** Status -> count. */
  statuses: Record<string, number>;
  maxMs: number;
  /** 503 answers that were problem+json with a Retry-After header. */
  proper503: number;
  bare5xx: number;
}

/**
 * Probes the gateway every `everyMs` until stopped: a GET of a job list each time and, every fourth time,
 * a POST of a restore job (own key), both rotating over the tenants.
 */
export function probe(gateways: () => string[], tenants: DrillTenant[], everyMs = 250): { stop(): Promise<ProbeStats> } {
  const stats: ProbeStats = { answers: 0, statuses: {}, maxMs: 0, proper503: 0, bare5xx: 0 };
  let running = true;
  const count = (a: Answer, what: string) => {
    stats.answers++;
    const k = `${what} ${a.status === 0 ? `error (${a.error})` : a.status}`;
    stats.statuses[k] = (stats.statuses[k] ?? 0) + 1;
    stats.maxMs = Math.max(stats.maxMs, a.ms);
    if (a.status === 503 && a.contentType?.startsWith('application/problem+json') && a.retryAfter) stats.proper503++;
    else if (a.status >= 500) stats.bare5xx++;
  };
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const url = gateways()[i % gateways().length];
      const t = tenants[i % tenants.length];
      const started = Date.now();
      try {
        const res = await fetch(`${url}/v1/tenants/${t.tenantId}/restore-jobs?limit=1`, {
          headers: { authorization: `Bearer ${t.key}` },
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        count(
          {
            status: res.status,
            contentType: res.headers.get('content-type'),
            retryAfter: res.headers.get('retry-after'),
            ms: Date.now() - started,
          },
          'GET list',
        );
      } catch (e) {
        count({ status: 0, error: (e as Error).name, ms: Date.now() - started }, 'GET list');
      }
      if (i % 4 === 0) count(await postOnce(url, t, `probe-${Date.now()}-${i}`, t.body, 10_000), 'POST job');
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return stats;
    },
  };
}
