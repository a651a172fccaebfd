// The vendor-outage drill's Retry-After check, from the sandbox's call log of one vendor account.
// Each recorded call has the time the sandbox received it (`receivedAt`, before any injected latency)
// and the time it answered (`at`). A call is made when it is received: after a 429 answered at `t` with
// Retry-After R, a call received in [t, t + R) is early; a call received before `t` and answered after
// it was already in flight when the 429 was answered (another job's call, legitimate: nobody could have
// known of the 429 yet), and is counted apart; so is a call received within `graceMs` after `t` (the
// time the throttled worker needs to read the answer and store the pause in Redis: it may have been
// made before the pause existed). The log is in answer order, so "the next entry after the 429" is not
// the next call made (the earlier check took it for one and saw calls 1 ms after each 429).

export interface CallRecord {
  at: string;
  receivedAt?: string;
  method: string;
  path: string;
  status: number;
  headers?: Record<string, string>;
}

export interface ThrottleCheck {
  /** 429 answers in the log. */
  throttled: number;
  /** Calls received in [t + grace, t + Retry-After) of a 429 answered at t: made while the pause was recorded. */
  early: number;
  /** Of `early`, the writes (not GET): e.g. a restore start, which may draw another 429. */
  earlyWrites: number;
  /** Calls received in [t, t + grace): made as the 429 was being answered (not attributable). */
  withinGrace: number;
  /** Calls received before a 429 was answered and answered after it (in flight at the 429). */
  inFlight: number;
  /** The 429's own job (same request id): least time from the 429's answer to that job's next call. */
  sameJobMinWaitMs: number;
  /** Per 429: the calls around it (ms relative to the 429's answer), for the drill's log. */
  detail: unknown[];
}

const requestId = (c: CallRecord) => c.headers?.['x-request-id'] ?? c.headers?.['client-request-id'];
const received = (c: CallRecord) => Date.parse(c.receivedAt ?? c.at);

export function retryAfterCheck(calls: CallRecord[], retryAfterMs: number, graceMs: number): ThrottleCheck {
  const out: ThrottleCheck = {
    throttled: 0,
    early: 0,
    earlyWrites: 0,
    withinGrace: 0,
    inFlight: 0,
    sameJobMinWaitMs: Infinity,
    detail: [],
  };
  const rel = (c: CallRecord, t: number) => ({
    request: `${c.method} ${c.path}`,
    status: c.status,
    requestId: requestId(c),
    receivedMs: received(c) - t,
    answeredMs: Date.parse(c.at) - t,
  });
  for (const c429 of calls) {
    if (c429.status !== 429) continue;
    out.throttled++;
    const t = Date.parse(c429.at);
    const others = calls.filter((x) => x !== c429);
    const inFlight = others.filter((x) => received(x) < t && Date.parse(x.at) >= t);
    const grace = others.filter((x) => received(x) >= t && received(x) < t + graceMs);
    const early = others.filter((x) => received(x) >= t + graceMs && received(x) < t + retryAfterMs);
    const ownNext = requestId(c429) ? others.find((x) => requestId(x) === requestId(c429) && received(x) >= t) : undefined;
    if (ownNext) out.sameJobMinWaitMs = Math.min(out.sameJobMinWaitMs, received(ownNext) - t);
    out.inFlight += inFlight.length;
    out.early += early.length;
    out.earlyWrites += early.filter((x) => x.method !== 'GET').length;
    out.withinGrace += grace.length;
    out.detail.push({
      throttled: { ...rel(c429, t), at: c429.at },
      inFlight: inFlight.map((x) => rel(x, t)),
      withinGrace: grace.map((x) => rel(x, t)),
      early: early.map((x) => rel(x, t)),
      ownNextCall: ownNext ? rel(ownNext, t) : null,
      // What the earlier check took for "the next call": the next entry of the log (answer order).
      nextLogged: calls[calls.indexOf(c429) + 1] ? rel(calls[calls.indexOf(c429) + 1], t) : null,
      firstCallMadeAfter:
        others
          .filter((x) => received(x) >= t)
          .sort((a, b) => received(a) - received(b))
          .map((x) => rel(x, t))[0] ?? null,
    });
  }
  return out;
}
