import { z } from 'zod';
import { PARTNER_STATUSES } from '@bg/domain';
import type { PartnerResource } from '@bg/platform';
import { documents, named } from '../common/openapi';

export const createPartnerSchema = z.strictObject({ name: z.string().trim().min(1).max(200) });

const limit = z.number().int().min(1).max(1_000_000_000).nullable().optional();

/** PATCH /v1/partners/{id} (operator): the partner's rate-limit override. */
export const updatePartnerSchema = z.strictObject({
  rateLimits: z
    .strictObject({
      perKey: limit.describe('Requests per window for each key of this partner (and its tenants); null = RATE_LIMIT_PER_KEY.'),
      perTenant: limit.describe("Requests per window for each of this partner's tenants; null = RATE_LIMIT_PER_TENANT."),
    })
    .describe('The rate-limit override (the window is RATE_LIMIT_WINDOW_SECONDS). A field left out is unchanged.'),
});
export type UpdatePartner = z.infer<typeof updatePartnerSchema>;

/** The public JSON of a partner (toPartnerResource). */
export const partnerSchema = named(
  'Partner',
  z.object({
    id: z.uuid(),
    name: z.string(),
    rateLimits: z
      .object({ perKey: z.number().int().nullable(), perTenant: z.number().int().nullable() })
      .describe("The partner's rate-limit override; null where the configured default applies."),
    status: z.enum(PARTNER_STATUSES),
    createdAt: z.iso.datetime(),
    deletedAt: z.iso.datetime().nullable().describe('When the partner was deleted (DELETE /v1/partners/{id}).'),
  }),
);
documents<typeof partnerSchema, PartnerResource>(true);

/** POST /v1/partners: the partner and its first partner key, shown this once. */
export const createdPartnerSchema = named(
  'CreatedPartner',
  partnerSchema.extend({
    apiKey: z
      .object({
        id: z.uuid(),
        key: z.string().describe('The partner key (bgk_...), shown this once; only its hash is stored.'),
        prefix: z.string(),
      })
      .describe("The partner's first key."),
  }),
);
