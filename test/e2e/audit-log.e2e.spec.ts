import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { appDatabaseUrl } from '@bg/platform';
import { MaintenanceProcessor } from '../../apps/worker/src/maintenance/maintenance.processor';
import { AuditRecorder } from '../../apps/gateway/src/audit/audit-recorder.service';
import type { ApiClient } from '../support/api-client';
import { newTenant, type TenantContext } from '../support/factories';
import { startStack, type TestStack } from '../support/stack';

/** Audit entries as the API answers them. */
interface Entry {
  id: string;
  at: string;
  actor: { kind: string; keyId: string | null; partnerId: string | null };
  tenantId: string | null;
  action: string;
  resource: { type: string | null; id: string | null };
  method: string;
  route: string | null;
  requestId: string;
  sourceAddress: string | null;
  outcome: string;
  httpStatus: number;
  errorCode: string | null;
}

describe('audit log: every write and refused write, append-only, tenant-isolated', () => {
  let stack: TestStack;
  let owner: Client;
  let app: Client;
  let a: TenantContext;
  let b: TenantContext;

  const flush = () => stack.gateway.get(AuditRecorder).flush();
  /** Every entry `client` sees at `path` (following the cursor). */
  const entries = async (client: ApiClient, path = '/v1/audit-log'): Promise<Entry[]> => {
    await flush();
    const out: Entry[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res: { status: number; body: { items: Entry[]; nextCursor: string | null } } = await client.get(
        `${path}${sep}limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      );
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
      out.push(...(res.body.items as Entry[]));
      cursor = res.body.nextCursor;
    } while (cursor);
    return out;
  };
  const byRequest = (list: Entry[], requestId: string) => list.filter((e) => e.requestId === requestId);
  const rid = (name: string) => `${name}-${randomUUID()}`;

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    owner = new Client({ connectionString: stack.config.DATABASE_URL });
    app = new Client({ connectionString: appDatabaseUrl(stack.config) });
    await owner.connect();
    await app.connect();
    a = await newTenant(stack.admin);
    b = await newTenant(stack.admin);
  });
  afterAll(async () => {
    await owner.end();
    await app.end();
    await stack.stop();
  });

  it('records a successful write with actor, action, resource, request id and source address', async () => {
    const id = rid('create-webhook');
    const res = await a.tenant.post(
      `/v1/tenants/${a.tenantId}/webhooks`,
      { url: 'http://127.0.0.1:9/hook', eventTypes: ['restore_job.*'] },
      { 'x-request-id': id, 'x-forwarded-for': '203.0.113.7' },
    );
    expect(res.status).toBe(201);
    const [entry, ...more] = byRequest(await entries(a.tenant), id);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      actor: { kind: 'tenant', keyId: expect.any(String), partnerId: a.partnerId },
      tenantId: a.tenantId,
      action: 'webhook.create',
      resource: { type: 'webhook', id: res.body.id },
      method: 'POST',
      route: '/v1/tenants/:tenantId/webhooks',
      sourceAddress: '203.0.113.7',
      outcome: 'succeeded',
      httpStatus: 201,
      errorCode: null,
    });
    expect(JSON.stringify(entry)).not.toContain(res.body.secret);
  });

  it('records a partner creating a tenant in the new tenant and the partner log, and a tenant key it mints', async () => {
    const id = rid('create-tenant');
    const created = await a.partner.post('/v1/tenants', { name: 'audited' }, { 'x-request-id': id });
    expect(created.status).toBe(201);
    const key = await a.partner.post('/v1/api-keys', { name: 'k', tenantId: created.body.id }, { 'x-request-id': `${id}-key` });
    expect(key.status).toBe(201);
    const partnerView = await entries(a.partner);
    expect(byRequest(partnerView, id)).toMatchObject([
      {
        actor: { kind: 'partner', partnerId: a.partnerId },
        tenantId: created.body.id,
        action: 'tenant.create',
        resource: { id: created.body.id },
      },
    ]);
    expect(byRequest(partnerView, `${id}-key`)).toMatchObject([
      { action: 'api_key.create', resource: { type: 'api_key', id: key.body.id } },
    ]);
    expect(JSON.stringify(partnerView)).not.toContain(key.body.key);
  });

  it('records refused writes: 400 validation, 404 (also of another tenant), 409, 401 without a valid key, with their error codes', async () => {
    const invalid = rid('invalid');
    expect((await a.tenant.post(`/v1/tenants/${a.tenantId}/restore-jobs`, { items: [] }, { 'x-request-id': invalid })).status).toBe(400);
    const missing = randomUUID();
    const notFound = rid('not-found');
    expect(
      (await a.tenant.post(`/v1/tenants/${a.tenantId}/restore-jobs/${missing}/cancel`, undefined, { 'x-request-id': notFound })).status,
    ).toBe(404);
    const otherTenant = rid('other-tenant');
    expect(
      (
        await a.tenant.post(
          `/v1/tenants/${b.tenantId}/restore-jobs`,
          { items: [{ restorePointId: randomUUID() }] },
          { 'x-request-id': otherTenant },
        )
      ).status,
    ).toBe(404);
    const off = await a.tenant.post(`/v1/tenants/${a.tenantId}/webhooks`, {
      url: 'http://127.0.0.1:9/off',
      eventTypes: ['*'],
      enabled: false,
    });
    const conflict = rid('conflict');
    expect(
      (await a.tenant.post(`/v1/tenants/${a.tenantId}/webhooks/${off.body.id}/test`, undefined, { 'x-request-id': conflict })).status,
    ).toBe(409);
    const unmatched = rid('unmatched');
    expect((await a.tenant.post('/v1/no-such-route', {}, { 'x-request-id': unmatched })).status).toBe(404);
    const malformed = rid('malformed');
    expect(
      (await a.tenant.request('POST', `/v1/tenants/${a.tenantId}/restore-jobs`, '{"items":', { 'x-request-id': malformed })).status,
    ).toBe(400);
    const anonymous = rid('anonymous');
    const badKey = rid('bad-key');
    expect((await stack.admin.withKey(undefined).post('/v1/tenants', { name: 'x' }, { 'x-request-id': anonymous })).status).toBe(401);
    expect((await stack.admin.withKey('bgk_not-a-key').delete(`/v1/api-keys/${randomUUID()}`)).status).toBe(401);
    expect((await stack.admin.withKey('bgk_not-a-key').post('/v1/tenants', {}, { 'x-request-id': badKey })).status).toBe(401);

    const aView = await entries(a.tenant);
    const keyId = byRequest(aView, invalid)[0]?.actor.keyId;
    expect(keyId).toEqual(expect.any(String));
    const refusal = { actor: { kind: 'tenant', keyId, partnerId: a.partnerId }, tenantId: a.tenantId, outcome: 'refused' };
    expect(byRequest(aView, invalid)).toMatchObject([
      { ...refusal, action: 'restore_job.create', httpStatus: 400, errorCode: 'VALIDATION_FAILED', sourceAddress: '127.0.0.1' },
    ]);
    expect(byRequest(aView, notFound)).toMatchObject([
      { ...refusal, action: 'restore_job.cancel', resource: { type: 'restore_job', id: missing }, httpStatus: 404, errorCode: 'NOT_FOUND' },
    ]);
    // A refused attempt on B stays in A's own log: B is never told that A tried.
    expect(byRequest(aView, otherTenant)).toMatchObject([
      { ...refusal, action: 'restore_job.create', httpStatus: 404, errorCode: 'NOT_FOUND' },
    ]);
    expect(byRequest(aView, conflict)).toMatchObject([
      {
        ...refusal,
        action: 'webhook.test',
        resource: { type: 'webhook', id: off.body.id },
        httpStatus: 409,
        errorCode: expect.any(String),
      },
    ]);
    expect(byRequest(aView, unmatched)).toMatchObject([
      { ...refusal, action: 'route.unmatched', route: null, resource: { type: null, id: null }, httpStatus: 404, errorCode: 'NOT_FOUND' },
    ]);
    // Refused before the auth guard ran (bad JSON): the actor is still named from the key it sent.
    expect(byRequest(aView, malformed)).toMatchObject([{ ...refusal, httpStatus: 400, errorCode: 'MALFORMED_JSON' }]);
    expect(byRequest(await entries(b.tenant), otherTenant)).toEqual([]);
    expect(byRequest(await entries(b.partner), otherTenant)).toEqual([]);

    const operatorView = await entries(stack.admin);
    for (const id of [anonymous, badKey]) {
      expect(byRequest(operatorView, id)).toMatchObject([
        {
          actor: { kind: 'anonymous', keyId: null, partnerId: null },
          tenantId: null,
          action: 'tenant.create',
          outcome: 'refused',
          httpStatus: 401,
          errorCode: 'UNAUTHENTICATED',
        },
      ]);
      expect(byRequest(await entries(a.partner), id)).toEqual([]);
    }
  });

  it("names the actor of a request refused before auth from the auth guard's key lookup (its cache), not a second query", async () => {
    const t = await newTenant(stack.admin);
    expect((await t.tenant.get(`/v1/tenants/${t.tenantId}/restore-jobs`)).status).toBe(200);
    // Revoked behind the gateway's back: only a fresh lookup of the key would miss it; the guard's cache still has it.
    const {
      rows: [key],
    } = await owner.query(`UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND revoked_at IS NULL RETURNING id`, [t.tenantId]);
    const malformed = rid('malformed-cached-key');
    expect(
      (await t.tenant.request('POST', `/v1/tenants/${t.tenantId}/restore-jobs`, '{"items":', { 'x-request-id': malformed })).status,
    ).toBe(400);
    expect(byRequest(await entries(stack.admin), malformed)).toMatchObject([
      {
        actor: { kind: 'tenant', keyId: key.id, partnerId: t.partnerId },
        tenantId: t.tenantId,
        httpStatus: 400,
        errorCode: 'MALFORMED_JSON',
      },
    ]);
  });

  it('is append-only in Postgres: the app role cannot insert, update, delete, truncate or prune; the owner cannot update or delete', async () => {
    await a.tenant.post(`/v1/tenants/${a.tenantId}/restore-jobs`, { items: [] });
    await flush();
    const { rows } = await owner.query('SELECT count(*)::int AS n FROM audit_log');
    expect(rows[0].n).toBeGreaterThan(0);
    for (const sql of [
      `UPDATE audit_log SET action = 'forged'`,
      `DELETE FROM audit_log`,
      `TRUNCATE audit_log`,
      `INSERT INTO audit_log (id, at, actor_kind, action, method, request_id, outcome, http_status) VALUES (gen_random_uuid(), now(), 'admin', 'x.y', 'POST', 'r', 'succeeded', 200)`,
      `SELECT audit_log_prune(now(), 1000)`,
    ]) {
      await expect(app.query(sql)).rejects.toThrow(/permission denied/);
    }
    await expect(owner.query(`UPDATE audit_log SET action = 'forged'`)).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(owner.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only: DELETE refused/);
    await expect(owner.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    const after = await owner.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'forged'`);
    expect(after.rows[0].n).toBe(0);
  });

  it("keeps tenants apart: A never sees B's entries, B's log is 404 for A, a partner sees its own tenants only", async () => {
    const bWrite = rid('b-write');
    expect((await b.tenant.post(`/v1/tenants/${b.tenantId}/restore-jobs`, { items: [] }, { 'x-request-id': bWrite })).status).toBe(400);
    for (const client of [a.tenant, a.partner]) {
      const seen = await entries(client);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.filter((e) => e.tenantId === b.tenantId || e.actor.partnerId === b.partnerId)).toEqual([]);
      for (const path of [`/v1/tenants/${b.tenantId}/audit-log`, `/v1/audit-log?tenantId=${b.tenantId}`]) {
        const res = await client.get(path);
        expect([path, res.status, res.body.code, res.contentType.split(';')[0]]).toEqual([
          path,
          404,
          'NOT_FOUND',
          'application/problem+json',
        ]);
      }
    }
    expect(byRequest(await entries(b.tenant, `/v1/tenants/${b.tenantId}/audit-log`), bWrite)).toHaveLength(1);
    expect(byRequest(await entries(b.partner), bWrite)).toHaveLength(1);
    expect(byRequest(await entries(b.partner, `/v1/audit-log?tenantId=${b.tenantId}`), bWrite)).toHaveLength(1);
    // A tenant key sees its tenant's entries only, not its partner's partner-level ones.
    expect((await entries(a.tenant)).every((e) => e.tenantId === a.tenantId)).toBe(true);
  });

  it('filters by action, outcome, actorKeyId, resourceId, since and until, and pages with a cursor', async () => {
    const t = await newTenant(stack.admin);
    const T = `/v1/tenants/${t.tenantId}`;
    const since = new Date().toISOString();
    const hook = await t.tenant.post(`${T}/webhooks`, { url: 'http://127.0.0.1:9/a', eventTypes: ['*'] });
    await t.tenant.patch(`${T}/webhooks/${hook.body.id}`, { description: 'changed' });
    await t.tenant.post(`${T}/restore-jobs`, { items: [] });
    await t.partner.delete(`${T}/webhooks/${hook.body.id}`);
    const all = await entries(t.tenant, `${T}/audit-log?since=${since}`);
    expect(all.map((e) => e.action)).toEqual(['webhook.delete', 'restore_job.create', 'webhook.update', 'webhook.create']);
    const ids = (q: string) => entries(t.tenant, `${T}/audit-log?since=${since}&${q}`).then((l) => l.map((e) => e.action));
    expect(await ids('action=webhook.update')).toEqual(['webhook.update']);
    expect(await ids('action=webhook.*')).toEqual(['webhook.delete', 'webhook.update', 'webhook.create']);
    expect(await ids('outcome=refused')).toEqual(['restore_job.create']);
    expect(await ids(`resourceId=${hook.body.id}`)).toEqual(['webhook.delete', 'webhook.update', 'webhook.create']);
    const partnerKeyId = all[0].actor.keyId!;
    expect(await ids(`actorKeyId=${partnerKeyId}`)).toEqual(['webhook.delete']);
    expect(await ids(`until=${all[1].at}`)).toEqual(all.filter((e) => e.at < all[1].at).map((e) => e.action));
    expect(await ids(`until=${all[0].at}`)).toContain('webhook.create');
    const first = await t.tenant.get(`${T}/audit-log?since=${since}&limit=3`);
    const second = await t.tenant.get(`${T}/audit-log?since=${since}&limit=3&cursor=${first.body.nextCursor}`);
    expect([...first.body.items, ...second.body.items].map((e: Entry) => e.id)).toEqual(all.map((e) => e.id));
    expect(second.body.nextCursor).toBeNull();
    for (const q of ['outcome=maybe', 'limit=0', 'cursor=garbage', 'action=DROP TABLE', `since=${since}&until=${since}`, 'unknown=1']) {
      const res = await t.tenant.get(`${T}/audit-log?${q}`);
      expect([q, res.status, res.body.code]).toEqual([q, 400, 'VALIDATION_FAILED']);
    }
    expect((await stack.admin.withKey(undefined).get(`${T}/audit-log`)).status).toBe(401);
  });

  it('prunes entries older than AUDIT_RETENTION_DAYS in batches and keeps the others', async () => {
    const marker = rid('old');
    await owner.query(
      `SELECT audit_log_append(jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'at', now() - interval '401 days' + n * interval '1 second',
         'actor_kind', 'tenant', 'actor_key_id', 'k', 'partner_id', $2::uuid, 'tenant_id', $3::uuid, 'action', 'restore_job.create',
         'method', 'POST', 'request_id', $1::text, 'outcome', 'succeeded', 'http_status', 202))) FROM generate_series(1, 12345) n`,
      [marker, a.partnerId, a.tenantId],
    );
    await owner.query(
      `SELECT audit_log_append(jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'at', now() - interval '399 days', 'actor_kind', 'tenant',
         'partner_id', $2::uuid, 'tenant_id', $3::uuid, 'action', 'restore_job.create', 'method', 'POST', 'request_id', $1::text || '-kept',
         'outcome', 'succeeded', 'http_status', 202)))`,
      [marker, a.partnerId, a.tenantId],
    );
    const before = await owner.query(`SELECT count(*)::int AS n FROM audit_log WHERE request_id NOT LIKE $1`, [`${marker}%`]);
    expect(await stack.worker!.get(MaintenanceProcessor).pruneAuditLog()).toBe(12345);
    const count = (sql: string, p: unknown[]) => owner.query(sql, p).then((r) => r.rows[0].n as number);
    expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE request_id = $1`, [marker])).toBe(0);
    expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE request_id = $1`, [`${marker}-kept`])).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE request_id NOT LIKE $1`, [`${marker}%`])).toBe(before.rows[0].n);
  });
});

/**
 * The operator key (ADMIN_API_KEY) manages partners and platform settings and may act inside a tenant for
 * support; every one of its requests is audited, and those inside a tenant are shown to that tenant and its partner.
 */
describe('the operator key: what it may do, what it may not, and that customers see what it did', () => {
  let stack: TestStack;
  let t: TenantContext;

  const entries = async (client: ApiClient, path: string): Promise<Entry[]> => {
    await stack.gateway.get(AuditRecorder).flush();
    const res = await client.get(`${path}${path.includes('?') ? '&' : '?'}limit=200`);
    expect(res.status).toBe(200);
    return res.body.items;
  };

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    t = await newTenant(stack.admin);
  });
  afterAll(async () => stack.stop());

  it('manages partners, their tenants and partner keys', async () => {
    const partner = await stack.admin.post('/v1/partners', { name: 'Operator-made MSP' });
    expect(partner.status).toBe(201);
    expect((await stack.admin.post('/v1/tenants', { name: 'for support', partnerId: partner.body.id })).status).toBe(201);
    const key = await stack.admin.post('/v1/api-keys', { name: 'recovery key', partnerId: partner.body.id });
    expect([key.status, key.body.role]).toEqual([201, 'partner']);
    expect((await stack.admin.delete(`/v1/api-keys/${key.body.id}`)).status).toBe(204);
    const mine = await entries(stack.admin, `/v1/audit-log?actorKeyId=admin&action=partner.create&resourceId=${partner.body.id}`);
    expect(mine).toMatchObject([
      { actor: { kind: 'admin', keyId: 'admin', partnerId: null }, tenantId: null, resource: { id: partner.body.id } },
    ]);
    // The operator's platform actions are its own: no partner sees them.
    expect((await entries(t.partner, '/v1/audit-log')).filter((e) => e.action === 'partner.create')).toEqual([]);
  });

  it('may not mint tenant keys, nor create or redirect webhook endpoints or take their secrets (403)', async () => {
    const T = `/v1/tenants/${t.tenantId}`;
    const hook = await t.tenant.post(`${T}/webhooks`, { url: 'http://127.0.0.1:9/customer', eventTypes: ['*'] });
    expect(hook.status).toBe(201);
    const refused = [
      await stack.admin.post('/v1/api-keys', { name: 'impersonate', tenantId: t.tenantId }),
      await stack.admin.post(`${T}/webhooks`, { url: 'http://127.0.0.1:9/operator', eventTypes: ['*'] }),
      await stack.admin.patch(`${T}/webhooks/${hook.body.id}`, { url: 'http://127.0.0.1:9/operator' }),
      await stack.admin.post(`${T}/webhooks/${hook.body.id}/rotate-secret`, {}),
    ];
    expect(refused.map((r) => [r.status, r.body.code, r.contentType.split(';')[0]])).toEqual(
      Array(4).fill([403, 'FORBIDDEN', 'application/problem+json']),
    );
    const stored = await t.tenant.get(`${T}/webhooks/${hook.body.id}`);
    expect(stored.body.url).toBe('http://127.0.0.1:9/customer');
    const log = await entries(t.tenant, `${T}/audit-log?actorKeyId=admin&outcome=refused`);
    expect(log.map((e) => [e.action, e.httpStatus, e.errorCode])).toEqual([
      ['webhook.rotate_secret', 403, 'FORBIDDEN'],
      ['webhook.update', 403, 'FORBIDDEN'],
      ['webhook.create', 403, 'FORBIDDEN'],
    ]);
  });

  it("acts inside a tenant for support, and the tenant and its partner see each of its writes and reads as the operator's", async () => {
    const T = `/v1/tenants/${t.tenantId}`;
    const hook = await t.tenant.post(`${T}/webhooks`, { url: 'http://127.0.0.1:9/support', eventTypes: ['*'] });
    const test = await stack.admin.post(`${T}/webhooks/${hook.body.id}/test`);
    expect(test.status).toBe(202);
    const off = await stack.admin.patch(`${T}/webhooks/${hook.body.id}`, { enabled: false });
    expect([off.status, off.body.enabled]).toEqual([200, false]);
    expect((await stack.admin.post(`${T}/restore-jobs`, { items: [] })).status).toBe(400);
    expect((await stack.admin.get(`${T}/restore-jobs`)).status).toBe(200);
    expect((await stack.admin.delete(`${T}/webhooks/${hook.body.id}`)).status).toBe(204);
    for (const [client, path] of [
      [t.tenant, `${T}/audit-log?actorKeyId=admin`],
      [t.partner, `/v1/audit-log?actorKeyId=admin&tenantId=${t.tenantId}`],
      [t.partner, '/v1/audit-log?actorKeyId=admin'],
      [stack.admin, `${T}/audit-log?actorKeyId=admin`],
    ] as const) {
      const log = (await entries(client, path)).filter((e) => e.outcome !== 'refused' || e.action === 'restore_job.create');
      const ops = log.filter((e) =>
        ['webhook.update', 'webhook.test', 'restore_job.create', 'restore_job.list', 'webhook.delete'].includes(e.action),
      );
      expect(ops.slice(0, 5).map((e) => [e.action, e.outcome, e.actor.kind, e.tenantId, e.actor.partnerId])).toEqual([
        ['webhook.delete', 'succeeded', 'admin', t.tenantId, t.partnerId],
        ['restore_job.list', 'succeeded', 'admin', t.tenantId, t.partnerId],
        ['restore_job.create', 'refused', 'admin', t.tenantId, t.partnerId],
        ['webhook.update', 'succeeded', 'admin', t.tenantId, t.partnerId],
        ['webhook.test', 'succeeded', 'admin', t.tenantId, t.partnerId],
      ]);
    }
  });
});

describe('audit log: buffered entries are written when the gateway shuts down', () => {
  it('writes what is still buffered on close (the flush interval never came)', async () => {
    const stack = await startStack({ worker: false, config: { AUDIT_FLUSH_MS: '60000' } });
    const owner = new Client({ connectionString: stack.config.DATABASE_URL });
    await owner.connect();
    try {
      const t = await newTenant(stack.admin);
      const id = `shutdown-${randomUUID()}`;
      expect((await t.tenant.post(`/v1/tenants/${t.tenantId}/restore-jobs`, { items: [] }, { 'x-request-id': id })).status).toBe(400);
      const count = async () => (await owner.query('SELECT count(*)::int AS n FROM audit_log WHERE request_id = $1', [id])).rows[0].n;
      expect(await count()).toBe(0);
      await stack.gateway.close();
      expect(await count()).toBe(1);
    } finally {
      await owner.end();
      await stack.stop();
    }
  });
});
