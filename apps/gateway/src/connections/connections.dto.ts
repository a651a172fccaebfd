import { z } from 'zod';
import { VENDOR_IDS } from '@bg/domain';

export const createConnectionSchema = z.strictObject({
  vendor: z.enum(VENDOR_IDS),
  displayName: z.string().trim().min(1).max(200),
  endpoint: z.url({ protocol: /^https$/, message: 'must be an https URL' }).max(2000).optional()
    .describe("The vendor's base URL; defaults to the vendor's real endpoint (GET /v1/vendors)."),
  credentials: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/), z.string().max(20000))
    .describe('Vendor-specific fields (GET /v1/vendors lists them). Secret fields are encrypted at rest and never returned.'),
});
export type CreateConnection = z.infer<typeof createConnectionSchema>;

export interface ConnectionRow {
  id: string; tenant_id: string; vendor: string; display_name: string; endpoint: string;
  public_credentials: Record<string, string>; health: string; health_detail: string | null;
  last_verified_at: Date | null; created_at: Date; updated_at: Date;
}

/** The API view of a connection: secrets never appear; non-secret credential fields do. */
export function toConnection(r: ConnectionRow) {
  return {
    id: r.id, tenantId: r.tenant_id, vendor: r.vendor, displayName: r.display_name, endpoint: r.endpoint,
    credentials: r.public_credentials, health: r.health, healthDetail: r.health_detail,
    lastVerifiedAt: r.last_verified_at, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export const CONNECTION_COLUMNS = 'id, tenant_id, vendor, display_name, endpoint, public_credentials, health, health_detail, last_verified_at, created_at, updated_at';
