import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
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
  {
    name: 'clientSecret',
    required: false,
    secret: true,
    description:
      'Client secret of that app registration. Give it, or certificate + privateKey (register-app.md §Client Secret / §Certificate).',
  },
  {
    name: 'certificate',
    required: false,
    secret: false,
    description:
      'PEM of the certificate registered on that app (instead of clientSecret): the adapter signs its client_assertion with privateKey (register-app.md §Certificate).',
  },
  { name: 'privateKey', required: false, secret: true, description: "PEM (PKCS#8 or PKCS#1) of the certificate's RSA private key." },
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

const schema = z
  .object({
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    certificate: z.string().min(1).optional(),
    privateKey: z.string().min(1).optional(),
    identityEndpoint: z.string().url().optional(),
    location: z.enum(AVEPOINT_LOCATIONS).optional(),
  })
  .superRefine((c, ctx) => {
    // register-app.md step 4: the app's credential is a client secret or a certificate.
    if (c.clientSecret && (c.certificate || c.privateKey)) {
      ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: 'give clientSecret or certificate + privateKey, not both' });
    } else if (!c.clientSecret && !(c.certificate && c.privateKey)) {
      for (const f of c.certificate ? ['privateKey'] : c.privateKey ? ['certificate'] : ['clientSecret', 'certificate', 'privateKey']) {
        ctx.addIssue({ code: 'custom', path: [f], message: 'required' });
      }
    }
  });

/** The app certificate and its key, parsed (register-app.md §Certificate). */
export interface AvePointCertificate {
  certificate: X509Certificate;
  privateKey: KeyObject;
}

export interface AvePointCredentials {
  clientId: string;
  clientSecret?: string;
  /** Set when the app signs in with its certificate instead of the secret. */
  certificate?: AvePointCertificate;
  /** Full token URL (…/connect/token). */
  tokenUrl: string;
  location?: string;
}

function invalid(fields: string): VendorError {
  return new VendorError({ code: 'AUTH_FAILED', vendor: 'avepoint', retryable: false, message: `Invalid AvePoint credentials: ${fields}` });
}

/** Parses the PEM pair; the key must be RSA (RS256, as the docs' X509SigningCredentials sample signs) and belong to the certificate. */
function parseCertificate(certPem: string, keyPem: string): AvePointCertificate {
  let certificate: X509Certificate;
  let privateKey: KeyObject;
  try {
    certificate = new X509Certificate(certPem);
  } catch {
    throw invalid('certificate (not a PEM certificate)');
  }
  try {
    privateKey = createPrivateKey(keyPem);
  } catch {
    throw invalid('privateKey (not a PEM private key)');
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw invalid('privateKey (an RSA key is needed for RS256)');
  if (!certificate.checkPrivateKey(privateKey)) throw invalid('privateKey (does not belong to the certificate)');
  return { certificate, privateKey };
}

/** Validates a connection's decrypted credentials; throws naming the offending field, never the value. */
export function parseAvePointCredentials(raw: Record<string, string>): AvePointCredentials {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== '' && v !== undefined));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.map((i) => [i.path.join('.'), i.code === 'custom' ? ` (${i.message})` : ''].join('')).join(', '));
  }
  const d = parsed.data;
  const base = (d.identityEndpoint ?? AVEPOINT_DEFAULT_IDENTITY).replace(/\/+$/, '');
  return {
    clientId: d.clientId,
    clientSecret: d.clientSecret,
    certificate: d.certificate && d.privateKey ? parseCertificate(d.certificate, d.privateKey) : undefined,
    tokenUrl: /\/connect\/token$/.test(base) ? base : `${base}/connect/token`,
    location: d.location,
  };
}
