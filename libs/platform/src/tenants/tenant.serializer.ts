import type { Tenant } from '@bg/domain';

/** The public JSON of a tenant. */
export function toTenantResource(t: Tenant) {
  return { id: t.id, partnerId: t.partnerId, name: t.name, externalRef: t.externalRef, createdAt: t.createdAt };
}
export type TenantResource = ReturnType<typeof toTenantResource>;
