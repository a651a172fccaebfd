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

/**
 * The own-API rate limits: a fixed window per key and per tenant, counted in Redis (rate-limiter-flexible,
 * one atomic Lua increment per counter) so every gateway shares them. The two counters of a request go
 * out in one round trip (auto-pipelined). A tenant's counter is keyed by the calling key's partner too,
 * so a partner naming another partner's tenant in a path burns only its own counter.
 */
@Injectable()
export class ApiRateLimiter {
  private readonly logger = new Logger('ApiRateLimiter');
  private readonly limiters = new Map<string, RateLimiterRedis>();
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
  async consume(p: Exclude<Principal, { kind: 'admin' }>, tenantId: string | undefined): Promise<LimitState[] | undefined> {
    const w = this.config.RATE_LIMIT_WINDOW_SECONDS;
    const checks: Array<{ policy: LimitState['policy']; quota: number; key: string }> = [
      { policy: 'per-key', quota: p.rateLimits.perKey ?? this.config.RATE_LIMIT_PER_KEY, key: `key:${p.keyId}` },
    ];
    if (tenantId) {
      checks.push({
        policy: 'per-tenant',
        quota: p.rateLimits.perTenant ?? this.config.RATE_LIMIT_PER_TENANT,
        key: `tenant:${p.partnerId}:${tenantId}`,
      });
    }
    if (this.redis.status !== 'ready') return this.failOpen(new Error(`redis connection is ${this.redis.status}`));
    // Issued in the same tick, so ioredis sends both in one write and one round trip.
    const results = await Promise.allSettled(checks.map((c) => this.limiter(c.quota).consume(c.key)));
    const states: LimitState[] = [];
    for (const [i, r] of results.entries()) {
      const res = r.status === 'fulfilled' ? r.value : r.reason;
      if (!(res instanceof RateLimiterRes)) return this.failOpen(res);
      states.push({
        policy: checks[i].policy,
        quota: checks[i].quota,
        windowSeconds: w,
        remaining: res.remainingPoints,
        resetSeconds: Math.max(0, Math.ceil(res.msBeforeNext / 1000)),
        exceeded: r.status === 'rejected',
      });
    }
    return states;
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
