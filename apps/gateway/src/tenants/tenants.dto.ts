import { z } from 'zod';
import { TENANT_STATUSES, VENDOR_OBJECTS_OPTIONS } from '@bg/domain';
import type { TenantResource } from '@bg/platform';
import { documents, named } from '../common/openapi';

export const createTenantSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  externalRef: z.string().trim().max(200).optional(),
  partnerId: z.uuid().optional().describe('Operator only: the partner that owns the tenant.'),
});

/** DELETE /v1/tenants/{id} and /v1/partners/{id}: what to do with the objects at the vendors. */
export const offboardQuery = z.strictObject({
  vendorObjects: z
    .enum(VENDOR_OBJECTS_OPTIONS)
    .default('keep')
    .describe('keep (default): policies and backups stay at the vendor; remove: every policy is deleted at its vendor (protection stops).'),
});
export type OffboardQuery = z.infer<typeof offboardQuery>;

/** The public JSON of a tenant (toTenantResource). */
export const tenantSchema = named(
  'Tenant',
  z.object({
    id: z.uuid(),
    partnerId: z.uuid(),
    name: z.string(),
    externalRef: z.string().nullable().describe("The partner's own reference for the customer."),
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
  }),
);
documents<typeof tenantSchema, TenantResource>(true);
