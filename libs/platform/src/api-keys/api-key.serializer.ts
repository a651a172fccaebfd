import type { ApiKey } from '@bg/domain';

/** The public JSON of an API key: never the key or its hash (the key is added once, at creation). */
export function toApiKeyResource(k: ApiKey) {
  return {
    id: k.id,
    role: k.role,
    partnerId: k.partnerId,
    tenantId: k.tenantId,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    expiresAt: k.expiresAt,
    lastUsedAt: k.lastUsedAt,
    createdAt: k.createdAt,
    revokedAt: k.revokedAt,
  };
}
export type ApiKeyResource = ReturnType<typeof toApiKeyResource>;
