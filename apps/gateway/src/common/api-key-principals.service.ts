import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { API_SCOPES } from '@bg/domain';
import { APP_CONFIG, apiKeyRepository, hashApiKey, safeEqual, type AppConfig } from '@bg/platform';
import { APP_DB } from './platform.providers';
import type { Principal } from './principal';

const CACHE_TTL_MS = 30_000;
const CACHE_MAX = 10_000;

/**
 * API key -> principal, the one lookup of keys the gateway makes: the auth guard's for every keyed request and the
 * audit recorder's for a request refused before the guard ran. Keys are looked up by SHA-256 and the answer (a
 * principal or none) is cached for 30 s, so a hot key costs no query; revocation, scope and partner-limit changes
 * take effect within that time (offboarding's are enforced at once by StatusGateGuard).
 */
@Injectable()
export class ApiKeyPrincipals {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(APP_DB) private readonly db: DataSource,
  ) {}

  /** The principal of a bearer key: the operator's, an active key's, or null (unknown, revoked, malformed). */
  async resolve(key: string): Promise<Principal | null> {
    if (this.config.ADMIN_API_KEY && safeEqual(key, this.config.ADMIN_API_KEY))
      return { kind: 'admin', keyId: 'admin', scopes: API_SCOPES, expiresAt: null, rateLimits: { perKey: null, perTenant: null } };
    if (!key.startsWith('bgk_') || key.length > 100) return null;
    return this.byHash(hashApiKey(key));
  }

  /** The principal of the active key with this SHA-256 (hashApiKey), or null; from the cache within its lifetime. */
  async byHash(hash: string): Promise<Principal | null> {
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.principal;
    const found = await apiKeyRepository.findActiveByHash(this.db, hash);
    const grants = found && { scopes: found.scopes, expiresAt: found.expiresAt, rateLimits: found.rateLimits };
    const principal: Principal | null = !found
      ? null
      : found.role === 'partner'
        ? { kind: 'partner', keyId: found.id, partnerId: found.partnerId, ...grants! }
        : { kind: 'tenant', keyId: found.id, partnerId: found.partnerId, tenantId: found.tenantId, ...grants! };
    if (this.cache.size > CACHE_MAX) this.cache.clear();
    this.cache.set(hash, { principal, until: now + CACHE_TTL_MS });
    return principal;
  }
}
