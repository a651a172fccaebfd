import { createOwnerDataSource } from '@bg/platform';
import { eventually, startStack, type TestStack } from '../support/stack';
import { newTenant, type TenantContext } from '../support/factories';
import { graphFixture, veeamFixture, type VendorE2eFixture } from '../support/vendor-fixtures';

/** PATCH .../connections/{id}: credentials replaced, sealed again, verified again; never returned. */
describe('connection credentials replacement (PATCH)', () => {
  let stack: TestStack;
  let t: TenantContext;
  let other: TenantContext;

  beforeAll(async () => {
    stack = await startStack();
    t = await newTenant(stack.admin);
    other = await newTenant(stack.admin);
  });
  afterAll(async () => stack.stop());

  const base = () => `/v1/tenants/${t.tenantId}/connections`;
  const health = (id: string, until: (h: string) => boolean) =>
    eventually(
      () => t.tenant.get(`${base()}/${id}`),
      (r) => until(r.body.health),
    );

  /** The connection's bad-secret variant, the secret field's name and the good secret. */
  const cases: Array<[string, (origin: string) => VendorE2eFixture, string]> = [
    ['graph', graphFixture, 'clientSecret'],
    ['veeam', veeamFixture, 'password'],
  ];

  it.each(cases)('%s: a bad secret replaced by a good one turns the connection healthy, with its events', async (_, make, field) => {
    const fx = make(stack.sandbox.origin);
    const good = fx.connection.credentials as Record<string, string>;
    const bad = { ...good, [field]: 'bad-secret-but-long-enough-0123' };
    const created = await t.tenant.post(base(), { ...fx.connection, credentials: bad });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await t.tenant.post(`${base()}/${id}/verify`)).status).toBe(202);
    expect((await health(id, (h) => h !== 'unknown')).body.health).toBe('unhealthy');

    const patched = await t.tenant.patch(`${base()}/${id}`, { credentials: good, displayName: 'fixed' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id, displayName: 'fixed', health: 'unknown', healthDetail: 'verification queued' });
    expect(JSON.stringify(patched.body)).not.toContain(fx.secret);
    expect(JSON.stringify(patched.body)).not.toContain('bad-secret-but-long-enough');

    const healthy = await health(id, (h) => h === 'healthy');
    expect(healthy.body).toMatchObject({ health: 'healthy', lastVerifiedAt: expect.any(String) });
    expect(JSON.stringify(healthy.body)).not.toContain(fx.secret);

    const events = await t.tenant.get(`/v1/tenants/${t.tenantId}/events?resourceId=${id}&types=connection.*`);
    expect((events.body.items as Array<{ type: string }>).map((e) => e.type)).toEqual([
      'connection.created',
      'connection.unhealthy',
      'connection.healthy',
    ]);
    expect(JSON.stringify(events.body)).not.toContain(fx.secret);

    // Stored sealed: the row holds no secret in clear, and the credentials version moved on.
    const owner = createOwnerDataSource(stack.config, 1);
    await owner.initialize();
    try {
      const [row] = await owner.query(
        `SELECT credentials_version, secret_key_id, encode(secret_ciphertext, 'escape') AS ct, public_credentials::text AS pub FROM connections WHERE id = $1`,
        [id],
      );
      expect(row.credentials_version).toBe(2);
      expect(row.secret_key_id).toBe(stack.config.MASTER_KEY_ID);
      expect(row.ct).not.toContain(fx.secret);
      expect(row.pub).not.toContain(fx.secret);
    } finally {
      await owner.destroy();
    }
  });

  it('refuses a bad body with 400 problem+json and leaves the connection as it was', async () => {
    const fx = graphFixture(stack.sandbox.origin);
    const created = await t.tenant.post(base(), fx.connection);
    const id = created.body.id as string;
    for (const body of [
      {},
      { credentials: { tenantId: 'x' } },
      { credentials: { ...(fx.connection.credentials as object), notAField: 'x' } },
      { endpoint: 'http://insecure.example' },
      { vendor: 'veeam' },
    ]) {
      const res = await t.tenant.patch(`${base()}/${id}`, body);
      expect(res.status).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    const after = await t.tenant.get(`${base()}/${id}`);
    expect(after.body).toMatchObject({ displayName: created.body.displayName, health: 'unknown', updatedAt: created.body.updatedAt });
  });

  it("answers 404 for another tenant's connection (and does not change it)", async () => {
    const fx = graphFixture(stack.sandbox.origin);
    const theirs = await other.tenant.post(`/v1/tenants/${other.tenantId}/connections`, fx.connection);
    const id = theirs.body.id as string;
    const viaMine = await t.tenant.patch(`${base()}/${id}`, { displayName: 'hijacked' });
    expect(viaMine.status).toBe(404);
    expect(viaMine.body.code).toBe('NOT_FOUND');
    const viaTheirPath = await t.tenant.patch(`/v1/tenants/${other.tenantId}/connections/${id}`, { displayName: 'hijacked' });
    expect(viaTheirPath.status).toBe(404);
    const unauth = await t.tenant.withKey(undefined).patch(`/v1/tenants/${other.tenantId}/connections/${id}`, { displayName: 'x' });
    expect(unauth.status).toBe(401);
    expect((await other.tenant.get(`/v1/tenants/${other.tenantId}/connections/${id}`)).body.displayName).toBe(fx.connection.displayName);
  });
});
