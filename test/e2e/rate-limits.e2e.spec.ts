import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createGateway } from '../../apps/gateway/src/bootstrap';
import { ApiClient } from '../support/api-client';
import { newTenant, type TenantContext } from '../support/factories';
import { startStack, testConfig, type TestStack } from '../support/stack';

/** A window far longer than the suite, so no counter resets while it runs: assertions are on counts. */
const LIMITS = { RATE_LIMIT_PER_KEY: '5', RATE_LIMIT_PER_TENANT: '8', RATE_LIMIT_WINDOW_SECONDS: '3600' };

async function listen(app: NestFastifyApplication): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** `"per-key";r=4;t=3599, "per-tenant";r=7;t=3599` -> { 'per-key': { r: 4, t: 3599 }, ... }. */
function parseList(header: string | null): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const item of (header ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, ...params] = item.split(';');
    out[JSON.parse(name) as string] = Object.fromEntries(params.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
  }
  return out;
}

describe('own-API rate limits (Redis, shared by every gateway)', () => {
  let stack: TestStack;
  let second: NestFastifyApplication;
  let secondUrl: string;

  beforeAll(async () => {
    stack = await startStack({ worker: false, config: LIMITS });
    // A second gateway on the same database, Redis and key prefix: another instance of the same deployment.
    second = await createGateway(stack.config);
    secondUrl = await listen(second);
  });
  afterAll(async () => {
    await second.close();
    await stack.stop();
  });

  const jobs = (t: TenantContext) => `/v1/tenants/${t.tenantId}/restore-jobs`;

  it('puts RateLimit-Policy and RateLimit (IETF draft, structured fields) on every authenticated answer, refusals included', async () => {
    const t = await newTenant(stack.admin);
    const ok = await t.tenant.get(jobs(t));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit-policy')).toBe('"per-key";q=5;w=3600, "per-tenant";q=8;w=3600');
    const state = parseList(ok.headers.get('ratelimit'));
    expect(state['per-key'].r).toBe(4);
    expect(state['per-tenant'].r).toBe(7);
    expect(state['per-key'].t).toBeGreaterThan(0);
    expect(state['per-key'].t).toBeLessThanOrEqual(3600);
    const notFound = await t.tenant.get(`${jobs(t)}/00000000-0000-4000-8000-000000000000`);
    expect([notFound.status, parseList(notFound.headers.get('ratelimit'))['per-key'].r]).toEqual([404, 3]);
    const readOnly = t.tenant.withKey(
      (await t.partner.post('/v1/api-keys', { name: 'ro', tenantId: t.tenantId, scopes: ['read'] })).body.key,
    );
    const refused = await readOnly.post(`${jobs(t)}/00000000-0000-4000-8000-000000000000/cancel`, {});
    expect([refused.status, refused.body.code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    expect(parseList(refused.headers.get('ratelimit'))).toMatchObject({ 'per-key': { r: 4 }, 'per-tenant': { r: 5 } });
    // A partner-level route has no tenant: only the key's own limit applies.
    const partnerLevel = await t.partner.get('/v1/tenants');
    expect(partnerLevel.headers.get('ratelimit-policy')).toBe('"per-key";q=5;w=3600');
    // Public routes and the operator carry none.
    expect((await stack.admin.withKey(undefined).get('/v1/vendors')).headers.get('ratelimit')).toBeNull();
    expect((await stack.admin.get('/v1/partners')).headers.get('ratelimit')).toBeNull();
  });

  it('shares one count across two gateway instances and answers 429 RATE_LIMITED with Retry-After once it is spent', async () => {
    const t = await newTenant(stack.admin);
    const clients = [t.tenant, new ApiClient(secondUrl, t.tenantKey)];
    const remaining: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await clients[i % 2].get(jobs(t));
      expect(res.status).toBe(200);
      remaining.push(parseList(res.headers.get('ratelimit'))['per-key'].r);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    for (const client of clients) {
      const res = await client.get(jobs(t));
      expect([res.status, res.contentType.split(';')[0], res.body.code, res.body.limits]).toEqual([
        429,
        'application/problem+json',
        'RATE_LIMITED',
        ['per-key'],
      ]);
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      expect(parseList(res.headers.get('ratelimit'))['per-key'].r).toBe(0);
    }
  });

  it("limits a tenant across its keys and its partner's calls into it, without limiting another tenant", async () => {
    const t = await newTenant(stack.admin);
    const second = (await t.partner.post('/v1/api-keys', { name: 'second', tenantId: t.tenantId })).body.key as string;
    const other = await newTenant(stack.admin);
    for (let i = 0; i < 4; i++) expect((await t.tenant.get(jobs(t))).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await t.partner.get(jobs(t))).status).toBe(200);
    const secondKey = t.tenant.withKey(second);
    for (let i = 0; i < 2; i++) expect((await secondKey.get(jobs(t))).status).toBe(200);
    // 8 requests into the tenant: its limit is spent for every key, though the second key has used 2 of 5.
    const refused = await secondKey.get(jobs(t));
    expect([refused.status, refused.body.code, refused.body.limits]).toEqual([429, 'RATE_LIMITED', ['per-tenant']]);
    expect(parseList(refused.headers.get('ratelimit'))['per-key'].r).toBe(2);
    expect((await other.tenant.get(jobs(other))).status).toBe(200);
    // A partner naming someone else's tenant spends only its own counter, never that tenant's.
    for (let i = 0; i < 3; i++) await other.partner.get(jobs(t));
    const res = await other.tenant.get(jobs(other));
    expect([res.status, parseList(res.headers.get('ratelimit'))['per-tenant'].r]).toEqual([200, 6]);
  });

  it("applies a partner's override set by the operator (PATCH /v1/partners/{id})", async () => {
    const t = await newTenant(stack.admin);
    const patched = await stack.admin.patch(`/v1/partners/${t.partnerId}`, { rateLimits: { perKey: 2, perTenant: 100 } });
    expect([patched.status, patched.body.rateLimits]).toEqual([200, { perKey: 2, perTenant: 100 }]);
    // A key first seen after the change (keys are cached for 30 s) carries the override.
    const key = (await t.partner.post('/v1/api-keys', { name: 'after override', tenantId: t.tenantId })).body.key as string;
    const client = t.tenant.withKey(key);
    const first = await client.get(jobs(t));
    expect(first.headers.get('ratelimit-policy')).toBe('"per-key";q=2;w=3600, "per-tenant";q=100;w=3600');
    expect((await client.get(jobs(t))).status).toBe(200);
    expect((await client.get(jobs(t))).status).toBe(429);
    const refused = await t.partner.patch(`/v1/partners/${t.partnerId}`, { rateLimits: { perKey: 1000 } });
    expect([refused.status, refused.body.code]).toEqual([403, 'FORBIDDEN']);
    const invalid = await stack.admin.patch(`/v1/partners/${t.partnerId}`, { rateLimits: { perKey: 0 } });
    expect([invalid.status, invalid.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    const cleared = await stack.admin.patch(`/v1/partners/${t.partnerId}`, { rateLimits: { perKey: null } });
    expect(cleared.body.rateLimits).toEqual({ perKey: null, perTenant: 100 });
  });

  it('reserves a share of the quota per Redis call (lease) yet never lets two gateways together exceed it', async () => {
    // 100 per key, a lease of 10: each gateway asks Redis once per 10 requests of a key.
    const config = testConfig({
      ...LIMITS,
      DATABASE_URL: stack.config.DATABASE_URL,
      RATE_LIMIT_PER_KEY: '100',
      RATE_LIMIT_PER_TENANT: '1000',
      RATE_LIMIT_LEASE_PERCENT: '10',
    });
    const apps = [await createGateway(config), await createGateway(config)];
    try {
      const urls = [await listen(apps[0]), await listen(apps[1])];
      const t = await newTenant(stack.admin);
      const [a, b] = urls.map((u) => new ApiClient(u, t.tenantKey));
      const path = `/v1/tenants/${t.tenantId}`;
      const count = async (client: ApiClient, n: number) => {
        const statuses: number[] = [];
        for (let i = 0; i < n; i++) statuses.push((await client.get(path)).status);
        return { ok: statuses.filter((s) => s === 200).length, limited: statuses.filter((s) => s === 429).length };
      };
      expect(await count(a, 5)).toEqual({ ok: 5, limited: 0 });
      // A holds 5 reserved points; B gets the other 90 and is refused after them.
      expect(await count(b, 95)).toEqual({ ok: 90, limited: 5 });
      expect(await count(a, 6)).toEqual({ ok: 5, limited: 1 });
    } finally {
      for (const app of apps) await app.close();
    }
  });

  it('lets requests through unlimited (no headers, no error) when Redis is unreachable', async () => {
    const config = testConfig({ ...LIMITS, DATABASE_URL: stack.config.DATABASE_URL, REDIS_URL: 'redis://127.0.0.1:1' });
    const blind = await createGateway(config);
    try {
      const url = await listen(blind);
      const t = await newTenant(stack.admin);
      const client = new ApiClient(url, t.tenantKey);
      for (let i = 0; i < 7; i++) {
        const res = await client.get(jobs(t));
        expect([res.status, res.headers.get('ratelimit')]).toEqual([200, null]);
      }
    } finally {
      await blind.close();
    }
  });
});
