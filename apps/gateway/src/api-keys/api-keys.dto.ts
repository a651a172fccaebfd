import { z } from 'zod';
import { API_KEY_ROLES, API_SCOPES } from '@bg/domain';
import type { ApiKeyResource } from '@bg/platform';
import { documents, named } from '../common/openapi';

export const createKeySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    partnerId: z.uuid().optional(),
    tenantId: z.uuid().optional(),
    scopes: z
      .array(z.enum(API_SCOPES))
      .min(1)
      .max(API_SCOPES.length)
      .optional()
      .describe(
        `What the key may do (${API_SCOPES.join(', ')}); default: every scope of the key creating it. Wider: 403 SCOPE_ESCALATION.`,
      ),
    expiresAt: z.iso
      .datetime({ offset: true })
      .nullable()
      .optional()
      .describe("When the key stops working (ISO 8601); default: the creating key's expiry. Later: 403 SCOPE_ESCALATION."),
  })
  .refine((b) => !(b.partnerId && b.tenantId), { message: 'give partnerId (partner key) or tenantId (tenant key), not both' })
  .refine((b) => !b.expiresAt || Date.parse(b.expiresAt) > Date.now(), { message: 'must be in the future', path: ['expiresAt'] });
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
    scopes: z.array(z.enum(API_SCOPES)).describe('What the key may do.'),
    expiresAt: z.iso.datetime().nullable().describe('When the key stops working; null: never.'),
    lastUsedAt: z.iso.datetime().nullable().describe('Last use, recorded at most once a minute.'),
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
