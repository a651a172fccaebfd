import { z } from 'zod';
import { VendorError } from '../port/vendor-error';
import type { CredentialField } from '../port/vendor-descriptor';

/** Commercial AvePoint Graph API host, US data center (SOURCE.md §Base URL: https://graph-{dc}.avepointonlineservices.com). */
export const AVEPOINT_DEFAULT_ENDPOINT = 'https://graph-us.avepointonlineservices.com';
/** Commercial AOS identity service (register-app.md §Client Secret; Gov: identity-gov..., FedRAMP: identity.online15.net). */
export const AVEPOINT_DEFAULT_IDENTITY = 'https://identity.avepointonlineservices.com';

/** register-app.md §Services and Permissions: the scope is the permission names, space separated. */
export const AVEPOINT_SCOPES = ['microsoft365backup.jobInfo.read.all', 'microsoft365backup.restore.readwrite.all'];

/** Multi-Geo `location` values (m365 overview §Parameter: location). */
export const AVEPOINT_LOCATIONS = [
  'PrimaryGeoLocation',
  'NAM',
  'EUR',
  'GBR',
  'JPN',
  'APC',
  'AUS',
  'CAN',
  'IND',
  'FRA',
  'ARE',
  'ZAF',
  'CHE',
  'KOR',
  'DEU',
  'BRA',
  'NOR',
  'SWE',
  'QAT',
  'POL',
  'ITA',
  'ISR',
  'MEX',
  'NZL',
  'ESP',
  'TWN',
] as const;

export const AVEPOINT_CREDENTIAL_FIELDS: CredentialField[] = [
  {
    name: 'clientId',
    required: true,
    secret: false,
    description: 'Application (client) id of the app registered in AvePoint Online Services > Administration > App registrations.',
  },
  { name: 'clientSecret', required: true, secret: true, description: 'Client secret of that app registration.' },
  {
    name: 'identityEndpoint',
    required: false,
    secret: false,
    description: `AOS identity service (default ${AVEPOINT_DEFAULT_IDENTITY}); /connect/token is appended unless given.`,
  },
  {
    name: 'location',
    required: false,
    secret: false,
    description: `Multi-Geo tenants only: the geo location to restore in and read jobs from (${AVEPOINT_LOCATIONS.join(', ')}).`,
  },
];

const schema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  identityEndpoint: z.string().url().optional(),
  location: z.enum(AVEPOINT_LOCATIONS).optional(),
});

export interface AvePointCredentials {
  clientId: string;
  clientSecret: string;
  /** Full token URL (…/connect/token). */
  tokenUrl: string;
  location?: string;
}

/** Validates a connection's decrypted credentials; throws naming the offending field, never the value. */
export function parseAvePointCredentials(raw: Record<string, string>): AvePointCredentials {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== '' && v !== undefined));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new VendorError({
      code: 'AUTH_FAILED',
      vendor: 'avepoint',
      retryable: false,
      message: `Invalid AvePoint credentials: ${fields}`,
    });
  }
  const base = (parsed.data.identityEndpoint ?? AVEPOINT_DEFAULT_IDENTITY).replace(/\/+$/, '');
  return {
    clientId: parsed.data.clientId,
    clientSecret: parsed.data.clientSecret,
    tokenUrl: /\/connect\/token$/.test(base) ? base : `${base}/connect/token`,
    location: parsed.data.location,
  };
}
