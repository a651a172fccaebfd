import { z } from 'zod';
import type { PartnerResource } from '@bg/platform';
import { documents, named } from '../common/openapi';

export const createPartnerSchema = z.strictObject({ name: z.string().trim().min(1).max(200) });

/** The public JSON of a partner (toPartnerResource). */
export const partnerSchema = named('Partner', z.object({ id: z.uuid(), name: z.string(), createdAt: z.iso.datetime() }));
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
