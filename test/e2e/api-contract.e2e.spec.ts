import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { newTenant, type TenantContext } from '../support/factories';
import { graphFixture } from '../support/vendor-fixtures';
import { startStack, type TestStack } from '../support/stack';

const PROBLEM = 'application/problem+json';

describe('API v1 contract: auth, bad input, idempotency', () => {
  let stack: TestStack;
  let t: TenantContext;
  let db: Client;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    t = await newTenant(stack.admin);
    db = new Client({ connectionString: stack.config.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await stack.stop();
  });

  const count = async (table: string, tenantId: string) =>
    Number((await db.query(`SELECT count(*) FROM ${table} WHERE tenant_id = $1`, [tenantId])).rows[0].count);

  it('answers health and serves the OpenAPI document', async () => {
    expect((await stack.admin.withKey(undefined).get('/health/live')).status).toBe(200);
    const ready = await stack.admin.withKey(undefined).get('/health/ready');
    expect(ready.body).toEqual({ status: 'ok', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
    const doc = await stack.admin.withKey(undefined).get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/tenants/{tenantId}/restore-jobs',
        '/v1/tenants/{tenantId}/restore-jobs/{jobId}/events',
        '/v1/vendors',
        '/v1/errors',
      ]),
    );
  });

  it('documents the protection-health surface: backup runs, on-demand backup, the partner summary, ?state and the new events', async () => {
    const served = (await stack.admin.withKey(undefined).get('/openapi.json')).body;
    // Named schemas are $refs into components.schemas; resolve them to read the shapes.
    const resolve = (node: any): any => {
      if (Array.isArray(node)) return node.map(resolve);
      if (!node || typeof node !== 'object') return node;
      if (typeof node.$ref === 'string')
        return resolve(
          node.$ref
            .split('/')
            .slice(1)
            .reduce((o: any, k: string) => o[k], served),
        );
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v)]));
    };
    const doc = resolve(served);
    const params = (path: string, method = 'get') => (doc.paths[path][method].parameters ?? []).map((p: { name: string }) => p.name);
    expect(params('/v1/tenants/{tenantId}/backup-runs')).toEqual(
      expect.arrayContaining(['cursor', 'limit', 'policyId', 'protectedItemId', 'status', 'from', 'to']),
    );
    const status = doc.paths['/v1/tenants/{tenantId}/backup-runs'].get.parameters.find((p: { name: string }) => p.name === 'status');
    expect(status.schema.enum).toEqual(['queued', 'running', 'succeeded', 'warning', 'failed']);
    const page = doc.paths['/v1/tenants/{tenantId}/backup-runs'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(page.properties.items.items.properties)).toEqual(
      expect.arrayContaining(['status', 'vendorStatus', 'startedAt', 'endedAt', 'bytesProcessed', 'error', 'vendorRef']),
    );
    for (const path of ['/v1/tenants/{tenantId}/protected-items/{itemId}/backup', '/v1/tenants/{tenantId}/policies/{policyId}/backup']) {
      const op = doc.paths[path].post;
      expect(op.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
      expect(op.responses['202'].headers.Location).toBeDefined();
      expect(op.responses['202'].content['application/json'].schema.properties.alreadyRunning).toBeDefined();
    }
    const summary = doc.paths['/v1/protection-summary'].get;
    expect(summary.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['cursor', 'limit', 'partnerId']));
    const line = summary.responses['200'].content['application/json'].schema.properties.items.items;
    expect(Object.keys(line.properties.counts.properties)).toEqual(['healthy', 'atRisk', 'failed', 'unprotected', 'unknown']);
    const item = doc.paths['/v1/tenants/{tenantId}/protected-items/{itemId}'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(item.properties.protection.properties)).toEqual(
      expect.arrayContaining(['state', 'since', 'reason', 'lastSuccessfulBackupAt', 'lastRunStatus', 'latestRestorePointAt']),
    );
    const state = doc.paths['/v1/tenants/{tenantId}/protected-items'].get.parameters.find((p: { name: string }) => p.name === 'state');
    expect(state.schema.enum).toEqual(['healthy', 'atRisk', 'failed', 'unprotected', 'unknown']);
  });

  it.each([
    ['no header', undefined],
    ['an unknown key', 'bgk_notARealKeyAtAll000000000000'],
    ['garbage', 'x'],
  ])('rejects %s with 401 UNAUTHENTICATED problem+json', async (_label, key) => {
    const res = await stack.admin.withKey(key).get(`/v1/tenants/${t.tenantId}/restore-jobs`);
    expect(res.status).toBe(401);
    expect(res.contentType).toContain(PROBLEM);
    expect(res.body).toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
      type: '/v1/errors/UNAUTHENTICATED',
      instance: expect.any(String),
    });
  });

  it('refuses partner management to partner and tenant keys', async () => {
    for (const client of [t.partner, t.tenant]) {
      const res = await client.post('/v1/partners', { name: 'nope' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
  });

  describe('bad input leaves stored data unchanged', () => {
    let connectionsBefore: number;
    beforeAll(async () => {
      const conn = { body: graphFixture(stack.sandbox.origin).connection };
      expect((await t.tenant.post(`/v1/tenants/${t.tenantId}/connections`, conn.body)).status).toBe(201);
      connectionsBefore = await count('connections', t.tenantId);
    });
    afterEach(async () => {
      expect(await count('connections', t.tenantId)).toBe(connectionsBefore);
      expect(await count('policies', t.tenantId)).toBe(0);
      expect(await count('restore_jobs', t.tenantId)).toBe(0);
    });

    it('malformed JSON -> 400 MALFORMED_JSON', async () => {
      const res = await t.tenant.request('POST', `/v1/tenants/${t.tenantId}/connections`, '{"vendor": "graph",', {
        'content-type': 'application/json',
      });
      expect(res.status).toBe(400);
      expect(res.contentType).toContain(PROBLEM);
      expect(res.body.code).toBe('MALFORMED_JSON');
    });

    it('unknown fields -> 400 VALIDATION_FAILED naming the field', async () => {
      const res = await t.tenant.post(`/v1/tenants/${t.tenantId}/policies`, {
        connectionId: randomUUID(),
        workload: 'sharepoint',
        displayName: 'x',
        colour: 'red',
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [expect.objectContaining({ message: expect.stringContaining('colour') })],
      });
    });

    it('wrong types -> 400 VALIDATION_FAILED with each path', async () => {
      const res = await t.tenant.post(`/v1/tenants/${t.tenantId}/restore-jobs`, { items: [{ restorePointId: 42 }], destination: 'moon' });
      expect(res.status).toBe(400);
      const paths = res.body.errors.map((e: { path: string }) => e.path);
      expect(paths).toEqual(expect.arrayContaining(['items.0.restorePointId', 'destination']));
    });

    it('unknown credential fields and missing required ones -> 400', async () => {
      const conn = { body: graphFixture(stack.sandbox.origin).connection };
      const res = await t.tenant.post(`/v1/tenants/${t.tenantId}/connections`, {
        ...conn.body,
        credentials: { tenantId: 'x', password: 'y' },
      });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(
        expect.arrayContaining(['credentials.password', 'credentials.clientSecret']),
      );
    });

    it('a plain-http endpoint is refused', async () => {
      const conn = { body: graphFixture(stack.sandbox.origin).connection };
      const res = await t.tenant.post(`/v1/tenants/${t.tenantId}/connections`, { ...conn.body, endpoint: 'http://example.com' });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toBe('endpoint');
    });

    it('a NUL character in any string field -> 400 VALIDATION_FAILED naming the field, nothing stored', async () => {
      const conn = graphFixture(stack.sandbox.origin).connection as Record<string, any>;
      for (const [path, body, where] of [
        ['/v1/tenants', { name: 'a\u0000b' }, 'name'],
        [`/v1/tenants/${t.tenantId}/connections`, { ...conn, displayName: 'x\u0000' }, 'displayName'],
        [
          `/v1/tenants/${t.tenantId}/connections`,
          { ...conn, credentials: { ...conn.credentials, clientId: '\u0000' } },
          'credentials.clientId',
        ],
        [`/v1/tenants/${t.tenantId}/webhooks`, { url: 'https://hooks.example.com/\u0000', eventTypes: ['*'] }, 'url'],
      ] as const) {
        const res = await (path === '/v1/tenants' ? t.partner : t.tenant).post(path, body);
        expect([path, res.status, res.body.code, res.body.errors?.[0]?.path]).toEqual([path, 400, 'VALIDATION_FAILED', where]);
        expect(res.contentType).toContain(PROBLEM);
      }
      const names = (await t.partner.get('/v1/tenants?limit=200')).body.items.map((x: { name: string }) => x.name);
      expect(names.some((n: string) => n.includes('\u0000'))).toBe(false);
    });

    it.each([['a%00b'], ['%C3%A9t%C3%A9'], ['not-a-uuid']])('verify of connection id %s -> 404 problem+json, no Location', async (id) => {
      const res = await t.tenant.post(`/v1/tenants/${t.tenantId}/connections/${id}/verify`);
      expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
      expect(res.contentType).toContain(PROBLEM);
      expect(res.headers.get('location')).toBeNull();
    });

    it('oversized bodies -> 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await t.tenant.post(`/v1/tenants/${t.tenantId}/connections`, { displayName: 'x'.repeat(2 * 1024 * 1024) });
      expect(res.status).toBe(413);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('a non-JSON body -> 415', async () => {
      const res = await t.tenant.request('POST', `/v1/tenants/${t.tenantId}/connections`, 'vendor=graph', { 'content-type': 'text/plain' });
      expect(res.status).toBe(415);
      expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('unknown ids -> 404 NOT_FOUND', async () => {
      for (const path of [
        `/restore-jobs/${randomUUID()}`,
        '/restore-jobs/not-a-uuid',
        `/policies/${randomUUID()}`,
        `/connections/${randomUUID()}`,
        `/restore-points/${randomUUID()}`,
        `/protected-items/${randomUUID()}`,
      ]) {
        const res = await t.tenant.get(`/v1/tenants/${t.tenantId}${path}`);
        expect([path, res.status, res.body.code]).toEqual([path, 404, 'NOT_FOUND']);
      }
      const job = await t.tenant.post(`/v1/tenants/${t.tenantId}/restore-jobs`, { items: [{ restorePointId: randomUUID() }] });
      expect(job.status).toBe(404);
      const policy = await t.tenant.post(`/v1/tenants/${t.tenantId}/policies`, {
        connectionId: randomUUID(),
        workload: 'sharepoint',
        displayName: 'x',
      });
      expect(policy.status).toBe(404);
    });

    it('an invalid cursor -> 400', async () => {
      const res = await t.tenant.get(`/v1/tenants/${t.tenantId}/restore-jobs?cursor=%%%`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });

    it('an unsupported workload for the vendor -> 422 UNSUPPORTED_BY_VENDOR naming vendor and operation', async () => {
      const [{ id }] = (await db.query('SELECT id FROM connections WHERE tenant_id = $1 LIMIT 1', [t.tenantId])).rows;
      const res = await t.tenant.post(`/v1/tenants/${t.tenantId}/policies`, {
        connectionId: id,
        workload: 'azureBlob',
        displayName: 'blobs',
      });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code: 'UNSUPPORTED_BY_VENDOR', vendor: 'graph' });
    });
  });

  it('refuses a second active policy for the same workload with 409 CONFLICT naming the active one (Graph: one per service)', async () => {
    const t2 = await newTenant(stack.admin);
    const conn = await t2.tenant.post(`/v1/tenants/${t2.tenantId}/connections`, graphFixture(stack.sandbox.origin).connection);
    const first = await t2.tenant.post(`/v1/tenants/${t2.tenantId}/policies`, {
      connectionId: conn.body.id,
      workload: 'sharepoint',
      displayName: 'first',
    });
    expect(first.status).toBe(202);
    const second = await t2.tenant.post(`/v1/tenants/${t2.tenantId}/policies`, {
      connectionId: conn.body.id,
      workload: 'sharepoint',
      displayName: 'second',
    });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'CONFLICT', activePolicyId: first.body.id, vendor: 'graph' });
    const inactive = await t2.tenant.post(`/v1/tenants/${t2.tenantId}/policies`, {
      connectionId: conn.body.id,
      workload: 'sharepoint',
      displayName: 'inactive',
      active: false,
    });
    expect(inactive.status).toBe(202);
    expect((await t2.tenant.post(`/v1/tenants/${t2.tenantId}/policies/${inactive.body.id}/activate`)).status).toBe(409);
    expect(
      (
        await t2.tenant.post(`/v1/tenants/${t2.tenantId}/policies`, {
          connectionId: conn.body.id,
          workload: 'onedrive',
          displayName: 'drives',
        })
      ).status,
    ).toBe(202);
  });

  describe('Idempotency-Key', () => {
    it('replays the first answer for the same key and body, and stores one row', async () => {
      const key = randomUUID();
      const body = { name: `Idem ${key}` };
      const first = await t.partner.post('/v1/tenants', body, { 'idempotency-key': key });
      const second = await t.partner.post('/v1/tenants', body, { 'idempotency-key': key });
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('location')).toBe(first.headers.get('location'));
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      const { rows } = await db.query('SELECT count(*)::int AS n FROM tenants WHERE name = $1', [body.name]);
      expect(rows[0].n).toBe(1);
    });

    it('replays an answer holding a secret (a new API key) without storing the secret in clear', async () => {
      const key = randomUUID();
      const body = { name: `idem key ${key}`, tenantId: t.tenantId };
      const first = await t.partner.post('/v1/api-keys', body, { 'idempotency-key': key });
      const second = await t.partner.post('/v1/api-keys', body, { 'idempotency-key': key });
      expect(first.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      const { rows } = await db.query('SELECT response_body::text AS body FROM idempotency_keys WHERE key = $1', [key]);
      expect(rows).toHaveLength(1);
      expect(rows[0].body).not.toContain(first.body.key);
      expect(JSON.parse(rows[0].body)).toEqual({
        $sealed: expect.objectContaining({ ciphertext: expect.any(String), keyId: expect.any(String) }),
      });
    });

    it('answers 422 for the same key with another body', async () => {
      const key = randomUUID();
      await t.partner.post('/v1/tenants', { name: 'A' }, { 'idempotency-key': key });
      const res = await t.partner.post('/v1/tenants', { name: 'B' }, { 'idempotency-key': key });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    });

    it('answers 409 while the first request with the key is in flight', async () => {
      const key = randomUUID();
      const [[{ id: keyId }]] = [
        (await db.query('SELECT id FROM api_keys WHERE partner_id = $1 AND role = $2 LIMIT 1', [t.partnerId, 'partner'])).rows,
      ];
      const body = { name: 'in flight' };
      const first = t.partner.post('/v1/tenants', body, { 'idempotency-key': key });
      await first;
      // Put the key back in flight as a concurrent request would hold it, then retry.
      await db.query(`UPDATE idempotency_keys SET state = 'in_flight' WHERE principal = $1 AND key = $2`, [keyId, key]);
      const res = await t.partner.post('/v1/tenants', body, { 'idempotency-key': key });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('IDEMPOTENCY_IN_FLIGHT');
    });
  });

  it('serves the vendor catalogue and the error catalogue', async () => {
    const vendors = await stack.admin.withKey(undefined).get('/v1/vendors');
    expect(vendors.status).toBe(200);
    const graph = vendors.body.items.find((v: { vendor: string }) => v.vendor === 'graph');
    expect(graph).toMatchObject({
      workloads: expect.arrayContaining(['sharepoint']),
      limits: expect.objectContaining({ restoreItemsPerJob: 50 }),
    });
    expect(graph.credentialFields.find((f: { name: string }) => f.name === 'clientSecret')).toMatchObject({ secret: true });
    const errors = await stack.admin.withKey(undefined).get('/v1/errors');
    expect(errors.body.catalog).toEqual(
      expect.arrayContaining([expect.objectContaining({ vendor: 'graph', vendorCode: 'TooManyActiveRestoreSessions', httpStatus: 500 })]),
    );
  });
});
