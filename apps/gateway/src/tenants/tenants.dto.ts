import { z } from 'zod';
import type { TenantResource } from '@bg/platform';
import { documents, named } from '../common/openapi';

export const createTenantSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  externalRef: z.string().trim().max(200).optional(),
  partnerId: z.uuid().optional().describe('Operator only: the partner that owns the tenant.'),
});

/** The public JSON of a tenant (toTenantResource). */
export const tenantSchema = named(
  'Tenant',
  z.object({
    id: z.uuid(),
    partnerId: z.uuid(),
    name: z.string(),
    externalRef: z.string().nullable().describe("The partner's own reference for the customer."),
    createdAt: z.iso.datetime(),
  }),
);
documents<typeof tenantSchema, TenantResource>(true);
