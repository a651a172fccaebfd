import { createHash, verify, X509Certificate } from 'node:crypto';

/**
 * The AOS identity service's check of a certificate sign-in (register-app.md §Certificate): the form
 * carries client_assertion_type = urn:ietf:params:oauth:client-assertion-type:jwt-bearer and
 * client_assertion = a JWT signed with a certificate registered on the app, iss = sub = client id,
 * aud = the token URL (RFC 7523 §3). The docs' sample sends no client_id: the assertion names the client.
 */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Clock skew the identity service tolerates on nbf / exp (IdentityServer's default, 5 minutes). */
const SKEW_S = 300;

interface Jwt {
  header: { alg?: string; kid?: string; x5t?: string };
  payload: { iss?: string; sub?: string; aud?: string | string[]; exp?: number; nbf?: number; jti?: string };
  signingInput: string;
  signature: Buffer;
}

function decode(token: string): Jwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const json = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    return {
      header: json(parts[0]),
      payload: json(parts[1]),
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2], 'base64url'),
    };
  } catch {
    return undefined;
  }
}

/** The client an assertion names (unverified: only to pick the tenant whose registration checks it). */
export function assertionClientId(assertion: string | undefined): string | undefined {
  const iss = assertion ? decode(assertion)?.payload.iss : undefined;
  return typeof iss === 'string' && iss ? iss : undefined;
}

export interface AssertionCheck {
  assertion: string;
  /** client_id of the form, when sent. */
  clientId?: string;
  /** The token URL as the client reached it (the expected aud). */
  tokenUrl: string;
  /** PEM certificates registered on the app (config `appCertificates`). */
  certificates: string[];
  now: Date;
  /** jti values already used by this client (replay cache); the accepted one is added. */
  seenJti: Set<string>;
}

/** Returns the verified client id, or the reason the assertion is refused (answered as invalid_client). */
export function checkClientAssertion(c: AssertionCheck): { clientId: string } | { refused: string } {
  const jwt = decode(c.assertion);
  if (!jwt) return { refused: 'The client assertion is not a JWT.' };
  const { header, payload } = jwt;
  if (header.alg !== 'RS256') return { refused: `Unsupported signing algorithm ${header.alg}.` };
  if (!payload.iss || payload.iss !== payload.sub) return { refused: 'iss and sub must both be the client id.' };
  if (c.clientId && c.clientId !== payload.iss) return { refused: 'client_id does not match the assertion.' };
  const norm = (u: string) => u.replace(/\/+$/, '').toLowerCase();
  const auds = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!auds.some((a) => typeof a === 'string' && norm(a) === norm(c.tokenUrl)))
    return { refused: 'The assertion audience is not this token endpoint.' };
  const now = Math.floor(c.now.getTime() / 1000);
  if (typeof payload.exp !== 'number' || payload.exp + SKEW_S < now) return { refused: 'The client assertion expired.' };
  if (typeof payload.nbf === 'number' && payload.nbf - SKEW_S > now) return { refused: 'The client assertion is not valid yet.' };
  if (!payload.jti) return { refused: 'The client assertion has no jti.' };
  if (c.seenJti.has(payload.jti)) return { refused: 'The client assertion was already used.' };
  const signer = c.certificates
    .map((pem) => new X509Certificate(pem))
    .find((cert) => {
      if (c.now < new Date(cert.validFrom) || c.now > new Date(cert.validTo)) return false;
      const thumb = createHash('sha1').update(cert.raw).digest();
      if (header.x5t && header.x5t !== thumb.toString('base64url')) return false;
      return verify('sha256', Buffer.from(jwt.signingInput), cert.publicKey, jwt.signature);
    });
  if (!signer) return { refused: 'The client assertion is not signed by a certificate registered on the app.' };
  c.seenJti.add(payload.jti);
  return { clientId: payload.iss };
}
