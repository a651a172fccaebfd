import type { Connection } from '@bg/domain';

/** The public JSON of a connection: the non-secret credential fields only; secrets never appear. */
export function toConnectionResource(c: Connection) {
  return {
    id: c.id,
    tenantId: c.tenantId,
    vendor: c.vendor,
    displayName: c.displayName,
    endpoint: c.endpoint,
    credentials: c.publicCredentials,
    health: c.health,
    healthDetail: c.healthDetail,
    lastVerifiedAt: c.lastVerifiedAt,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}
export type ConnectionResource = ReturnType<typeof toConnectionResource>;
