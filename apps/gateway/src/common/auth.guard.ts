import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiScope } from '@bg/domain';
import { isUuid } from '@bg/platform';
import { ApiKeyPrincipals } from './api-key-principals.service';
import { KeyUsageRecorder } from './key-usage.recorder';
import { problem, ProblemError } from './problem';
import type { Principal } from './principal';
import { ApiRateLimiter, rateLimitHeader, rateLimitPolicyHeader, type LimitState } from './rate-limiter';
import { REQUIRED_SCOPE } from './scopes';

export const PUBLIC_ROUTE = 'bg:public';
/** Marks a route that needs no API key (health, docs, vendor and error catalogs). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** What a route requires: nothing (public) or one scope. Read once per handler. */
type RouteRule = { public: true } | { public: false; scope: ApiScope };

/**
 * Authenticates `Authorization: Bearer <key>`, then, in this order: refuses an expired key (401),
 * counts the request against the rate limits (429 RATE_LIMITED; the RateLimit headers on every
 * authenticated answer), and refuses a key without the route's scope (403 INSUFFICIENT_SCOPE).
 * Keys are looked up by ApiKeyPrincipals (SHA-256, cached briefly so a hot path costs no query; revocation,
 * scope and partner-limit changes take effect within its TTL; expiry is exact).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly rules = new WeakMap<object, RouteRule>();

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyPrincipals,
    private readonly limiter: ApiRateLimiter,
    private readonly usage: KeyUsageRecorder,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.ruleOf(context);
    if (rule.public) return true;
    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest & { principal?: Principal }>();
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw ProblemError.of('UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>".');
    const principal = await this.keys.resolve(match[1]);
    if (!principal) throw ProblemError.of('UNAUTHENTICATED', 'The API key is not valid.');
    if (principal.expiresAt && principal.expiresAt.getTime() <= Date.now())
      throw ProblemError.of('UNAUTHENTICATED', `The API key expired at ${principal.expiresAt.toISOString()}.`);
    req.principal = principal;
    // The operator (one key, run by whoever runs the service) is neither rate-limited nor tracked.
    if (principal.kind !== 'admin') {
      this.usage.seen(principal.keyId);
      if (this.limiter.enabled) {
        // Usually answered from the gateway's lease without a promise (see ApiRateLimiter).
        const counted = this.limiter.consume(principal, this.tenantOf(principal, req));
        this.limit(counted instanceof Promise ? await counted : counted, http.getResponse<FastifyReply>());
      }
    }
    if (!principal.scopes.includes(rule.scope))
      throw ProblemError.of('INSUFFICIENT_SCOPE', `This operation requires the "${rule.scope}" scope, which the API key lacks.`, {
        requiredScope: rule.scope,
      });
    return true;
  }

  private ruleOf(context: ExecutionContext): RouteRule {
    const handler = context.getHandler();
    let rule = this.rules.get(handler);
    if (!rule) {
      const targets = [handler, context.getClass()];
      const scope = this.reflector.get<ApiScope | undefined>(REQUIRED_SCOPE, handler);
      // A route without a declared scope (the route test forbids it) needs `manage`: closed rather than open.
      rule = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)
        ? { public: true }
        : { public: false, scope: scope ?? 'manage' };
      this.rules.set(handler, rule);
    }
    return rule;
  }

  private limit(states: LimitState[] | undefined, reply: FastifyReply): void {
    if (!states) return;
    reply.header('ratelimit-policy', rateLimitPolicyHeader(states));
    reply.header('ratelimit', rateLimitHeader(states));
    const exceeded = states.filter((s) => s.exceeded);
    if (exceeded.length === 0) return;
    const retryAfter = Math.max(1, ...exceeded.map((s) => s.resetSeconds));
    reply.header('retry-after', String(retryAfter));
    throw ProblemError.of('RATE_LIMITED', `Rate limit ${describe(exceeded)} exceeded; retry after ${retryAfter} s.`, {
      retryAfterSeconds: retryAfter,
      limits: exceeded.map((s) => s.policy),
    });
  }

  /** The tenant a request acts in: a tenant key's own, or the `{tenantId}` of the path. */
  private tenantOf(principal: Exclude<Principal, { kind: 'admin' }>, req: FastifyRequest): string | undefined {
    if (principal.kind === 'tenant') return principal.tenantId;
    const fromPath = (req.params as Record<string, string> | undefined)?.tenantId;
    return fromPath && isUuid(fromPath) ? fromPath : undefined;
  }
}

function describe(states: LimitState[]): string {
  return states.map((s) => `"${s.policy}" (${s.quota} requests per ${s.windowSeconds} s)`).join(' and ');
}

export function requireAdmin(p: Principal): void {
  if (p.kind !== 'admin') throw new ProblemError(problem('FORBIDDEN', 'Only the operator (ADMIN_API_KEY) may do this.'));
}
