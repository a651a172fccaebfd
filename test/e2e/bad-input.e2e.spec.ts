import { request as httpRequest } from 'node:http';
import { Client } from 'pg';
import { ERROR_CODE_LIST } from '@bg/domain';
import { newTenant, type TenantContext } from '../support/factories';
import { startStack, type TestStack } from '../support/stack';

const PROBLEM = 'application/problem+json';

/** A raw HTTP/1.1 request (fetch would normalize the path or refuse the header). */
function raw(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: any }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET', headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: JSON.parse(text) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('bad input from the outside: every refusal is problem+json with a catalog code', () => {
  let stack: TestStack;
  let t: TenantContext;
  const logs: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ worker: false, logs, config: { LOG_LEVEL: 'info' } });
    t = await newTenant(stack.admin);
  });
  afterAll(async () => {
    await stack.stop();
  });

  const expectProblem = (res: { status: number; type: string; body: any }, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.type).toContain(PROBLEM);
    expect(res.body).toMatchObject({ status, code, type: `/v1/errors/${code}` });
    expect(ERROR_CODE_LIST).toContain(res.body.code);
  };

  it('a malformed percent-encoding in the path -> 400 INVALID_REQUEST', async () => {
    expectProblem(await raw(stack.baseUrl, '/v1/partners/%zz', { authorization: `Bearer ${t.partnerKey}` }), 400, 'INVALID_REQUEST');
  });

  it('a 10,000-character id -> 414 URI_TOO_LONG', async () => {
    const res = await raw(stack.baseUrl, `/v1/partners/${'a'.repeat(10_000)}`, { authorization: `Bearer ${t.partnerKey}` });
    expectProblem(res, 414, 'URI_TOO_LONG');
  });

  it('a 20 KB Authorization header -> 431 HEADERS_TOO_LARGE', async () => {
    const res = await raw(stack.baseUrl, '/v1/partners', { authorization: `Bearer ${'x'.repeat(20_000)}` });
    expectProblem(res, 431, 'HEADERS_TOO_LARGE');
  });

  it('an unsupported media type, a body over the limit and an unknown route -> 415, 413, 404 problem+json', async () => {
    const post = (body: string, type: string) =>
      t.tenant.request('POST', `/v1/tenants/${t.tenantId}/restore-jobs`, body, { 'content-type': type });
    const asRes = (r: { status: number; contentType: string; body: unknown }) => ({ status: r.status, type: r.contentType, body: r.body });
    expectProblem(asRes(await post('items=1', 'application/x-www-form-urlencoded')), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectProblem(asRes(await post('items', 'text/plain')), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectProblem(
      asRes(await post(JSON.stringify({ x: 'y'.repeat(stack.config.BODY_LIMIT_BYTES) }), 'application/json')),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expectProblem(asRes(await t.tenant.get('/v1/no-such-thing')), 404, 'NOT_FOUND');
  });

  describe('lists validate their query like every other list', () => {
    const lists = () =>
      [
        ['/v1/api-keys', t.partner],
        ['/v1/partners', stack.admin],
        ['/v1/partners', t.partner],
      ] as const;

    it.each([['limit=-1'], ['limit=abc'], ['limit=0'], ['limit=201'], ['cursor=garbage'], ['unknown=1']])(
      '%s -> 400 VALIDATION_FAILED',
      async (query) => {
        for (const [path, client] of lists()) {
          const res = await client.get(`${path}?${query}`);
          expect({ path, status: res.status, type: res.contentType, code: res.body.code }).toEqual({
            path,
            status: 400,
            type: expect.stringContaining(PROBLEM),
            code: 'VALIDATION_FAILED',
          });
        }
      },
    );

    it('pages api keys and partners with limit and cursor', async () => {
      const more = await newTenant(stack.admin);
      for (let i = 0; i < 2; i++) expect((await more.partner.post('/v1/api-keys', { name: `k${i}` })).status).toBe(201);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = (await more.partner.get(`/v1/api-keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body;
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((k: { id: string }) => k.id));
        cursor = page.nextCursor;
      } while (cursor);
      // The initial partner key, the tenant key and the two made here.
      expect(seen).toHaveLength(4);
      expect(new Set(seen).size).toBe(4);
      const first = (await stack.admin.get('/v1/partners?limit=1')).body;
      expect(first.items).toHaveLength(1);
      const second = (await stack.admin.get(`/v1/partners?limit=1&cursor=${first.nextCursor}`)).body;
      expect(second.items[0].id > first.items[0].id).toBe(true);
      const own = (await more.partner.get('/v1/partners')).body;
      expect(own).toEqual({ items: [expect.objectContaining({ id: more.partnerId })], nextCursor: null });
    });

    it("validates a restore job's history query and restore points' time range", async () => {
      const T = `/v1/tenants/${t.tenantId}`;
      const job = '01900000-0000-7000-8000-000000000000';
      for (const query of ['limit=-1', 'limit=abc', 'cursor=garbage', 'unknown=1']) {
        const res = await t.tenant.get(`${T}/restore-jobs/${job}/events?${query}`);
        expect({ query, status: res.status, code: res.body.code }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED' });
      }
      expect((await t.tenant.get(`${T}/restore-jobs/${job}/events?limit=5`)).body.code).toBe('NOT_FOUND');
      const range = await t.tenant.get(`${T}/restore-points?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z`);
      expect(range.status).toBe(400);
      expect(range.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'to', message: 'must not be before from' }] });
      expect((await t.tenant.get(`${T}/restore-points?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z`)).status).toBe(200);
      const runs = await t.tenant.get(`${T}/backup-runs?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z`);
      expect(runs.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'to' }] });
    });
  });

  describe('rotate-secret takes no body or an object', () => {
    let db: Client;
    beforeAll(async () => {
      db = new Client({ connectionString: stack.config.DATABASE_URL });
      await db.connect();
    });
    afterAll(async () => {
      await db.end();
    });
    const secretOf = async (id: string) =>
      (await db.query('SELECT secret_ciphertext FROM webhook_endpoints WHERE id = $1', [id])).rows[0].secret_ciphertext;

    it('refuses the JSON body null with 400 and leaves the secret; no body or {} rotates', async () => {
      const hook = await t.tenant.post(`/v1/tenants/${t.tenantId}/webhooks`, { url: 'https://hooks.example.com/x', eventTypes: ['*'] });
      expect(hook.status).toBe(201);
      const W = `/v1/tenants/${t.tenantId}/webhooks/${hook.body.id}`;
      const before = await secretOf(hook.body.id);
      for (const body of ['null', '[]', '"x"', '1']) {
        const res = await t.tenant.request('POST', `${W}/rotate-secret`, body, { 'content-type': 'application/json' });
        expect({ body, status: res.status, type: res.contentType }).toEqual({ body, status: 400, type: expect.stringContaining(PROBLEM) });
        expect(res.body.code).toMatch(/^(VALIDATION_FAILED|UNSUPPORTED_MEDIA_TYPE)$/);
      }
      expect(await secretOf(hook.body.id)).toEqual(before);
      expect((await t.tenant.post(`${W}/rotate-secret`)).status).toBe(200);
      expect((await t.tenant.post(`${W}/rotate-secret`, { overlapSeconds: 0 })).status).toBe(200);
      const doc = (await stack.admin.withKey(undefined).get('/openapi.json')).body;
      const op = doc.paths['/v1/tenants/{tenantId}/webhooks/{webhookId}/rotate-secret'].post;
      expect(op.requestBody.required).toBe(false);
      expect(op.requestBody.content['application/json'].schema.type).toBe('object');
    });
  });

  it('never logs a credential sent in the query string', async () => {
    const secret = 'bgk_queryStringSecretValue0000000000';
    for (const name of ['apiKey', 'api_key', 'key', 'token', 'access_token', 'secret', 'password'])
      expect((await stack.admin.withKey(undefined).get(`/v1/tenants?${name}=${secret}&limit=5`)).status).toBe(401);
    expect((await stack.admin.withKey(undefined).get(`/v1/tenants?apiKey=${secret}&limit=5`)).status).toBe(401);
    const lines = logs.filter((l) => l.includes('/v1/tenants?'));
    expect(lines.length).toBeGreaterThanOrEqual(8);
    for (const line of lines) expect(line).not.toContain(secret);
    expect(lines.join('\n')).toContain('apiKey=[redacted]&limit=5');
  });
});
