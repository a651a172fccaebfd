import type { Partner } from '@bg/domain';

/** The public JSON of a partner. */
export function toPartnerResource(p: Partner) {
  return { id: p.id, name: p.name, status: p.status, createdAt: p.createdAt, deletedAt: p.deletedAt };
}
export type PartnerResource = ReturnType<typeof toPartnerResource>;
