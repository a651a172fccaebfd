import type { Partner } from '@bg/domain';

/** The public JSON of a partner. `rateLimits` fields are null where the configured default applies. */
export function toPartnerResource(p: Partner) {
  return {
    id: p.id,
    name: p.name,
    rateLimits: { perKey: p.rateLimits.perKey, perTenant: p.rateLimits.perTenant },
    status: p.status,
    createdAt: p.createdAt,
    deletedAt: p.deletedAt,
  };
}
export type PartnerResource = ReturnType<typeof toPartnerResource>;
