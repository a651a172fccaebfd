import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxScope } from '../support';
import { appRolesFor } from './graph.permissions';

/** The resource the Backup Storage API accepts tokens for (SOURCE.md §Auth: scope=https://graph.microsoft.com/.default). */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

/** What the simulated Entra ID puts in an access token. */
export interface GraphTokenClaims {
  aud: string;
  iss: string;
  tid: string;
  appid: string;
  iat: number;
  nbf: number;
  exp: number;
  roles: string[];
}

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

/**
 * Issues and checks access tokens. They look like Entra's JWTs but are signed with an HMAC key of this
 * sandbox instance, so a forged or edited token fails. Clients must treat them as opaque.
 */
export class GraphTokenService {
  private readonly key = randomBytes(32);

  issue(claims: GraphTokenClaims): string {
    const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'HS256', kid: 'graph-sandbox' }));
    const body = b64url(JSON.stringify(claims));
    return `${head}.${body}.${this.sign(`${head}.${body}`)}`;
  }

  /** The claims if the signature holds, else undefined. Expiry is checked by the caller (sandbox clock). */
  verify(token: string): GraphTokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`));
    const given = Buffer.from(parts[2]);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    return decodeClaims(token);
  }

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }
}

/** Reads the claims without checking the signature (only to name the tenant scope of a request). */
export function decodeClaims(token: string): GraphTokenClaims | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof claims?.tid === 'string' ? claims : undefined;
  } catch {
    return undefined;
  }
}

export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m?.[1];
}

type ScopeOf = (tenantId: string) => SandboxScope<unknown>;

/**
 * Entra ID login endpoints under `/graph/login` (the connection's `authorityHost`): OIDC discovery and the
 * v2.0 token endpoint for the client-credentials grant, as MSAL node calls them with
 * `disableInstanceDiscovery: true` (discovery doc first, then POST form to token_endpoint).
 */
export function registerGraphLogin(app: FastifyInstance, tokens: GraphTokenService, scopeOf: ScopeOf): void {
  app.get<{ Params: { tenant: string } }>('/login/:tenant/v2.0/.well-known/openid-configuration', async (req) =>
    openIdConfiguration(loginBase(req), req.params.tenant),
  );
  app.get<{ Params: { tenant: string } }>('/login/:tenant/.well-known/openid-configuration', async (req) =>
    openIdConfiguration(loginBase(req), req.params.tenant),
  );
  app.get<{ Params: { tenant: string } }>('/login/:tenant/discovery/v2.0/keys', async () => ({ keys: [] }));
  app.get('/login/common/discovery/instance', async (req) => {
    const host = new URL(loginBase(req)).host;
    return {
      tenant_discovery_endpoint: `${loginBase(req)}/{tenantid}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    };
  });
  app.post<{ Params: { tenant: string }; Body: Record<string, string> | undefined }>(
    '/login/:tenant/oauth2/v2.0/token',
    async (req, reply) => issueToken(req, reply, tokens, scopeOf(req.params.tenant)),
  );
  app.all('/login/*', async (req, reply) =>
    entraError(reply, req, 404, 'invalid_request', 90002, `AADSTS90002: Tenant endpoint '${req.url}' not found.`),
  );
}

function loginBase(req: FastifyRequest): string {
  return `https://${req.headers.host}/graph/login`;
}

function openIdConfiguration(base: string, tenant: string) {
  const t = `${base}/${tenant}`;
  return {
    token_endpoint: `${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${t}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${t}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${base.replace(/\/login$/, '')}/oidc/userinfo`,
    authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${t}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${t}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'cloud_instance_name',
      'cloud_instance_host_name',
      'cloud_graph_host_name',
      'msgraph_host',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email',
    ],
    kerberos_endpoint: `${t}/kerberos`,
    tenant_region_scope: 'NA',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

function clientCredentials(req: FastifyRequest<{ Body: Record<string, string> | undefined }>): { clientId?: string; secret?: string } {
  const body = req.body ?? {};
  const basic = /^Basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
  if (basic) {
    const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
    return { clientId: decodeURIComponent(id ?? ''), secret: decodeURIComponent(secret ?? '') };
  }
  return { clientId: body.client_id, secret: body.client_secret };
}

function issueToken(
  req: FastifyRequest<{ Params: { tenant: string }; Body: Record<string, string> | undefined }>,
  reply: FastifyReply,
  tokens: GraphTokenService,
  scope: SandboxScope<unknown>,
) {
  const body = typeof req.body === 'object' && req.body ? req.body : {};
  if (body.grant_type !== 'client_credentials') {
    return entraError(
      reply,
      req,
      400,
      'unsupported_grant_type',
      70003,
      `AADSTS70003: The app requested an unsupported grant type '${body.grant_type ?? ''}'.`,
    );
  }
  const { clientId, secret } = clientCredentials(req);
  if (!clientId) {
    return entraError(
      reply,
      req,
      400,
      'invalid_request',
      900144,
      "AADSTS900144: The request body must contain the following parameter: 'client_id'.",
    );
  }
  const scopes = String(body.scope ?? '')
    .split(/\s+/)
    .filter((s) => s && !['openid', 'profile', 'offline_access'].includes(s));
  const defaults = [`${GRAPH_RESOURCE}/.default`, `${GRAPH_APP_ID}/.default`];
  if (scopes.length !== 1 || !defaults.includes(scopes[0])) {
    return entraError(
      reply,
      req,
      400,
      'invalid_scope',
      1002012,
      `AADSTS1002012: The provided value for scope ${body.scope ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  // brief: the simulated app registration refuses secrets shorter than 16 characters or starting with "bad".
  if (!secret || secret.length < 16 || secret.startsWith('bad')) {
    return entraError(
      reply,
      req,
      401,
      'invalid_client',
      7000215,
      `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    );
  }
  const lifetime = Number(scope.config.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS);
  // Token lifetime runs on wall-clock time, not the scope's sandbox clock: tests move the sandbox clock by hours to
  // make backups and restores progress, and a client's token cache (MSAL) judges expiry on the wall clock too.
  const now = Math.floor(Date.now() / 1000);
  const accessToken = tokens.issue({
    aud: GRAPH_RESOURCE,
    iss: `https://sts.windows.net/${req.params.tenant}/`,
    tid: req.params.tenant,
    appid: clientId,
    iat: now,
    nbf: now,
    exp: now + lifetime,
    // The app roles admin-consented for this app registration (scope config appRoles, graph.permissions.ts).
    roles: appRolesFor(scope.config, clientId),
  });
  reply.header('cache-control', 'no-store, no-cache');
  return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken };
}

function entraError(reply: FastifyReply, req: FastifyRequest, status: number, error: string, code: number, description: string) {
  const traceId = randomUUID();
  const correlationId = String(req.headers['client-request-id'] ?? randomUUID());
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
  reply.code(status).header('cache-control', 'no-store, no-cache');
  return {
    error,
    error_description: `${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${loginBase(req)}/error?code=${code}`,
  };
}
