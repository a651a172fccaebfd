import { randomBytes } from 'node:crypto';
import { checkClientAssertion, JWT_BEARER } from './avepoint.client-assertion';
import { AVEPOINT_PERMISSIONS, avepointSandboxSecret } from './avepoint.fixtures';

/**
 * The AOS identity service (register-app.md §Client Secret): POST /connect/token, form-encoded
 * client_id, client_secret, scope (permission names, space separated), grant_type=client_credentials;
 * or (§Certificate) client_assertion_type + client_assertion, a JWT signed with a certificate
 * registered on the app, in place of client_id and client_secret.
 * Answers {token_type: "Bearer", expires_in, ext_expires_in, access_token, scope}; refusals are OAuth
 * errors ({error}) with status 400, as IdentityServer answers them.
 */
export interface IssuedToken {
  tenantKey: string;
  permissions: string[];
  /** Expiry on the tenant's sandbox clock (ms). */
  expiresAt: number;
}

export type TokenResult =
  | { ok: true; token: string; body: Record<string, unknown>; issued: IssuedToken }
  | { ok: false; status: number; body: { error: string; error_description?: string } };

export interface TokenRequestContext {
  form: Record<string, string>;
  isForm: boolean;
  now: Date;
  lifetimeSeconds: number;
  /** Permissions the app registration holds (config `grantedPermissions`). */
  appPermissions: string[];
  /** Certificates registered on the app (config `appCertificates`, PEM); none: certificate sign-in is refused. */
  appCertificates: string[];
  /** The token URL as the client reached it (a client assertion's expected aud). */
  tokenUrl: string;
  /** Client-assertion jti values this app already used (replay cache). */
  seenJti: Set<string>;
}

export function issueToken(ctx: TokenRequestContext): TokenResult {
  const f = ctx.form;
  if (!ctx.isForm) return oauthError('invalid_request', 'The request body must be application/x-www-form-urlencoded.');
  if (f.grant_type !== 'client_credentials') {
    return f.grant_type ? oauthError('unsupported_grant_type') : oauthError('invalid_request', 'grant_type is missing.');
  }
  let clientId = f.client_id;
  if (f.client_assertion_type !== undefined || f.client_assertion !== undefined) {
    if (f.client_assertion_type !== JWT_BEARER || !f.client_assertion || f.client_secret) return oauthError('invalid_client');
    const checked = checkClientAssertion({
      assertion: f.client_assertion,
      clientId: f.client_id || undefined,
      tokenUrl: ctx.tokenUrl,
      certificates: ctx.appCertificates,
      now: ctx.now,
      seenJti: ctx.seenJti,
    });
    if ('refused' in checked) return oauthError('invalid_client', checked.refused);
    clientId = checked.clientId;
  } else {
    if (!clientId) return oauthError('invalid_client');
    if (f.client_secret !== avepointSandboxSecret(clientId)) return oauthError('invalid_client');
  }
  const requested = (f.scope ?? '').split(/\s+/).filter(Boolean);
  for (const s of requested) {
    if (!(AVEPOINT_PERMISSIONS as readonly string[]).includes(s) || !ctx.appPermissions.includes(s)) return oauthError('invalid_scope');
  }
  const permissions = requested.length ? requested : ctx.appPermissions;
  const token = `aos.${randomBytes(24).toString('base64url')}`;
  const issued: IssuedToken = { tenantKey: clientId, permissions, expiresAt: ctx.now.getTime() + ctx.lifetimeSeconds * 1000 };
  return {
    ok: true,
    token,
    issued,
    body: {
      access_token: token,
      expires_in: ctx.lifetimeSeconds,
      ext_expires_in: ctx.lifetimeSeconds,
      token_type: 'Bearer',
      scope: permissions.join(' '),
    },
  };
}

function oauthError(error: string, description?: string): TokenResult {
  return { ok: false, status: 400, body: description ? { error, error_description: description } : { error } };
}
