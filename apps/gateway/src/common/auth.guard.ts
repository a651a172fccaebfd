import { Inject, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { APP_CONFIG, apiKeyRepository, hashApiKey, safeEqual, type AppConfig } from '@bg/platform';
import { APP_DB } from './platform.providers';
import { problem, ProblemError } from './problem';
import type { Principal } from './principal';

export const PUBLIC_ROUTE = 'bg:public';
/** Marks a route that needs no API key (health, docs, vendor and error catalogs). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

const CACHE_TTL_MS = 30_000;

/**
 * Authenticates `Authorization: Bearer <key>`. Keys are looked up by SHA-256; found principals are
 * cached briefly so a hot path costs no query (revocation takes effect within the TTL).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_DB) private readonly db: DataSource,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw ProblemError.of('UNAUTHENTICATED', 'Send an API key as "Authorization: Bearer <key>".');
    const principal = await this.resolve(match[1]);
    if (!principal) throw ProblemError.of('UNAUTHENTICATED', 'The API key is not valid.');
    req.principal = principal;
    return true;
  }

  private async resolve(key: string): Promise<Principal | null> {
    if (this.config.ADMIN_API_KEY && safeEqual(key, this.config.ADMIN_API_KEY)) return { kind: 'admin', keyId: 'admin' };
    if (!key.startsWith('bgk_') || key.length > 100) return null;
    const hash = hashApiKey(key);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.principal;
    const found = await apiKeyRepository.findActiveByHash(this.db, hash);
    const principal: Principal | null = !found
      ? null
      : found.role === 'partner'
        ? { kind: 'partner', keyId: found.id, partnerId: found.partnerId }
        : { kind: 'tenant', keyId: found.id, partnerId: found.partnerId, tenantId: found.tenantId };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until: now + CACHE_TTL_MS });
    return principal;
  }
}

export function requireAdmin(p: Principal): void {
  if (p.kind !== 'admin') throw new ProblemError(problem('FORBIDDEN', 'Only the operator (ADMIN_API_KEY) may do this.'));
}
