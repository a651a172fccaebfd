import { z } from 'zod';
import { API_KEY_ROLES } from '@bg/domain';
import type { ApiKeyResource } from '@bg/platform';
import { documents, named } from '../common/openapi';

export const createKeySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    partnerId: z.uuid().optional(),
    tenantId: z.uuid().optional(),
  })
  .refine((b) => !(b.partnerId && b.tenantId), { message: 'give partnerId (partner key) or tenantId (tenant key), not both' });
export type CreateKey = z.infer<typeof createKeySchema>;

/** The public JSON of an API key (toApiKeyResource): never the key or its hash. */
export const apiKeySchema = named(
  'ApiKey',
  z.object({
    id: z.uuid(),
    role: z.enum(API_KEY_ROLES),
    partnerId: z.uuid(),
    tenantId: z.uuid().nullable().describe('A tenant key: its tenant.'),
    name: z.string(),
    prefix: z.string().describe('The first characters of the key, to recognize it.'),
    createdAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
  }),
);
documents<typeof apiKeySchema, ApiKeyResource>(true);

/** POST /v1/api-keys: the key, shown this once. */
export const createdApiKeySchema = named(
  'CreatedApiKey',
  apiKeySchema.extend({ key: z.string().describe('The key (bgk_...), shown this once; only its SHA-256 is stored.') }),
);
