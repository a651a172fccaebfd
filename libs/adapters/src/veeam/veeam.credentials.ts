import { z } from 'zod';
import { VendorError } from '../port/vendor-error';
import type { AdapterConfig } from '../port/port.types';
import type { CredentialField } from '../port/vendor-descriptor';

/**
 * A VB365 server is self-hosted (REST on port 4443 by default, SOURCE.md §Base URL), so there is no real
 * default endpoint: the connection must name its server.
 */
export const VEEAM_DEFAULT_ENDPOINT = 'https://veeam.example.local:4443';

export const VEEAM_CREDENTIAL_FIELDS: CredentialField[] = [
  {
    name: 'username',
    required: false,
    secret: false,
    description:
      'VB365 administrator account (DOMAIN\\user), for grant_type=password. Give username + password, or clientId + clientSecret.',
  },
  { name: 'password', required: false, secret: true, description: 'Password of that account.' },
  {
    name: 'clientId',
    required: false,
    secret: false,
    description: 'Application id for grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer (VB365 has no client_credentials grant).',
  },
  {
    name: 'clientSecret',
    required: false,
    secret: true,
    description: "The JWT assertion sent with clientId (the jwt-bearer grant's `assertion`).",
  },
  {
    name: 'caCertPem',
    required: false,
    secret: false,
    description: "PEM of the CA (or the self-signed certificate) the server's TLS certificate chains to.",
  },
  {
    name: 'certSha256',
    required: false,
    secret: false,
    description: 'SHA-256 fingerprint (hex) of the server certificate, pinned instead of chain validation.',
  },
  {
    name: 'organizationId',
    required: false,
    secret: false,
    description: "VB365 organization id to back up (default: the server's first organization).",
  },
  {
    name: 'repositoryId',
    required: false,
    secret: false,
    description: "Backup repository id for new jobs (default: the server's first repository).",
  },
  {
    name: 'restoreApplicationId',
    required: false,
    secret: false,
    description: "Microsoft Entra application id used to restore to Microsoft 365 (restore bodies' applicationId).",
  },
  {
    name: 'restoreApplicationCertificate',
    required: false,
    secret: true,
    description: "That application's certificate (PFX) as Base64 (applicationCertificate).",
  },
  {
    name: 'restoreApplicationCertificatePassword',
    required: false,
    secret: true,
    description: 'Password of that PFX (applicationCertificatePassword).',
  },
  {
    name: 'restoreImpersonationAccount',
    required: false,
    secret: false,
    description: 'SharePoint site owner / Exchange account used with the certificate (impersonationAccountName).',
  },
];

const schema = z
  .object({
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    caCertPem: z.string().includes('BEGIN CERTIFICATE').optional(),
    certSha256: z
      .string()
      .regex(/^([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/)
      .optional(),
    organizationId: z.string().min(1).optional(),
    repositoryId: z.string().min(1).optional(),
    restoreApplicationId: z.string().uuid().optional(),
    restoreApplicationCertificate: z.string().min(1).optional(),
    restoreApplicationCertificatePassword: z.string().min(1).optional(),
    restoreImpersonationAccount: z.string().min(1).optional(),
  })
  .refine((c) => (c.username && c.password) || (c.clientId && c.clientSecret), {
    message: 'username + password or clientId + clientSecret',
    path: ['username'],
  });

export type VeeamGrant =
  { kind: 'password'; username: string; password: string } | { kind: 'jwt-bearer'; clientId: string; assertion: string };

/** Credentials VB365 uses to write restored data into Microsoft 365 (restore bodies, spec RESTRestore*Config). */
export interface VeeamRestoreAuth {
  applicationId?: string;
  applicationCertificate?: string;
  applicationCertificatePassword?: string;
  impersonationAccountName?: string;
}

export interface VeeamCredentials {
  grant: VeeamGrant;
  restoreAuth: VeeamRestoreAuth;
  organizationId?: string;
  repositoryId?: string;
  tls?: AdapterConfig['tls'];
}

/** Validates a connection's decrypted credentials; throws naming the offending fields, never a value. */
export function parseVeeamCredentials(raw: Record<string, string>): VeeamCredentials {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== '' && v !== undefined));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.')))].join(', ');
    throw new VendorError({ code: 'AUTH_FAILED', vendor: 'veeam', retryable: false, message: `Invalid Veeam credentials: ${fields}` });
  }
  const c = parsed.data;
  const grant: VeeamGrant =
    c.username && c.password
      ? { kind: 'password', username: c.username, password: c.password }
      : { kind: 'jwt-bearer', clientId: c.clientId!, assertion: c.clientSecret! };
  const tls = c.caCertPem || c.certSha256 ? { caCertPem: c.caCertPem, pinnedSha256: c.certSha256 } : undefined;
  const restoreAuth = Object.fromEntries(
    Object.entries({
      applicationId: c.restoreApplicationId,
      applicationCertificate: c.restoreApplicationCertificate,
      applicationCertificatePassword: c.restoreApplicationCertificatePassword,
      impersonationAccountName: c.restoreImpersonationAccount,
    }).filter(([, v]) => v !== undefined),
  ) as VeeamRestoreAuth;
  return { grant, restoreAuth, organizationId: c.organizationId, repositoryId: c.repositoryId, tls };
}

/** Per-connection TLS trust: the connection config's, completed by the credentials' CA / pin. */
export function veeamTls(config: AdapterConfig, creds: VeeamCredentials): AdapterConfig['tls'] {
  const caCertPem = config.tls?.caCertPem ?? creds.tls?.caCertPem;
  const pinnedSha256 = config.tls?.pinnedSha256 ?? creds.tls?.pinnedSha256;
  return caCertPem || pinnedSha256 ? { caCertPem, pinnedSha256 } : undefined;
}
