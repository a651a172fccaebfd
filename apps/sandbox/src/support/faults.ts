/**
 * Fault injection for one simulated vendor account (scope). A fault matches a method and a path regex
 * and fires `count` times (default once): a status with a body and Retry-After, added latency (before the
 * request is carried out, or of its answer only), or both.
 */
export interface FaultSpec {
  method?: string;
  /** Regex tested against the request path (without the vendor prefix). */
  path?: string;
  status?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
  /**
   * The request is carried out at once and only its answer is held this long: a caller that dies
   * meanwhile never learns that the vendor did it (latencyMs holds the request before it is carried out).
   */
  answerDelayMs?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** How many requests it applies to; -1 for all until cleared. */
  count?: number;
}

interface ActiveFault extends FaultSpec {
  remaining: number;
  regex?: RegExp;
}

export class FaultInjector {
  private faults: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    this.faults.push({ ...spec, remaining: spec.count ?? 1, regex: spec.path ? new RegExp(spec.path) : undefined });
  }

  clear(): void {
    this.faults = [];
  }

  /** The faults still armed, with the uses left (-1: until cleared): a test learns a request has arrived. */
  armed(): Array<FaultSpec & { remaining: number }> {
    return this.faults.map(({ regex: _regex, ...f }) => f);
  }

  /** Returns the fault for this request (consuming one use), or undefined. */
  take(method: string, path: string): FaultSpec | undefined {
    const f = this.faults.find(
      (x) => x.remaining !== 0 && (!x.method || x.method.toUpperCase() === method.toUpperCase()) && (!x.regex || x.regex.test(path)),
    );
    if (!f) return undefined;
    if (f.remaining > 0) f.remaining -= 1;
    this.faults = this.faults.filter((x) => x.remaining !== 0);
    return f;
  }
}

/** One request the sandbox received, for tests to assert on. */
export interface RecordedCall {
  /** When the sandbox answered (or the client went away: status 499). */
  at: string;
  /** When the request arrived, before any injected latency: a call is "made" at this time, answered at `at`. */
  receivedAt: string;
  method: string;
  path: string;
  status: number;
  body?: unknown;
  query?: Record<string, unknown>;
  /** The request's headers (lower-case names), without authorization and cookie. */
  headers?: Record<string, string>;
}

export class CallLog {
  private calls: RecordedCall[] = [];
  record(call: RecordedCall): void {
    this.calls.push(call);
    if (this.calls.length > 5000) this.calls.splice(0, this.calls.length - 5000);
  }
  list(): RecordedCall[] {
    return [...this.calls];
  }
  clear(): void {
    this.calls = [];
  }
}

/** A clock per vendor account that tests can move forward without sleeping. */
export class SandboxClock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
