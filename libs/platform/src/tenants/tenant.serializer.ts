import type { Tenant } from '@bg/domain';

/** The public JSON of a tenant. */
export function toTenantResource(t: Tenant) {
  return {
    id: t.id,
    partnerId: t.partnerId,
    name: t.name,
    externalRef: t.externalRef,
    status: t.status,
    offboarding:
      t.status === 'active'
        ? null
        : {
            vendorObjects: t.vendorObjects,
            startedAt: t.offboardingAt,
            deletedAt: t.deletedAt,
            purgeAfter: t.purgeAfter,
            purgedAt: t.purgedAt,
          },
    createdAt: t.createdAt,
  };
}
export type TenantResource = ReturnType<typeof toTenantResource>;
