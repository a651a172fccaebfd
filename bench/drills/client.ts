// API clients of the drills: POST restore jobs with an Idempotency-Key, retried with the same key on
// connection errors and 5xx (the way an integrator's client behaves), alternating between gateways.
import { randomBytes } from 'node:crypto';
import { sleep } from '../support';
import type { DrillTenant } from './accounts';

export interface Answer {
  status: number;
  jobId?: string;
  /** problem+json code, Retry-After and content type, for refusals. */
  code?: string;
  retryAfter?: string | null;
  contentType?: string | null;
  ms: number;
  /** A network error instead of an answer. */
  error?: string;
}

/** One POST; network errors and timeouts become an Answer with `error` (status 0). */
export async function postOnce(
  gatewayUrl: string,
  t: DrillTenant,
  key: string,
  body: Record<string, unknown> = t.body,
  timeoutMs = 15_000,
): Promise<Answer> {
  const started = Date.now();
  try {
    const res = await fetch(`${gatewayUrl}/v1/tenants/${t.tenantId}/restore-jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: { id?: string; code?: string } = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return {
      status: res.status,
      jobId: res.status === 202 ? parsed.id : undefined,
      code: parsed.code,
      retryAfter: res.headers.get('retry-after'),
      contentType: res.headers.get('content-type'),
      ms: Date.now() - started,
    };
  } catch (e) {
    return {
      status: 0,
      error: (e as Error).cause ? String((e as Error & { cause: Error }).cause.message) : (e as Error).message,
      ms: Date.now() - started,
    };
  }
}

export interface Submission {
  tenant: DrillTenant;
  key: string;
  /** Every answer the client got, in order (network errors included). */
  answers: Answer[];
  /** The first real answer (not a network error, not a 5xx, not 409 in flight). */
  first?: Answer;
}

/** Submissions per tenant so far (which of its items the next one restores). */
const submitted = new WeakMap<DrillTenant, number>();

const retryable = (a: Answer) => a.status === 0 || a.status >= 500 || a.status === 409;

/**
 * Submits one restore job under a fresh Idempotency-Key, retrying with the same key (another gateway
 * each time) until a final answer or `deadline`; then, with `replay`, sends it once more and records
 * that answer too (it must equal the first).
 */
export async function submit(gateways: () => string[], t: DrillTenant, deadline: number, replay = false): Promise<Submission> {
  const key = `drill-${randomBytes(10).toString('hex')}`;
  // The tenant's items in turn; a key's retries and replay send the same body.
  const body = t.bodies[(submitted.get(t) ?? 0) % t.bodies.length];
  submitted.set(t, (submitted.get(t) ?? 0) + 1);
  const s: Submission = { tenant: t, key, answers: [] };
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const urls = gateways();
    const a = await postOnce(urls[attempt % urls.length], t, key, body);
    s.answers.push(a);
    if (!retryable(a)) {
      s.first = a;
      break;
    }
    await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 4)) + Math.random() * 100);
  }
  if (replay && s.first) {
    const urls = gateways();
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const a = await postOnce(urls[(attempt + 1) % urls.length], t, key, body);
      s.answers.push(a);
      if (!retryable(a)) break;
      await sleep(200);
    }
  }
  return s;
}

/** Runs `count` submissions with `parallel` clients, spread round-robin over the tenants. */
export async function submitMany(
  gateways: () => string[],
  tenants: DrillTenant[],
  count: number,
  parallel: number,
  deadline: number,
  replay = false,
): Promise<Submission[]> {
  const out: Submission[] = [];
  let next = 0;
  const client = async () => {
    while (next < count && Date.now() < deadline) {
      const i = next++;
      out.push(await submit(gateways, tenants[i % tenants.length], deadline, replay));
    }
  };
  await Promise.all(Array.from({ length: parallel }, client));
  return out;
}
