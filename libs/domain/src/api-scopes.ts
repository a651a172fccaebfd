/**
 * What an API key may do. Every route of the API requires exactly one scope; a key holds a set.
 * - `read`: every GET except usage (resources, lists, events, webhook endpoints and deliveries, api keys).
 * - `restore`: create and cancel restore jobs.
 * - `backup`: on-demand backup runs; policies, protected items and policy rules writes.
 * - `billing`: usage (GET /v1/usage, /v1/tenants/{id}/usage).
 * - `webhooks`: webhook endpoint writes: create, update, delete, rotate the secret, test, replay, retry.
 * - `manage`: connections, tenants, API keys and partner settings.
 */
export const API_SCOPES = ['read', 'restore', 'backup', 'billing', 'webhooks', 'manage'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export function isApiScope(value: unknown): value is ApiScope {
  return typeof value === 'string' && (API_SCOPES as readonly string[]).includes(value);
}

/** The scopes of `wanted` that `held` lacks (empty when `wanted` ⊆ `held`), in API_SCOPES order. */
export function missingScopes(held: readonly ApiScope[], wanted: readonly ApiScope[]): ApiScope[] {
  return API_SCOPES.filter((s) => wanted.includes(s) && !held.includes(s));
}

/** Scopes in API_SCOPES order without duplicates (how they are stored and shown). */
export function normalizeScopes(scopes: readonly ApiScope[]): ApiScope[] {
  return API_SCOPES.filter((s) => scopes.includes(s));
}

/**
 * Whether a key may be minted with `expiresAt` by a creator whose own key expires at `creatorExpiresAt`
 * (null = never): a key never outlives the key that created it.
 */
export function expiryWithin(expiresAt: Date | null, creatorExpiresAt: Date | null): boolean {
  if (creatorExpiresAt === null) return true;
  return expiresAt !== null && expiresAt.getTime() <= creatorExpiresAt.getTime();
}

/** Requests per window for one key and for one tenant; a partner may carry its own (null = the configured default). */
export interface RateLimits {
  perKey: number | null;
  perTenant: number | null;
}
