import { z } from 'zod';
import { VendorError } from '../port/vendor-error';
import type { CredentialField } from '../port/vendor-descriptor';

export const AZURE_DP_DEFAULT_ENDPOINT = 'https://management.azure.com';
export const AZURE_DP_DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
/** Client-credentials scope of Azure Resource Manager (SOURCE.md §Auth). */
export const ARM_SCOPE = 'https://management.azure.com/.default';

/** The connection fields: an Entra app registration with Backup Contributor on the vault, and the vault. */
export const AZURE_DP_CREDENTIAL_FIELDS: CredentialField[] = [
  { name: 'tenantId', required: true, secret: false, description: 'Directory (tenant) id of the Entra tenant of the subscription.' },
  {
    name: 'clientId',
    required: true,
    secret: false,
    description: 'Application (client) id of the service principal (Backup Contributor on the vault).',
  },
  { name: 'clientSecret', required: true, secret: true, description: 'Client secret of that app registration.' },
  {
    name: 'authorityHost',
    required: false,
    secret: false,
    description: `Entra authority host (default ${AZURE_DP_DEFAULT_AUTHORITY_HOST}).`,
  },
  { name: 'subscriptionId', required: true, secret: false, description: 'Azure subscription id holding the Backup vault.' },
  { name: 'resourceGroup', required: true, secret: false, description: 'Resource group of the Backup vault.' },
  { name: 'vaultName', required: true, secret: false, description: 'Name of the Backup vault (Microsoft.DataProtection/backupVaults).' },
];

const armName = z.string().regex(/^[A-Za-z0-9._()-]{1,90}$/, 'not an ARM resource name');
const schema = z.object({
  tenantId: z.string().regex(/^[0-9A-Za-z.-]+$/, 'tenantId must be a directory id or domain'),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  authorityHost: z.string().url().optional(),
  subscriptionId: z.string().regex(/^[0-9a-fA-F-]{36}$/, 'subscriptionId must be a GUID'),
  resourceGroup: armName,
  vaultName: armName,
});

export type AzureDpCredentials = Required<z.infer<typeof schema>>;

/** Validates a connection's decrypted credentials; throws naming the offending fields, never their values. */
export function parseAzureDpCredentials(raw: Record<string, string>): AzureDpCredentials {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.')))].join(', ');
    throw new VendorError({
      code: 'AUTH_FAILED',
      vendor: 'azure-dataprotection',
      retryable: false,
      message: `Invalid Azure Data Protection credentials: ${fields}`,
    });
  }
  return { ...parsed.data, authorityHost: parsed.data.authorityHost ?? AZURE_DP_DEFAULT_AUTHORITY_HOST };
}
