import { ClientSecretCredential } from '@azure/identity';
import { randomUUID } from 'node:crypto';
import { startTestSandbox } from '../../../../test/support/sandbox';
import type { RunningSandbox } from '../sandbox.server';
import { CLIENT_ID, fetchToken, GOOD_SECRET, GraphTestTenant } from './graph.test-helpers';

describe('graph sandbox: Entra login and bearer tokens', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('issues a token to @azure/identity ClientSecretCredential with a custom authorityHost', async () => {
    const tenant = new GraphTestTenant(sandbox.origin);
    const credential = new ClientSecretCredential(tenant.tenantId, CLIENT_ID, GOOD_SECRET, {
      authorityHost: `${sandbox.origin}/graph/login`,
      disableInstanceDiscovery: true,
    });
    const token = await credential.getToken('https://graph.microsoft.com/.default');
    expect(token.token.split('.')).toHaveLength(3);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000 * 1000);

    // MSAL node reads the tenant's OIDC discovery document, then posts the client-credentials form.
    const calls = await tenant.control.calls();
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      `GET /login/${tenant.tenantId}/v2.0/.well-known/openid-configuration`,
      `POST /login/${tenant.tenantId}/oauth2/v2.0/token`,
    ]);
    expect(calls[1].body).toMatchObject({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      scope: 'https://graph.microsoft.com/.default',
    });

    tenant.token = token.token;
    const res = await tenant.call('GET', '/protectionPolicies');
    expect(res.status).toBe(200);
    expect(res.body.value).toEqual([]);
  });

  it('refuses a bad secret through ClientSecretCredential with AADSTS7000215', async () => {
    const credential = new ClientSecretCredential(randomUUID(), CLIENT_ID, 'bad-secret-but-long-enough', {
      authorityHost: `${sandbox.origin}/graph/login`,
      disableInstanceDiscovery: true,
    });
    await expect(credential.getToken('https://graph.microsoft.com/.default')).rejects.toThrow(/AADSTS7000215/);
  });

  it('answers token requests like Entra: bearer token with expiry, or invalid_client / unsupported_grant_type', async () => {
    const tenantId = randomUUID();
    const ok = await fetchToken(sandbox.origin, tenantId);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: expect.any(String) });

    const short = await fetchToken(sandbox.origin, tenantId, 'too-short');
    expect(short.status).toBe(401);
    expect(short.body).toMatchObject({
      error: 'invalid_client',
      error_codes: [7000215],
      trace_id: expect.any(String),
      correlation_id: expect.any(String),
    });
    expect(short.body.error_description).toMatch(/^AADSTS7000215: Invalid client secret provided/);
    expect((await fetchToken(sandbox.origin, tenantId, 'bad0123456789abcdef')).status).toBe(401);

    const grant = await fetchToken(sandbox.origin, tenantId, GOOD_SECRET, { grant_type: 'password' });
    expect(grant.status).toBe(400);
    expect(grant.body).toMatchObject({ error: 'unsupported_grant_type', error_codes: [70003] });

    const scope = await fetchToken(sandbox.origin, tenantId, GOOD_SECRET, { scope: 'https://graph.microsoft.com/User.Read' });
    expect(scope.status).toBe(400);
    expect(scope.body).toMatchObject({ error: 'invalid_scope' });
  });

  it('serves the OIDC discovery document with endpoints under the sandbox origin', async () => {
    const tenantId = randomUUID();
    const res = await fetch(`${sandbox.origin}/graph/login/${tenantId}/v2.0/.well-known/openid-configuration`);
    const doc = await res.json();
    expect(doc).toMatchObject({
      issuer: `${sandbox.origin}/graph/login/${tenantId}/v2.0`,
      token_endpoint: `${sandbox.origin}/graph/login/${tenantId}/oauth2/v2.0/token`,
      authorization_endpoint: `${sandbox.origin}/graph/login/${tenantId}/oauth2/v2.0/authorize`,
      jwks_uri: `${sandbox.origin}/graph/login/${tenantId}/discovery/v2.0/keys`,
    });
  });

  it('refuses a missing, forged or expired bearer token with 401 InvalidAuthenticationToken', async () => {
    const tenant = await GraphTestTenant.create(sandbox.origin);
    const missing = await fetch(`${tenant.api}/protectionPolicies`);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as any).error).toMatchObject({ code: 'InvalidAuthenticationToken', message: 'Access token is empty.' });

    const [head, body] = tenant.token.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forgedBody = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 1e6 })).toString('base64url');
    const forged = await fetch(`${tenant.api}/protectionPolicies`, {
      headers: { authorization: `Bearer ${head}.${forgedBody}.${tenant.token.split('.')[2]}` },
    });
    expect(forged.status).toBe(401);
    const forgedError = ((await forged.json()) as any).error;
    expect(forgedError.code).toBe('InvalidAuthenticationToken');
    expect(forgedError.innerError).toEqual({
      date: expect.any(String),
      'request-id': forged.headers.get('request-id'),
      'client-request-id': expect.any(String),
    });

    // Moving the sandbox clock does not expire tokens (lifetime is wall-clock time, as clients cache it).
    await tenant.control.advanceClock(2 * 3600_000);
    expect((await tenant.call('GET', '/protectionPolicies')).status).toBe(200);
    await tenant.control.configure({ tokenLifetimeSeconds: 0 });
    tenant.token = (await fetchToken(sandbox.origin, tenant.tenantId)).body.access_token;
    const expired = await tenant.call('GET', '/protectionPolicies');
    expect(expired.status).toBe(401);
    expect(expired.body.error).toMatchObject({
      code: 'InvalidAuthenticationToken',
      message: 'Lifetime validation failed, the token is expired.',
    });
  });

  it("keeps tenants apart: a token of one tenant never sees another tenant's policies", async () => {
    const a = await GraphTestTenant.create(sandbox.origin);
    const b = await GraphTestTenant.create(sandbox.origin);
    const policyId = await a.sharePointPolicy(2);
    expect((await a.call('GET', `/protectionPolicies/${policyId}`)).status).toBe(200);
    const other = await b.call('GET', `/protectionPolicies/${policyId}`);
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('PolicyNotFound');
    expect((await b.call('GET', '/protectionPolicies')).body.value).toEqual([]);
  });

  it('writes injected faults as Graph error bodies with Retry-After', async () => {
    const tenant = await GraphTestTenant.create(sandbox.origin);
    await tenant.control.injectFault([
      { method: 'GET', path: 'protectionPolicies$', status: 401 },
      { method: 'GET', path: 'protectionPolicies$', status: 429, retryAfterSeconds: 7 },
      { method: 'GET', path: 'protectionPolicies$', status: 503 },
      { method: 'GET', path: 'protectionPolicies$', status: 500 },
    ]);
    const revoked = await tenant.call('GET', '/protectionPolicies');
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe('InvalidAuthenticationToken');
    const throttled = await tenant.call('GET', '/protectionPolicies');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(throttled.body.error).toMatchObject({
      code: 'TooManyRequests',
      innerError: { 'request-id': throttled.headers.get('request-id') },
    });
    const unavailable = await tenant.call('GET', '/protectionPolicies');
    expect(unavailable.status).toBe(503);
    expect(unavailable.body.error.code).toBe('serviceNotAvailable');
    const general = await tenant.call('GET', '/protectionPolicies');
    expect(general.status).toBe(500);
    expect(general.body.error.code).toBe('generalException');
    expect((await tenant.call('GET', '/protectionPolicies')).status).toBe(200);
  });
});
