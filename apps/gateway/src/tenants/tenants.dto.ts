import { z } from 'zod';
import { PARTNER_STATUSES, TENANT_STATUSES, VENDOR_OBJECTS_OPTIONS } from '@bg/domain';

/** DELETE /v1/tenants/{id} and /v1/partners/{id}: what to do with the objects at the vendors. */
export const offboardQuery = z.strictObject({
  vendorObjects: z
    .enum(VENDOR_OBJECTS_OPTIONS)
    .default('keep')
    .describe('keep (default): policies and backups stay at the vendor; remove: every policy is deleted at its vendor (protection stops).'),
});
export type OffboardQuery = z.infer<typeof offboardQuery>;

/** The public JSON of a tenant (toTenantResource), for the OpenAPI document. */
export const tenantResourceSchema = z.object({
  id: z.uuid(),
  partnerId: z.uuid(),
  name: z.string(),
  externalRef: z.string().nullable(),
  status: z.enum(TENANT_STATUSES),
  offboarding: z
    .object({
      vendorObjects: z.enum(VENDOR_OBJECTS_OPTIONS).nullable(),
      startedAt: z.iso.datetime().nullable(),
      deletedAt: z.iso.datetime().nullable().describe('When the worker finished the offboarding (status deleted).'),
      purgeAfter: z.iso.datetime().nullable().describe('When its data is purged (OFFBOARD_RETENTION_DAYS after DELETE).'),
      purgedAt: z.iso.datetime().nullable(),
    })
    .nullable()
    .describe('null while active.'),
  createdAt: z.iso.datetime(),
});

/** The public JSON of a partner (toPartnerResource), for the OpenAPI document. */
export const partnerResourceSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  status: z.enum(PARTNER_STATUSES),
  createdAt: z.iso.datetime(),
  deletedAt: z.iso.datetime().nullable(),
});
