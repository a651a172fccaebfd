import { z } from 'zod';
import { VENDOR_IDS } from '@bg/domain';

const displayName = z.string().trim().min(1).max(200);
const endpoint = z.url({ protocol: /^https$/, message: 'must be an https URL' }).max(2000);
const credentials = z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/), z.string().max(20000));

export const createConnectionSchema = z.strictObject({
  vendor: z.enum(VENDOR_IDS),
  displayName,
  endpoint: endpoint.optional().describe("The vendor's base URL; defaults to the vendor's real endpoint (GET /v1/vendors)."),
  credentials: credentials.describe(
    'Vendor-specific fields (GET /v1/vendors lists them). Secret fields are encrypted at rest and never returned.',
  ),
});
export type CreateConnection = z.infer<typeof createConnectionSchema>;

export const updateConnectionSchema = z
  .strictObject({
    displayName: displayName.optional(),
    endpoint: endpoint.optional().describe("The vendor's base URL; a change re-verifies the connection."),
    credentials: credentials
      .optional()
      .describe(
        'The complete new set of vendor-specific fields (validated like create; none is kept from the old set). Encrypted at rest, never returned; the connection is verified again.',
      ),
  })
  .refine((b) => b.displayName !== undefined || b.endpoint !== undefined || b.credentials !== undefined, {
    message: 'give at least one of displayName, endpoint, credentials',
  });
export type UpdateConnection = z.infer<typeof updateConnectionSchema>;

/** The public JSON of a connection (toConnectionResource), for the OpenAPI document: no secret field ever. */
export const connectionResourceSchema = z.object({
  id: z.uuid(),
  tenantId: z.uuid(),
  vendor: z.enum(VENDOR_IDS),
  displayName: z.string(),
  endpoint: z.string(),
  credentials: z.record(z.string(), z.string()).describe('The non-secret credential fields only.'),
  health: z.enum(['unknown', 'healthy', 'unhealthy']),
  healthDetail: z.string().nullable(),
  lastVerifiedAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
