import { Inject, Injectable, Logger } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig, type RedisClient } from '@bg/platform';
import type { Principal } from './principal';
import { GATEWAY_REDIS } from './redis.provider';

/** One limit applied to a request, as the RateLimit / RateLimit-Policy headers name it. */
export interface LimitState {
  policy: 'per-key' | 'per-tenant';
  /** Requests allowed per window. */
  quota: number;
  windowSeconds: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
  exceeded: boolean;
}

/** One counter a request is checked against. */
interface Check {
  policy: LimitState['policy'];
  quota: number;
  key: string;
}

/**
 * Points this gateway took from a Redis counter in one go and spends locally. `counted` is the counter's
 * value after the reservation (the whole deployment's count, our unspent points included).
 */
interface Lease {
  left: number;
  counted: number;
  resetAt: number;
}

/**
 * The own-API rate limits: a fixed window per key and per tenant, counted in Redis (rate-limiter-flexible's
 * RateLimiterRedis, an atomic Lua increment per counter) so every gateway shares them. A gateway reserves
 * RATE_LIMIT_LEASE_PERCENT of a quota per Redis call and spends it locally, so the GET path goes to Redis
 * about once per that many requests (at most one round trip: both counters' reservations are auto-pipelined).
 * The price: up to that share of the quota, per gateway and window, may go unspent; with a lease of 1
 * (small quotas, or RATE_LIMIT_LEASE_PERCENT=0) every request is counted in Redis, exactly.
 * A tenant's counter is keyed by the calling key's partner too, so a partner naming another partner's
 * tenant in a path burns only its own counter.
 */
@Injectable()
export class ApiRateLimiter {
  private readonly logger = new Logger('ApiRateLimiter');
  private readonly limiters = new Map<string, RateLimiterRedis>();
  private readonly leases = new Map<string, Lease>();
  private readonly inflight = new Map<string, Promise<unknown>>();
  private lastFailureLog = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(GATEWAY_REDIS) private readonly redis: RedisClient,
  ) {}

  get enabled(): boolean {
    return this.config.RATE_LIMIT_ENABLED;
  }

  /**
   * Counts one request of `p` (acting in `tenantId`, if any) and returns the limits' states; undefined
   * when the limiter could not answer (Redis down or slow), in which case the request goes unlimited.
   */
  consume(
    p: Exclude<Principal, { kind: 'admin' }>,
    tenantId: string | undefined,
  ): LimitState[] | undefined | Promise<LimitState[] | undefined> {
    const checks: Check[] = [{ policy: 'per-key', quota: p.rateLimits.perKey ?? this.config.RATE_LIMIT_PER_KEY, key: `key:${p.keyId}` }];
    if (tenantId) {
      checks.push({
        policy: 'per-tenant',
        quota: p.rateLimits.perTenant ?? this.config.RATE_LIMIT_PER_TENANT,
        key: `tenant:${p.partnerId}:${tenantId}`,
      });
    }
    // The hot path: every counter served from its lease, synchronously (no promise, no Redis).
    const now = Date.now();
    const fast = checks.map((c) => this.fromLease(`${c.key}|${c.quota}`, c, now));
    if (fast.every((s) => s !== undefined)) return fast as LimitState[];
    // Both checks start in the same tick: reservations they need go out in one write and one round trip.
    return Promise.all(checks.map((c, i) => fast[i] ?? this.check(c))).then((states) =>
      states.every((s) => s !== undefined) ? states : undefined,
    );
  }

  /**
   * Spends one point of the counter's lease, reserving a new lease from Redis when it is used up. One
   * reservation per counter is in flight at a time: concurrent requests wait for it rather than each
   * asking Redis (which, under load, would reserve a lease per request).
   */
  private async check(c: Check): Promise<LimitState | undefined> {
    const id = `${c.key}|${c.quota}`;
    for (let attempt = 0; attempt < 5; attempt++) {
      const state = this.fromLease(id, c, Date.now());
      if (state) return state;
      let pending = this.inflight.get(id);
      if (!pending) {
        pending = this.reserve(id, c).finally(() => this.inflight.delete(id));
        this.inflight.set(id, pending);
      }
      const err = await pending;
      if (err !== undefined) return this.failOpen(err);
    }
    return this.failOpen(new Error(`no lease for ${c.policy} after 5 reservations (contention)`));
  }

  private leaseSize(quota: number): number {
    return Math.max(1, Math.floor((quota * this.config.RATE_LIMIT_LEASE_PERCENT) / 100));
  }

  /** The state after spending one point of a live lease, or a refusal within a spent window; undefined: reserve. */
  private fromLease(id: string, c: Check, now: number): LimitState | undefined {
    const lease = this.leases.get(id);
    if (!lease) return undefined;
    if (lease.resetAt <= now) {
      this.leases.delete(id);
      return undefined;
    }
    if (lease.left > 0) {
      lease.left -= 1;
      return this.state(c, lease, now, false);
    }
    // Every point of the window is taken (ours spent, the rest by other gateways): refuse until it resets.
    return lease.counted >= c.quota ? this.state(c, lease, now, true) : undefined;
  }

  /** Reserves a lease's worth of points into `leases`; resolves with the error when Redis could not answer. */
  private async reserve(id: string, c: Check): Promise<unknown> {
    if (this.redis.status !== 'ready') return new Error(`redis connection is ${this.redis.status}`);
    const size = this.leaseSize(c.quota);
    let res: RateLimiterRes;
    try {
      res = await this.limiter(c.quota).consume(c.key, size);
    } catch (e) {
      // Over the quota, rate-limiter-flexible rejects with the counter; anything else is Redis failing.
      if (!(e instanceof RateLimiterRes)) return e;
      res = e;
    }
    // Points that were free before this reservation are ours; the counter may now exceed the quota.
    const free = Math.max(0, c.quota - (res.consumedPoints - size));
    if (this.leases.size > 50_000) this.leases.clear();
    this.leases.set(id, { left: Math.min(size, free), counted: res.consumedPoints, resetAt: Date.now() + res.msBeforeNext });
    return undefined;
  }

  private state(c: Check, lease: Lease, now: number, exceeded: boolean): LimitState {
    return {
      policy: c.policy,
      quota: c.quota,
      windowSeconds: this.config.RATE_LIMIT_WINDOW_SECONDS,
      remaining: Math.max(0, c.quota - lease.counted) + lease.left,
      resetSeconds: Math.max(0, Math.ceil((lease.resetAt - now) / 1000)),
      exceeded,
    };
  }

  private limiter(points: number): RateLimiterRedis {
    let l = this.limiters.get(String(points));
    if (!l) {
      // One limiter per quota (partners may override it); all share the key space, so a changed quota keeps the count.
      l = new RateLimiterRedis({
        storeClient: this.redis,
        points,
        duration: this.config.RATE_LIMIT_WINDOW_SECONDS,
        keyPrefix: `${this.config.QUEUE_PREFIX}:rl`,
        rejectIfRedisNotReady: true,
      });
      this.limiters.set(String(points), l);
    }
    return l;
  }

  private failOpen(err: unknown): undefined {
    if (Date.now() - this.lastFailureLog > 60_000) {
      this.lastFailureLog = Date.now();
      this.logger.warn(`rate limiter unavailable, request let through unlimited: ${(err as Error)?.message ?? String(err)}`);
    }
    return undefined;
  }
}

/** `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers, structured-field list): `"per-key";q=600;w=60, ...`. */
export function rateLimitPolicyHeader(states: LimitState[]): string {
  return states.map((s) => `"${s.policy}";q=${s.quota};w=${s.windowSeconds}`).join(', ');
}

/** `RateLimit` (same draft): `"per-key";r=599;t=42, ...`. */
export function rateLimitHeader(states: LimitState[]): string {
  return states.map((s) => `"${s.policy}";r=${s.remaining};t=${s.resetSeconds}`).join(', ');
}
