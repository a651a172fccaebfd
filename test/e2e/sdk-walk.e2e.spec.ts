import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { idempotent, ProblemError, unwrap, type ApiClient as Sdk } from '@backup-gateway/sdk';
import { answerViolation } from '../support/openapi-validator';
import { SandboxControl } from '../support/sandbox';
import { eventually, startStack, type TestStack } from '../support/stack';
import { graphFixture } from '../support/vendor-fixtures';

/**
 * The API walked with the generated SDK (typed paths, parameters and bodies: a drift between the code and
 * the document fails typecheck), every answer checked against the document by the client's fetch
 * (test/support/openapi-validator.ts): partner -> tenant -> key -> connection -> policy -> items ->
 * restore points -> restore job -> events -> webhooks -> usage, and the refusals (400, 401, 404, 409, 422).
 */
describe('the API through the generated SDK, every answer as the OpenAPI document declares it', () => {
  let stack: TestStack;
  let admin: Sdk;
  let partner: Sdk;
  let api: Sdk;
  let tenantId: string;

  beforeAll(async () => {
    stack = await startStack();
    admin = stack.admin.sdk;
  });
  afterAll(async () => stack.stop());

  it('serves at /openapi.json the document committed in packages/sdk', async () => {
    const served = await fetch(`${stack.baseUrl}/openapi.json`).then((r) => r.json());
    expect(served).toEqual(JSON.parse(readFileSync(join(__dirname, '../../packages/sdk/openapi.json'), 'utf8')));
  });

  it('the validator refuses what the document does not declare', () => {
    const job = { method: 'GET', path: `/v1/tenants/${randomUUID()}/restore-jobs/${randomUUID()}`, contentType: 'application/json' };
    expect(answerViolation({ ...job, status: 418, text: '{}' })).toMatch(/status the document does not declare/);
    expect(answerViolation({ ...job, status: 200, text: '{"id":"x"}' })).toMatch(/does not match its schema/);
    expect(answerViolation({ ...job, status: 404, contentType: 'text/html', text: '<p>no</p>' })).toMatch(/content type text\/html/);
    expect(answerViolation({ method: 'PUT', path: '/v1/tenants', status: 200, contentType: 'application/json', text: '{}' })).toMatch(
      /no operation PUT/,
    );
  });

  it('walks partner -> tenant -> keys -> connection -> policy -> items -> restore points -> restore job -> events', async () => {
    const created = await unwrap(
      admin.POST('/v1/partners', { body: { name: `SDK MSP ${randomUUID().slice(0, 6)}` }, params: { header: idempotent() } }),
    );
    partner = stack.admin.withKey(created.apiKey.key).sdk;
    expect(await unwrap(partner.GET('/v1/partners/{partnerId}', { params: { path: { partnerId: created.id } } }))).toMatchObject({
      id: created.id,
    });
    const tenant = await unwrap(partner.POST('/v1/tenants', { body: { name: 'SDK customer', externalRef: 'crm-1' } }));
    tenantId = tenant.id;
    expect((await unwrap(partner.GET('/v1/tenants', { params: { query: { limit: 10 } } }))).items.map((t) => t.id)).toContain(tenantId);
    const key = await unwrap(partner.POST('/v1/api-keys', { body: { name: 'sdk tenant key', tenantId } }));
    expect(key).toMatchObject({ role: 'tenant', tenantId, key: expect.stringMatching(/^bgk_/) });
    expect((await unwrap(partner.GET('/v1/api-keys'))).items.map((k) => k.id)).toContain(key.id);
    api = stack.admin.withKey(key.key).sdk;
    const path = { tenantId };

    const fx = graphFixture(stack.sandbox.origin);
    await fx.setup?.(new SandboxControl(stack.sandbox.origin, fx.sandboxPrefix, fx.scope));
    const conn = await api.POST('/v1/tenants/{tenantId}/connections', {
      params: { path },
      body: fx.connection as { vendor: 'graph'; displayName: string; endpoint: string; credentials: Record<string, string> },
    });
    expect(conn.response.status).toBe(201);
    const connectionId = conn.data!.id;
    const verify = await api.POST('/v1/tenants/{tenantId}/connections/{connectionId}/verify', {
      params: { path: { tenantId, connectionId } },
    });
    expect(verify.response.status).toBe(202);
    expect(verify.response.headers.get('location')).toBe(`/v1/tenants/${tenantId}/connections/${connectionId}`);
    await eventually(
      () => unwrap(api.GET('/v1/tenants/{tenantId}/connections/{connectionId}', { params: { path: { tenantId, connectionId } } })),
      (c) => c.health === 'healthy',
    );
    expect((await unwrap(api.GET('/v1/tenants/{tenantId}/connections', { params: { path, query: { limit: 5 } } }))).items).toHaveLength(1);

    const policy = await api.POST('/v1/tenants/{tenantId}/policies', {
      params: { path, header: idempotent() },
      body: { connectionId, workload: 'sharepoint', displayName: 'SDK sites', items: fx.items(2), active: true },
    });
    expect(policy.response.status).toBe(202);
    const policyId = policy.data!.id;
    expect(policy.response.headers.get('location')).toBe(`/v1/tenants/${tenantId}/policies/${policyId}`);
    await eventually(
      () => unwrap(api.GET('/v1/tenants/{tenantId}/policies/{policyId}', { params: { path: { tenantId, policyId } } })),
      (p) => p.status === 'active',
      60_000,
    );
    expect((await unwrap(api.GET('/v1/tenants/{tenantId}/policies', { params: { path } }))).items.map((p) => p.id)).toEqual([policyId]);
    const items = await unwrap(api.GET('/v1/tenants/{tenantId}/protected-items', { params: { path, query: { policyId } } }));
    expect(items.items).toHaveLength(2);
    const itemId = items.items[0].id;
    await unwrap(api.GET('/v1/tenants/{tenantId}/protected-items/{itemId}', { params: { path: { tenantId, itemId } } }));

    const points = await eventually(
      () => unwrap(api.GET('/v1/tenants/{tenantId}/restore-points', { params: { path, query: { protectedItemId: itemId } } })),
      (p) => p.items.length > 0,
      60_000,
    );
    const restorePointId = points.items[0].id;
    await unwrap(api.GET('/v1/tenants/{tenantId}/restore-points/{restorePointId}', { params: { path: { tenantId, restorePointId } } }));

    const job = await api.POST('/v1/tenants/{tenantId}/restore-jobs', {
      params: { path, header: idempotent() },
      body: { items: [{ restorePointId }], destination: 'original' },
    });
    expect(job.response.status).toBe(202);
    const jobId = job.data!.id;
    expect(job.response.headers.get('location')).toBe(`/v1/tenants/${tenantId}/restore-jobs/${jobId}`);
    const done = await eventually(
      () => unwrap(api.GET('/v1/tenants/{tenantId}/restore-jobs/{jobId}', { params: { path: { tenantId, jobId } } })),
      (j) => ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'].includes(j.status),
      60_000,
    );
    expect(done.status).toBe('succeeded');
    const listed = await unwrap(
      api.GET('/v1/tenants/{tenantId}/restore-jobs', { params: { path, query: { status: 'succeeded', limit: 10 } } }),
    );
    expect(listed.items.map((j) => j.id)).toEqual([jobId]);
    const history = await unwrap(api.GET('/v1/tenants/{tenantId}/restore-jobs/{jobId}/events', { params: { path: { tenantId, jobId } } }));
    expect(history.items.map((e) => e.toStatus).filter(Boolean)).toEqual(expect.arrayContaining(['submitting', 'running', 'succeeded']));

    // A finished job cannot be cancelled: 409 NOT_ALLOWED_IN_STATE, as problem+json.
    const cancel = await api.POST('/v1/tenants/{tenantId}/restore-jobs/{jobId}/cancel', { params: { path: { tenantId, jobId } } });
    expect(cancel.response.status).toBe(409);
    expect(cancel.error).toMatchObject({ code: 'NOT_ALLOWED_IN_STATE' });

    const events = await unwrap(
      api.GET('/v1/tenants/{tenantId}/events', { params: { path, query: { types: 'restore_job.*', resourceId: jobId } } }),
    );
    expect(events.items.map((e) => e.type)).toEqual(expect.arrayContaining(['restore_job.queued', 'restore_job.succeeded']));
    const partnerEvents = await unwrap(partner.GET('/v1/events', { params: { query: { tenantId, types: 'policy.*' } } }));
    expect(partnerEvents.items.every((e) => e.resourceType === 'policy')).toBe(true);
  });

  it('manages webhooks and reads usage (JSON and CSV)', async () => {
    const path = { tenantId };
    const hook = await unwrap(
      api.POST('/v1/tenants/{tenantId}/webhooks', {
        params: { path },
        body: { url: 'http://127.0.0.1:9/hook', eventTypes: ['restore_job.*'] },
      }),
    );
    expect(hook.secret).toMatch(/^whsec_/);
    const webhookId = hook.id;
    expect((await unwrap(api.GET('/v1/tenants/{tenantId}/webhooks', { params: { path } }))).items.map((w) => w.id)).toEqual([webhookId]);
    const patched = await unwrap(
      api.PATCH('/v1/tenants/{tenantId}/webhooks/{webhookId}', { params: { path: { tenantId, webhookId } }, body: { description: 'sdk' } }),
    );
    expect(patched.description).toBe('sdk');
    const test = await api.POST('/v1/tenants/{tenantId}/webhooks/{webhookId}/test', { params: { path: { tenantId, webhookId } } });
    expect(test.response.status).toBe(202);
    expect(test.response.headers.get('location')).toBe(`/v1/tenants/${tenantId}/webhooks/${webhookId}/deliveries/${test.data!.id}`);
    const deliveries = await unwrap(
      api.GET('/v1/tenants/{tenantId}/webhooks/{webhookId}/deliveries', { params: { path: { tenantId, webhookId }, query: { limit: 5 } } }),
    );
    expect(deliveries.items.map((d) => d.id)).toContain(test.data!.id);
    const one = await unwrap(
      api.GET('/v1/tenants/{tenantId}/webhooks/{webhookId}/deliveries/{deliveryId}', {
        params: { path: { tenantId, webhookId, deliveryId: test.data!.id } },
      }),
    );
    expect(one.attempts).toEqual(expect.any(Array));
    const rotated = await unwrap(
      api.POST('/v1/tenants/{tenantId}/webhooks/{webhookId}/rotate-secret', {
        params: { path: { tenantId, webhookId } },
        body: { overlapSeconds: 0 },
      }),
    );
    expect(rotated.secret).not.toBe(hook.secret);
    const removed = await api.DELETE('/v1/tenants/{tenantId}/webhooks/{webhookId}', { params: { path: { tenantId, webhookId } } });
    expect(removed.response.status).toBe(204);

    const usage = await unwrap(api.GET('/v1/tenants/{tenantId}/usage', { params: { path, query: { granularity: 'month' } } }));
    expect(usage).toMatchObject({ granularity: 'month', items: expect.any(Array) });
    const csv = await api.GET('/v1/tenants/{tenantId}/usage', { params: { path }, headers: { accept: 'text/csv' }, parseAs: 'text' });
    expect(csv.response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.data!.split('\n')[0]).toMatch(/^period,/);
    const all = await unwrap(partner.GET('/v1/usage', { params: { query: { tenantId } } }));
    // JSON or CSV by Accept: the SDK types the answer as either.
    expect(typeof all === 'object' && all.items).toEqual(expect.any(Array));
  });

  it('answers refusals as the documented problem+json: 400, 401, 404, 422', async () => {
    const path = { tenantId };
    const bad = await api.GET('/v1/tenants/{tenantId}/restore-jobs', { params: { path, query: { limit: 0 } } });
    expect(bad.response.status).toBe(400);
    expect(bad.error).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'limit' }] });
    const anonymous = stack.admin.withKey(undefined).sdk;
    expect((await anonymous.GET('/v1/tenants/{tenantId}', { params: { path } })).error).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
    const missing = await api.GET('/v1/tenants/{tenantId}/restore-jobs/{jobId}', { params: { path: { tenantId, jobId: randomUUID() } } });
    expect(missing.error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const conn = (await unwrap(api.GET('/v1/tenants/{tenantId}/connections', { params: { path } }))).items[0];
    const unsupported = await api.POST('/v1/tenants/{tenantId}/policies', {
      params: { path },
      body: { connectionId: conn.id, workload: 'azureBlob', displayName: 'not on Graph' },
    });
    expect(unsupported.response.status).toBe(422);
    expect(unsupported.error).toMatchObject({ code: 'UNSUPPORTED_BY_VENDOR' });
    // unwrap turns an error answer into a ProblemError carrying the normalized code.
    const refused = unwrap(
      api.GET('/v1/tenants/{tenantId}/policies/{policyId}', { params: { path: { tenantId, policyId: randomUUID() } } }),
    );
    await expect(refused).rejects.toBeInstanceOf(ProblemError);
    await expect(refused).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});
