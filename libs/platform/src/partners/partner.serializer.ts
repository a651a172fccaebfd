import type { Partner } from '@bg/domain';

/** The public JSON of a partner. */
export function toPartnerResource(p: Partner) {
  return { id: p.id, name: p.name, createdAt: p.createdAt };
}
export type PartnerResource = ReturnType<typeof toPartnerResource>;
