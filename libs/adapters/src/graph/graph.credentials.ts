import { z } from 'zod';
import { VendorError } from '../port/vendor-error';
import type { CredentialField } from '../port/vendor-descriptor';

export const GRAPH_DEFAULT_ENDPOINT = 'https://graph.microsoft.com/v1.0';
export const GRAPH_DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
/** Client-credentials scope for Graph (SOURCE.md §Auth). */
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** The connection fields of a Graph Backup Storage connection: an Entra app registration (Backup Controller). */
export const GRAPH_CREDENTIAL_FIELDS: CredentialField[] = [
  {
    name: 'tenantId',
    required: true,
    secret: false,
    description: 'Directory (tenant) id of the Microsoft 365 tenant whose data is backed up.',
  },
  {
    name: 'clientId',
    required: true,
    secret: false,
    description: 'Application (client) id of the Entra app registered as Backup Storage controller.',
  },
  { name: 'clientSecret', required: true, secret: true, description: 'Client secret of that app registration.' },
  { name: 'authorityHost', required: false, secret: false, description: `Entra authority host (default ${GRAPH_DEFAULT_AUTHORITY_HOST}).` },
];

const schema = z.object({
  tenantId: z.string().regex(/^[0-9A-Za-z.-]+$/, 'tenantId must be a directory id or domain'),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  authorityHost: z.string().url().optional(),
});

export type GraphCredentials = Required<z.infer<typeof schema>>;

/** Validates a connection's decrypted credentials; throws with the offending field, never the value. */
export function parseGraphCredentials(raw: Record<string, string>): GraphCredentials {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new VendorError({
      code: 'AUTH_FAILED',
      vendor: 'graph',
      retryable: false,
      message: `Invalid Microsoft Graph credentials: ${fields}`,
    });
  }
  return { ...parsed.data, authorityHost: parsed.data.authorityHost ?? GRAPH_DEFAULT_AUTHORITY_HOST };
}
