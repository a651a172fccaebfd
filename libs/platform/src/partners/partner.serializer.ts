import type { Partner } from '@bg/domain';

/** The public JSON of a partner. `rateLimits` fields are null where the configured default applies. */
export function toPartnerResource(p: Partner) {
  return { id: p.id, name: p.name, rateLimits: { perKey: p.rateLimits.perKey, perTenant: p.rateLimits.perTenant }, createdAt: p.createdAt };
}
export type PartnerResource = ReturnType<typeof toPartnerResource>;
