import { Client } from 'pg';
import { API_SCOPES } from '@bg/domain';
import { newTenant, type TenantContext } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';

/** Scoped API keys: what a key may do, who may mint which key, expiry and last use. */
describe('scoped API keys', () => {
  let stack: TestStack;
  let db: Client;
  let t: TenantContext;

  beforeAll(async () => {
    stack = await startStack({ worker: false, config: { API_KEY_LAST_USED_FLUSH_MS: '100' } });
    db = new Client({ connectionString: stack.config.DATABASE_URL });
    await db.connect();
    t = await newTenant(stack.admin);
  });
  afterAll(async () => {
    await db.end();
    await stack.stop();
  });

  const T = () => `/v1/tenants/${t.tenantId}`;
  async function mint(client = t.partner, body: Record<string, unknown> = {}) {
    return client.post('/v1/api-keys', { name: 'scoped', tenantId: t.tenantId, ...body });
  }

  it('gives a key created without scopes every scope of its creator, and shows scopes, expiresAt and lastUsedAt', async () => {
    const res = await mint();
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ role: 'tenant', tenantId: t.tenantId, scopes: [...API_SCOPES], expiresAt: null, lastUsedAt: null });
    const listed = await t.partner.get('/v1/api-keys');
    expect(listed.body.items.find((k: { id: string }) => k.id === res.body.id)).toMatchObject({ scopes: [...API_SCOPES], expiresAt: null });
    expect(JSON.stringify(listed.body)).not.toContain(res.body.key);
  });

  it('lets a read-only key read and refuses its writes with 403 INSUFFICIENT_SCOPE naming the scope', async () => {
    const key = (await mint(t.partner, { scopes: ['read'] })).body;
    expect(key.scopes).toEqual(['read']);
    const reader = stack.admin.withKey(key.key);
    expect((await reader.get(`${T()}/restore-jobs`)).status).toBe(200);
    const refusals = [
      [await reader.post(`${T()}/restore-jobs`, { items: [{ restorePointId: '00000000-0000-4000-8000-000000000000' }] }), 'restore'],
      [await reader.post(`${T()}/webhooks`, { url: 'https://example.com/hook' }), 'webhooks'],
      [await reader.post(`${T()}/connections`, { vendor: 'graph' }), 'manage'],
      [await reader.get(`${T()}/usage`), 'billing'],
      [await reader.delete(`${T()}/policies/00000000-0000-4000-8000-000000000000`), 'backup'],
    ] as const;
    for (const [res, scope] of refusals) {
      expect([res.status, res.contentType.split(';')[0], res.body.code, res.body.requiredScope]).toEqual([
        403,
        'application/problem+json',
        'INSUFFICIENT_SCOPE',
        scope,
      ]);
      expect(res.body.detail).toContain(`"${scope}"`);
      expect(res.body.type).toBe('/v1/errors/INSUFFICIENT_SCOPE');
    }
  });

  it('refuses reads to a key without `read`, and serves INSUFFICIENT_SCOPE and SCOPE_ESCALATION in the error catalog', async () => {
    const restorer = stack.admin.withKey((await mint(t.partner, { scopes: ['restore'] })).body.key);
    const res = await restorer.get(`${T()}/restore-jobs`);
    expect([res.status, res.body.code, res.body.requiredScope]).toEqual([403, 'INSUFFICIENT_SCOPE', 'read']);
    for (const code of ['INSUFFICIENT_SCOPE', 'SCOPE_ESCALATION']) {
      const c = await stack.admin.withKey(undefined).get(`/v1/errors/${code}`);
      expect([c.status, c.body.status]).toEqual([200, 403]);
    }
  });

  it('lets a partner key mint narrower keys for itself and its tenants, never wider ones', async () => {
    const narrow = (await t.partner.post('/v1/api-keys', { name: 'ops', scopes: ['read', 'manage'] })).body;
    expect(narrow).toMatchObject({ role: 'partner', scopes: ['read', 'manage'] });
    const ops = stack.admin.withKey(narrow.key);
    expect((await mint(ops, { scopes: ['read'] })).status).toBe(201);
    const wider = await mint(ops, { scopes: ['read', 'restore'] });
    expect([wider.status, wider.contentType.split(';')[0], wider.body.code, wider.body.scopes]).toEqual([
      403,
      'application/problem+json',
      'SCOPE_ESCALATION',
      ['restore'],
    ]);
    // Left out, the scopes are the creator's: never more than it has.
    expect((await mint(ops)).body.scopes).toEqual(['read', 'manage']);
    const noManage = stack.admin.withKey((await t.partner.post('/v1/api-keys', { name: 'ro', scopes: ['read'] })).body.key);
    const refused = await mint(noManage, { scopes: ['read'] });
    expect([refused.status, refused.body.code, refused.body.requiredScope]).toEqual([403, 'INSUFFICIENT_SCOPE', 'manage']);
  });

  it('never lets a minted key outlive the key minting it', async () => {
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const shortLived = (await t.partner.post('/v1/api-keys', { name: 'temp', expiresAt: until })).body;
    expect(shortLived.expiresAt).toBe(until);
    const temp = stack.admin.withKey(shortLived.key);
    const inherited = await mint(temp);
    expect([inherited.status, inherited.body.expiresAt]).toEqual([201, until]);
    const later = await mint(temp, { expiresAt: new Date(Date.now() + 7_200_000).toISOString() });
    expect([later.status, later.body.code]).toEqual([403, 'SCOPE_ESCALATION']);
    const never = await mint(temp, { expiresAt: null });
    expect([never.status, never.body.code]).toEqual([403, 'SCOPE_ESCALATION']);
    const past = await mint(t.partner, { expiresAt: new Date(Date.now() - 60_000).toISOString() });
    expect([past.status, past.body.code, past.body.errors[0].path]).toEqual([400, 'VALIDATION_FAILED', 'expiresAt']);
  });

  it('lets a tenant key with `manage` mint keys for its own tenant only, within its scopes', async () => {
    const manager = stack.admin.withKey((await mint(t.partner, { scopes: ['read', 'manage'] })).body.key);
    const own = await manager.post('/v1/api-keys', { name: 'mine', scopes: ['read'] });
    expect([own.status, own.body.role, own.body.tenantId, own.body.scopes]).toEqual([201, 'tenant', t.tenantId, ['read']]);
    const wider = await manager.post('/v1/api-keys', { name: 'wide', scopes: ['restore'] });
    expect([wider.status, wider.body.code]).toEqual([403, 'SCOPE_ESCALATION']);
    const other = await newTenant(stack.admin);
    const elsewhere = await manager.post('/v1/api-keys', { name: 'x', tenantId: other.tenantId, scopes: ['read'] });
    expect([elsewhere.status, elsewhere.body.code]).toEqual([404, 'NOT_FOUND']);
    const partnerKey = await manager.post('/v1/api-keys', { name: 'x', partnerId: t.partnerId, scopes: ['read'] });
    expect([partnerKey.status, partnerKey.body.code]).toEqual([403, 'FORBIDDEN']);
    const listed = (await manager.get('/v1/api-keys')).body.items as Array<{ tenantId: string }>;
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((k) => k.tenantId === t.tenantId)).toBe(true);
    // A key of another tenant is not found, exactly like a missing one.
    const otherKeyId = (await other.partner.get('/v1/api-keys')).body.items[0].id;
    expect((await manager.delete(`/v1/api-keys/${otherKeyId}`)).status).toBe(404);
    expect((await manager.delete(`/v1/api-keys/${own.body.id}`)).status).toBe(204);
    expect((await stack.admin.withKey(own.body.key).get(`${T()}`)).status).toBe(401);
  });

  it('answers 401 UNAUTHENTICATED saying "expired" for an expired key', async () => {
    const key = (await mint(t.partner, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() })).body;
    await db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [key.id]);
    const res = await stack.admin.withKey(key.key).get(T());
    expect([res.status, res.contentType.split(';')[0], res.body.code]).toEqual([401, 'application/problem+json', 'UNAUTHENTICATED']);
    expect(res.body.detail).toMatch(/expired/);
  });

  it('records lastUsedAt after use, written at most once a minute however often the key is used', async () => {
    const key = (await mint(t.partner, { scopes: ['read'] })).body;
    const client = stack.admin.withKey(key.key);
    for (let i = 0; i < 20; i++) expect((await client.get(T())).status).toBe(200);
    const used = await eventually(
      async () => (await t.partner.get('/v1/api-keys')).body.items.find((k: { id: string }) => k.id === key.id),
      (k) => k.lastUsedAt !== null,
    );
    expect(Date.parse(used.lastUsedAt)).toBeGreaterThan(Date.parse(used.createdAt) - 1000);
    // The write is conditional: a key marked within the last minute is not written again.
    const again = await db.query(
      `UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') RETURNING id`,
      [key.id],
    );
    expect(again.rowCount).toBe(0);
  });

  it('gives the operator key every scope (it mints partner keys of any scope, never tenant keys)', async () => {
    const res = await stack.admin.post('/v1/api-keys', { name: 'by operator', partnerId: t.partnerId, scopes: ['billing'] });
    expect([res.status, res.body.scopes]).toEqual([201, ['billing']]);
    expect((await stack.admin.get(`${T()}/usage`)).status).toBe(200);
    const tenantKey = await stack.admin.post('/v1/api-keys', { name: 'by operator', tenantId: t.tenantId, scopes: ['billing'] });
    expect([tenantKey.status, tenantKey.body.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('declares the required scope of every authenticated operation in the OpenAPI document', async () => {
    const doc = (await stack.admin.get('/openapi.json')).body as {
      paths: Record<string, Record<string, { security?: unknown[]; 'x-required-scope'?: string }>>;
    };
    const ops = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([verb, op]) => ({ path, verb, op })));
    const missing = ops.filter((o) => o.op.security?.length && !API_SCOPES.includes(o.op['x-required-scope'] as never));
    expect(ops.filter((o) => o.op.security?.length).length).toBeGreaterThan(60);
    expect(missing.map((o) => `${o.verb} ${o.path}`)).toEqual([]);
  });
});
