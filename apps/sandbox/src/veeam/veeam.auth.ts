import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ScopeRegistry, SandboxScope } from '../support';
import { sendTokenRefusal, tokenQuotaMessage, UNAUTHORIZED_MESSAGE } from './veeam.errors';
import { veeamSandboxAssertion, veeamSandboxPassword } from './veeam.fixtures';
import { configNumber, type TokenRecord, type VeeamServerState } from './veeam.state';

/**
 * POST /v8/token (spec vb365-rest-v8 /v8/token): form or JSON body, grant_type one of password (username,
 * password), refresh_token, urn:ietf:params:oauth:grant-type:jwt-bearer (client_id, assertion) or
 * operator. Answers OAuthTokenResponse {access_token, refresh_token, token_type, expires_in, userName,
 * .issued, .expires}. Every other route needs `Authorization: Bearer <access_token>` (security scheme
 * Bearer). POST /v8/token/logout ends the session.
 *
 * The server key (sandbox scope) is the user name or client id that logged in; it is carried inside
 * the tokens so every later request finds its server without a lookup table.
 */
export const TOKEN_PATH = '/v8/token';
export const GRANT_TYPES = ['password', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'operator'] as const;
const TOKEN_FIELDS = ['grant_type', 'username', 'password', 'refresh_token', 'client_id', 'assertion', 'disable_antiforgery_token'];

/** Access token lifetime. Veeam REST APIs issue 60-minute access tokens and 14-day refresh tokens. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;
export const DEFAULT_REFRESH_LIFETIME_SECONDS = 14 * 24 * 3600;
/** Token endpoint quota per minute (not published by Veeam; configurable per server). */
export const DEFAULT_TOKEN_REQUESTS_PER_MINUTE = 25;

function mintToken(kind: 'a' | 'r', serverKey: string): string {
  return `vb${kind}.${Buffer.from(serverKey).toString('base64url')}.${randomBytes(24).toString('base64url')}`;
}

/** The server key a token was minted for, or undefined for a string that is not one of ours. */
export function serverKeyOfToken(token: string | undefined): string | undefined {
  const m = /^vb[ar]\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+$/.exec(token ?? '');
  return m ? Buffer.from(m[1], 'base64url').toString() : undefined;
}

export function bearerOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = /^Bearer\s+(\S+)$/i.exec(typeof h === 'string' ? h : '');
  return m?.[1];
}

/** The server key of a token request, from its body (only known once the body is parsed). */
export function serverKeyOfTokenRequest(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  if (b.grant_type === 'refresh_token') return serverKeyOfToken(String(b.refresh_token ?? ''));
  const key = b.grant_type === 'password' || b.grant_type === undefined ? b.username : b.client_id;
  return typeof key === 'string' && key ? key : undefined;
}

export interface AuthedRequest {
  veeamScope?: SandboxScope<VeeamServerState>;
  veeamUser?: string;
}

/** Registers the token endpoints and the bearer check on every other route. */
export function registerAuth(
  app: FastifyInstance,
  scopes: ScopeRegistry<VeeamServerState>,
  writeFault: (reply: FastifyReply, status: number, headers?: Record<string, string>, body?: unknown) => void,
): void {
  app.addHook('preHandler', async (req, reply) => {
    const path = req.url.split('?')[0].replace(/^\/[^/]+/, '');
    if (path.toLowerCase() === TOKEN_PATH) return;
    const token = bearerOf(req);
    const key = serverKeyOfToken(token);
    const scope = key ? scopes.get(key) : undefined;
    const now = scope?.clock.now().getTime() ?? 0;
    const record = scope?.state.tokens.find((t) => t.accessToken === token);
    if (!scope || !record || record.revoked || record.expiresAt <= now) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ message: UNAUTHORIZED_MESSAGE, errorCode: null, stackTrace: null });
    }
    (req as FastifyRequest & AuthedRequest).veeamScope = scope;
    (req as FastifyRequest & AuthedRequest).veeamUser = record.userName;
  });

  app.post(TOKEN_PATH, async (req, reply) => {
    const ctype = String(req.headers['content-type'] ?? '');
    if (!ctype.includes('application/x-www-form-urlencoded') && !ctype.includes('application/json')) {
      return sendTokenRefusal(reply, 'malformed', 'The request must be application/x-www-form-urlencoded or application/json.');
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const key = serverKeyOfTokenRequest(body);
    if (!key) return sendTokenRefusal(reply, 'malformed', 'The user name, client id or refresh token is missing.');
    const scope = scopes.get(key);
    // Token-endpoint faults are taken here: the server's fault hook runs before the body names the server.
    const fault = scope.faults.take('POST', TOKEN_PATH);
    if (fault?.status) {
      writeFault(
        reply,
        fault.status,
        { ...(fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {}), ...fault.headers },
        fault.body,
      );
      return reply;
    }
    const throttled = takeQuota(scope);
    if (throttled) {
      return reply
        .code(429)
        .header('retry-after', String(throttled.retryAfterSeconds))
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(tokenQuotaMessage(throttled.limit)));
    }
    return grant(scope, body, reply);
  });

  app.post(`${TOKEN_PATH}/logout`, async (req, reply) => {
    const token = bearerOf(req);
    const r = (req as FastifyRequest & AuthedRequest).veeamScope?.state.tokens.find((t) => t.accessToken === token);
    if (r) r.revoked = true;
    return reply.code(204).send();
  });
}

function takeQuota(scope: SandboxScope<VeeamServerState>): { limit: number; retryAfterSeconds: number } | undefined {
  const limit = configNumber(scope.config, 'tokenRequestsPerMinute', DEFAULT_TOKEN_REQUESTS_PER_MINUTE);
  const now = scope.clock.now().getTime();
  scope.state.tokenRequests = scope.state.tokenRequests.filter((t) => t > now - 60_000);
  if (scope.state.tokenRequests.length >= limit) {
    const oldest = scope.state.tokenRequests[0];
    return { limit, retryAfterSeconds: Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000)) };
  }
  scope.state.tokenRequests.push(now);
  return undefined;
}

function grant(scope: SandboxScope<VeeamServerState>, body: Record<string, unknown>, reply: FastifyReply): FastifyReply {
  const grantType = body.grant_type;
  if (!grantType) return sendTokenRefusal(reply, 'malformed', 'grant_type is missing.');
  if (!(GRANT_TYPES as readonly string[]).includes(String(grantType)))
    return sendTokenRefusal(reply, 'malformed', `The grant type is not supported. Supported: ${GRANT_TYPES.join(', ')}.`);
  for (const k of Object.keys(body))
    if (!TOKEN_FIELDS.includes(k)) return sendTokenRefusal(reply, 'malformed', `Unknown parameter '${k}'.`);
  const now = scope.clock.now().getTime();
  let userName: string;
  if (grantType === 'password') {
    if (!body.username || !body.password) return sendTokenRefusal(reply, 'malformed', 'username and password are required.');
    if (body.password !== veeamSandboxPassword(String(body.username)))
      return sendTokenRefusal(reply, 'refused', 'The user name or password is incorrect.');
    userName = String(body.username);
  } else if (grantType === 'refresh_token') {
    const old = scope.state.tokens.find((t) => t.refreshToken === body.refresh_token);
    if (!old || old.revoked || old.refreshExpiresAt <= now)
      return sendTokenRefusal(reply, 'refused', 'The refresh token is invalid or expired.');
    // A refresh token is used once: the pair it belonged to is replaced.
    old.revoked = true;
    userName = old.userName;
  } else if (grantType === 'operator') {
    return sendTokenRefusal(reply, 'refused', 'Restore operator authentication is not configured on this server.');
  } else {
    if (!body.client_id || !body.assertion) return sendTokenRefusal(reply, 'malformed', 'client_id and assertion are required.');
    if (body.assertion !== veeamSandboxAssertion(String(body.client_id)))
      return sendTokenRefusal(reply, 'refused', 'The assertion is invalid.');
    userName = String(body.client_id);
  }
  const lifetime = configNumber(scope.config, 'tokenLifetimeSeconds', DEFAULT_TOKEN_LIFETIME_SECONDS);
  const record: TokenRecord = {
    accessToken: mintToken('a', scope.state.serverKey),
    refreshToken: mintToken('r', scope.state.serverKey),
    userName,
    expiresAt: now + lifetime * 1000,
    refreshExpiresAt: now + configNumber(scope.config, 'refreshTokenLifetimeSeconds', DEFAULT_REFRESH_LIFETIME_SECONDS) * 1000,
    revoked: false,
  };
  scope.state.tokens = scope.state.tokens.filter((t) => !t.revoked && t.refreshExpiresAt > now).slice(-50);
  scope.state.tokens.push(record);
  return reply.code(200).send({
    access_token: record.accessToken,
    refresh_token: record.refreshToken,
    token_type: 'bearer',
    expires_in: lifetime,
    userName,
    '.issued': new Date(now).toISOString(),
    '.expires': new Date(record.expiresAt).toISOString(),
  });
}
