import { createHash, randomUUID, sign } from 'node:crypto';
import type { AvePointCertificate } from './avepoint.credentials';

/** RFC 7523 §2.2: the client_assertion_type of a JWT client assertion (register-app.md §Certificate). */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Lifetime of one assertion. The docs' sample gives an hour; one token request needs far less. */
const ASSERTION_LIFETIME_S = 600;

const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

/**
 * The client_assertion of register-app.md §Certificate: a JWT signed RS256 with the registered
 * certificate's key, as the docs' .NET sample builds it (JwtSecurityToken with X509SigningCredentials):
 * header alg RS256, kid (SHA-1 thumbprint, hex) and x5t (the same, base64url); claims iss = client id,
 * sub = client id, aud = the token URL, jti, nbf and exp (plus iat).
 */
export function clientAssertion(cert: AvePointCertificate, clientId: string, audience: string, now: Date): string {
  const sha1 = createHash('sha1').update(cert.certificate.raw).digest();
  const header = { alg: 'RS256', kid: sha1.toString('hex').toUpperCase(), x5t: b64url(sha1), typ: 'JWT' };
  const iat = Math.floor(now.getTime() / 1000);
  const payload = { iss: clientId, sub: clientId, aud: audience, jti: randomUUID(), nbf: iat, iat, exp: iat + ASSERTION_LIFETIME_S };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(signingInput), cert.privateKey);
  return `${signingInput}.${b64url(signature)}`;
}
