import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ScopeRegistry } from '../support';
import type { AzureAccountState } from './azure.state';

/**
 * Microsoft Entra ID (v2.0 endpoint) as far as the client-credentials flow of @azure/identity / MSAL
 * needs it, mounted under /azure/login (the connection's `authorityHost`):
 *   GET  /login/{tenant}/v2.0/.well-known/openid-configuration
 *   POST /login/{tenant}/oauth2/v2.0/token   (grant_type=client_credentials, scope=https://management.azure.com/.default)
 * Tokens are JWT-shaped (HS256 with a per-process key) carrying tid, appid, aud and exp (vendor-specs
 * SOURCE.md §Auth). The scope (sandbox account) of a request is the token's tenant.
 */

export const ARM_AUDIENCE = 'https://management.azure.com/';
const ACCEPTED_SCOPES = ['https://management.azure.com/.default', 'https://management.core.windows.net//.default'];
const KEY = randomBytes(32);
const TENANT_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(\.[a-z0-9-]+)+)$/i;

export interface AccessTokenClaims {
  aud: string;
  iss: string;
  tid: string;
  appid: string;
  oid: string;
  iat: number;
  nbf: number;
  exp: number;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function sign(claims: AccessTokenClaims): string {
  const head = `${b64({ typ: 'JWT', alg: 'HS256', kid: 'sandbox' })}.${b64(claims)}`;
  return `${head}.${createHmac('sha256', KEY).update(head).digest('base64url')}`;
}

/** Reads a token's claims without checking the signature (used only to route a request to its scope). */
export function peekClaims(token: string): AccessTokenClaims | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as AccessTokenClaims;
  } catch {
    return undefined;
  }
}

/** Verifies the signature; returns the claims or undefined. Expiry is checked by the caller against the scope clock. */
export function verifyToken(token: string): AccessTokenClaims | undefined {
  const [h, p, s] = token.split('.');
  if (!h || !p || !s) return undefined;
  const expected = createHmac('sha256', KEY).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return peekClaims(token);
}

/** AAD's error body for the token endpoint (learn.microsoft.com "Microsoft identity platform ... error codes"). */
function aadError(reply: FastifyReply, status: number, error: string, aadsts: string, description: string): FastifyReply {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  return reply.code(status).send({
    error,
    error_description: `${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${new Date().toISOString().replace('T', ' ').slice(0, 19)}Z`,
    error_codes: [Number(aadsts.replace('AADSTS', ''))],
    timestamp: new Date().toISOString(),
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts.replace('AADSTS', '')}`,
  });
}

export function loginTenantOf(req: FastifyRequest, prefix: string): string | undefined {
  const m = /^\/[^/]+\/login\/([^/?]+)\//.exec(req.url);
  return m && req.url.startsWith(`/${prefix}/login/`) ? decodeURIComponent(m[1]) : undefined;
}

export function registerLogin(app: FastifyInstance, scopes: ScopeRegistry<AzureAccountState>): void {
  app.get<{ Params: { tenant: string } }>('/login/:tenant/v2.0/.well-known/openid-configuration', async (req, reply) => {
    const { tenant } = req.params;
    if (!TENANT_RE.test(tenant)) {
      return aadError(reply, 400, 'invalid_tenant', 'AADSTS90002', `Tenant '${tenant}' not found.`);
    }
    const base = `https://${req.headers.host}/azure/login/${tenant}`;
    return reply.send({
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `https://${req.headers.host}/azure/login/${tenant}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid'],
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
    });
  });

  app.post<{ Params: { tenant: string }; Body: Record<string, string> }>('/login/:tenant/oauth2/v2.0/token', async (req, reply) => {
    const { tenant } = req.params;
    const form = (req.body ?? {}) as Record<string, string>;
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return aadError(
        reply,
        400,
        'invalid_request',
        'AADSTS900144',
        "The request body must contain the following parameter: 'grant_type'.",
      );
    }
    if (!TENANT_RE.test(tenant)) return aadError(reply, 400, 'invalid_request', 'AADSTS90002', `Tenant '${tenant}' not found.`);
    if (form.grant_type !== 'client_credentials') {
      return aadError(
        reply,
        400,
        'unsupported_grant_type',
        'AADSTS70003',
        `The app requested an unsupported grant type '${form.grant_type ?? ''}'.`,
      );
    }
    if (!form.client_id)
      return aadError(reply, 400, 'invalid_request', 'AADSTS900144', "The request body must contain the following parameter: 'client_id'.");
    const secret = form.client_secret;
    if (!secret)
      return aadError(
        reply,
        401,
        'invalid_client',
        'AADSTS7000216',
        "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
      );
    // Sandbox rule for "wrong secret": too short to be an Entra secret, or starting with "bad".
    if (secret.length < 16 || secret.startsWith('bad')) {
      return aadError(
        reply,
        401,
        'invalid_client',
        'AADSTS7000215',
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${form.client_id}'.`,
      );
    }
    const requested = (form.scope ?? '').split(' ').filter(Boolean);
    if (requested.length !== 1 || !ACCEPTED_SCOPES.includes(requested[0])) {
      return aadError(
        reply,
        400,
        'invalid_scope',
        'AADSTS1002012',
        `The provided value for scope ${form.scope ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const scope = scopes.get(tenant);
    const lifetime = Number(scope.config.tokenLifetimeSeconds ?? 3599);
    const now = Math.floor(scope.clock.now().getTime() / 1000);
    const claims: AccessTokenClaims = {
      aud: ARM_AUDIENCE,
      iss: `https://sts.windows.net/${tenant}/`,
      tid: tenant,
      appid: form.client_id,
      oid: form.client_id,
      iat: now,
      nbf: now,
      exp: now + lifetime,
    };
    scope.state.tokensIssued += 1;
    return reply.header('cache-control', 'no-store, no-cache').send({
      token_type: 'Bearer',
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: sign(claims),
    });
  });
}
