import { Client } from 'pg';
import { newId } from '@bg/domain';
import { CredentialCipher, TenantDb } from '@bg/platform';
import { SYSTEM_DB } from '../../apps/worker/src/common/worker-platform.module';
import { WebhookDeliveryService } from '../../apps/worker/src/webhooks/webhook-delivery.service';
import { WorkerMetrics } from '../../apps/worker/src/metrics/worker-metrics';
import { WebhookFanoutService } from '../../apps/worker/src/webhooks/webhook-fanout.service';
import { WebhookSender } from '../../apps/worker/src/webhooks/webhook-sender';
import type { ApiClient } from '../support/api-client';
import { newTenant, type TenantContext } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';
import { Receiver, type Route } from '../support/webhook-receiver';
import { graphFixture } from '../support/vendor-fixtures';

describe('webhooks: Standard Webhooks delivery, end to end', () => {
  let stack: TestStack;
  let db: Client;
  const rx = new Receiver();
  const logs: string[] = [];
  const secrets: string[] = [];
  const answers: string[] = [];

  /** Creates an endpoint whose receiver route verifies with its secret; returns the endpoint and its base path. */
  async function endpoint(client: ApiClient, scope: string, name: string, body: Record<string, unknown>, respond?: Route['respond']) {
    const route: Route = { secrets: [], respond };
    const res = await client.post(`${scope}/webhooks`, { url: rx.route(name, route), ...body });
    expect(res.status).toBe(201);
    route.secrets.push(res.body.secret);
    secrets.push(res.body.secret);
    return { id: res.body.id as string, path: `${scope}/webhooks/${res.body.id}`, route, created: res.body };
  }

  async function get(client: ApiClient, path: string) {
    const res = await client.get(path);
    answers.push(JSON.stringify(res.body));
    return res;
  }

  async function runRestore(t: TenantContext): Promise<string> {
    const fx = graphFixture(stack.sandbox.origin);
    const T = `/v1/tenants/${t.tenantId}`;
    const connection = (await t.tenant.post(`${T}/connections`, fx.connection)).body.id;
    await t.tenant.post(`${T}/policies`, { connectionId: connection, workload: 'sharepoint', displayName: 'hooks', items: fx.items(1) });
    const points = await eventually(
      () => t.tenant.get(`${T}/restore-points`),
      (r) => r.body.items?.length >= 1,
    );
    const job = (await t.tenant.post(`${T}/restore-jobs`, { items: [{ restorePointId: points.body.items[0].id }] })).body.id;
    await eventually(
      () => t.tenant.get(`${T}/restore-jobs/${job}`),
      (r) => r.body.status === 'succeeded',
      60_000,
    );
    return job;
  }

  const delivery = (client: ApiClient, path: string, id: string) => get(client, `${path}/deliveries/${id}`);
  const settled = (client: ApiClient, path: string, id: string) =>
    eventually(
      () => delivery(client, path, id),
      (r) => r.body.status !== 'pending',
      60_000,
    );

  beforeAll(async () => {
    await rx.start();
    stack = await startStack({ logs, config: { LOG_LEVEL: 'debug' } });
    db = new Client({ connectionString: stack.config.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await stack.stop();
    await rx.stop();
  });

  describe('the API', () => {
    let t: TenantContext;
    beforeAll(async () => {
      t = await newTenant(stack.admin);
    });

    it('rejects a missing key, bad input and another tenant, with problem+json', async () => {
      const T = `/v1/tenants/${t.tenantId}`;
      expect((await t.tenant.withKey(undefined).get(`${T}/webhooks`)).status).toBe(401);
      const bad = await t.tenant.post(`${T}/webhooks`, {
        url: 'http://127.0.0.1:1/x',
        eventTypes: ['restore_job.exploded', '*'],
        colour: 'red',
      });
      expect(bad.status).toBe(400);
      expect(bad.contentType).toContain('application/problem+json');
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['eventTypes.0', '']));
      expect((await t.tenant.post(`${T}/webhooks`, { url: 'http://127.0.0.1:1/x', eventTypes: [] })).body.code).toBe('VALIDATION_FAILED');
      const other = await newTenant(stack.admin);
      for (const client of [other.tenant, other.partner]) {
        const res = await client.get(`${T}/webhooks`);
        expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
      }
      const forbidden = await t.tenant.get('/v1/webhooks');
      expect([forbidden.status, forbidden.body.code]).toEqual([403, 'FORBIDDEN']);
    });

    it('answers the secret once (create), never in GET, PATCHes and soft-deletes', async () => {
      const T = `/v1/tenants/${t.tenantId}`;
      const ep = await endpoint(t.tenant, T, 'crud', { eventTypes: ['policy.*'], description: 'ops' });
      expect(ep.created).toMatchObject({
        tenantId: t.tenantId,
        eventTypes: ['policy.*'],
        enabled: true,
        description: 'ops',
        disabledReason: null,
        failingSince: null,
      });
      expect(ep.created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(ep.created.secret.slice(6), 'base64')).toHaveLength(32);
      const one = await get(t.tenant, ep.path);
      const list = await get(t.partner, `${T}/webhooks`);
      expect(one.body).not.toHaveProperty('secret');
      expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([ep.id]);
      expect(JSON.stringify([one.body, list.body])).not.toContain(ep.created.secret.slice(6));
      const patched = await t.tenant.patch(ep.path, {
        eventTypes: ['restore_job.*', 'connection.created'],
        description: null,
        enabled: false,
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        eventTypes: ['restore_job.*', 'connection.created'],
        description: null,
        enabled: false,
        disabledReason: 'disabled with PATCH',
      });
      expect((await t.tenant.patch(ep.path, { enabled: true })).body).toMatchObject({ enabled: true, disabledReason: null });
      expect((await t.tenant.patch(ep.path, {})).body.code).toBe('VALIDATION_FAILED');
      expect((await t.tenant.delete(ep.path)).status).toBe(204);
      expect((await t.tenant.get(ep.path)).status).toBe(404);
      expect((await t.tenant.get(`${T}/webhooks`)).body.items).toEqual([]);
    });

    it('documents the routes and the delivery contract in the OpenAPI document', async () => {
      const doc = (await stack.admin.withKey(undefined).get('/openapi.json')).body;
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/v1/webhooks',
          '/v1/webhooks/{webhookId}/rotate-secret',
          '/v1/tenants/{tenantId}/webhooks/{webhookId}/replay',
          '/v1/tenants/{tenantId}/webhooks/{webhookId}/deliveries/{deliveryId}/retry',
        ]),
      );
      const create = doc.paths['/v1/tenants/{tenantId}/webhooks'].post;
      expect(create.description).toContain('webhook-signature');
      expect(create.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['url', 'eventTypes']));
      const names = (path: string, method: string) =>
        (doc.paths[path][method].parameters ?? []).map((x: { name: string }) => x.name).sort();
      expect(names('/v1/webhooks', 'post')).toEqual([]);
      expect(names('/v1/webhooks/{webhookId}/deliveries/{deliveryId}', 'get')).toEqual(['deliveryId', 'webhookId']);
      expect(names('/v1/tenants/{tenantId}/webhooks/{webhookId}', 'patch')).toEqual(['tenantId', 'webhookId']);
      const ids = Object.values<Record<string, { operationId: string }>>(doc.paths).flatMap((ops) =>
        Object.values(ops).map((o) => o.operationId),
      );
      expect(new Set(ids).size).toBe(ids.length);
    });
  });

  describe('a restore through the sandbox', () => {
    let t: TenantContext;
    let jobs: Awaited<ReturnType<typeof endpoint>>;
    let jobId: string;
    let startedAt: string;

    beforeAll(async () => {
      t = await newTenant(stack.admin);
      const T = `/v1/tenants/${t.tenantId}`;
      jobs = await endpoint(t.tenant, T, 'jobs', { eventTypes: ['restore_job.*'] });
      await endpoint(t.partner, T, 'policies', { eventTypes: ['policy.*'] });
      startedAt = new Date(Date.now() - 1000).toISOString();
      jobId = await runRestore(t);
    });

    it('delivers queued -> submitting -> running -> succeeded in order, signed, verified, in the Standard Webhooks shape', async () => {
      const got = await eventually(
        async () => rx.accepted('jobs'),
        (r) => r.length >= 4,
        60_000,
      );
      expect(got.map((r) => r.message.type)).toEqual([
        'restore_job.queued',
        'restore_job.submitting',
        'restore_job.running',
        'restore_job.succeeded',
      ]);
      const events = (await t.tenant.get(`/v1/tenants/${t.tenantId}/events?resourceId=${jobId}`)).body.items;
      for (const [i, r] of got.entries()) {
        expect(r.verifiedBy).toEqual(jobs.route.secrets);
        expect(r.message).toEqual({ type: events[i].type, timestamp: events[i].occurredAt, data: events[i] });
        expect(r.headers['webhook-id']).toBe(events[i].id);
        // Signed (webhook-timestamp, seconds) after the event occurred and before the receiver got it: in order, not timed.
        const signedAt = Number(r.headers['webhook-timestamp']);
        expect(signedAt).toBeGreaterThanOrEqual(Math.floor(Date.parse(events[i].occurredAt) / 1000));
        expect(signedAt).toBeLessThanOrEqual(Math.floor(r.at / 1000));
        expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
        expect(r.headers['content-type']).toBe('application/json');
        expect(r.headers['user-agent']).toMatch(/backup-gateway/);
      }
      expect(got[3].message.data.data).toMatchObject({ id: jobId, status: 'succeeded', previousStatus: 'running' });
      const list = await get(t.tenant, `${jobs.path}/deliveries?status=succeeded`);
      expect(
        list.body.items.map((d: { eventType: string; attemptCount: number; kind: string }) => [d.eventType, d.attemptCount, d.kind]),
      ).toEqual([
        ['restore_job.queued', 1, 'event'],
        ['restore_job.submitting', 1, 'event'],
        ['restore_job.running', 1, 'event'],
        ['restore_job.succeeded', 1, 'event'],
      ]);
    });

    it('carries in restore_job.succeeded exactly the REST body of the job at that moment (one serializer for both)', async () => {
      const got = await eventually(
        async () => rx.accepted('jobs'),
        (r) => r.some((m) => m.message.type === 'restore_job.succeeded'),
        60_000,
      );
      const succeeded = got.find((m) => m.message.type === 'restore_job.succeeded')!;
      const rest = await t.tenant.get(`/v1/tenants/${t.tenantId}/restore-jobs/${jobId}`);
      const { previousStatus, ...resource } = succeeded.message.data.data;
      expect(previousStatus).toBe('running');
      // Every field the REST answer has (target, vendorRef, cancelRequested, item paths and errors ...), with the same values.
      expect(resource).toEqual(rest.body);
    });

    it('respects the subscription: a policy.* endpoint gets policy events and no restore_job ones', async () => {
      const got = await eventually(
        async () => rx.accepted('policies'),
        (r) => r.some((m) => m.message.type === 'policy.activated'),
      );
      expect(got.every((r) => r.message.type.startsWith('policy.') && r.verifiedBy.length === 1)).toBe(true);
      expect(rx.at('policies').filter((r) => r.message.type.startsWith('restore_job.'))).toEqual([]);
    });

    it('replays stored events as new deliveries, in order, with their original webhook-id', async () => {
      const before = rx.accepted('jobs').length;
      const noSince = await t.tenant.post(`${jobs.path}/replay`, { eventTypes: ['restore_job.*'] });
      expect([noSince.status, noSince.body.errors?.[0]?.path]).toEqual([400, 'since']);
      const res = await t.tenant.post(`${jobs.path}/replay`, {
        since: startedAt,
        eventTypes: ['restore_job.running', 'restore_job.succeeded', 'policy.*'],
      });
      expect([res.status, res.body]).toEqual([202, { count: 2 }]);
      const got = (
        await eventually(
          async () => rx.accepted('jobs'),
          (r) => r.length >= before + 2,
        )
      ).slice(before);
      expect(got.map((r) => r.message.type)).toEqual(['restore_job.running', 'restore_job.succeeded']);
      const originals = rx.accepted('jobs').slice(2, 4);
      expect(got.map((r) => r.headers['webhook-id'])).toEqual(originals.map((r) => r.headers['webhook-id']));
      expect(got.map((r) => r.body)).toEqual(originals.map((r) => r.body));
      const replays = await get(
        t.tenant,
        `${jobs.path}/deliveries?limit=2&cursor=${(await t.tenant.get(`${jobs.path}/deliveries?limit=4`)).body.nextCursor}`,
      );
      expect(replays.body.items.map((d: { kind: string }) => d.kind)).toEqual(['replay', 'replay']);
    });
  });

  describe('scopes', () => {
    it('gives a partner-wide endpoint the events of every tenant of its partner, a tenant endpoint only its own', async () => {
      const p = await newTenant(stack.admin);
      const t2 = (await p.partner.post('/v1/tenants', { name: 'second' })).body;
      const t2Key = (await p.partner.post('/v1/api-keys', { name: 'k', tenantId: t2.id })).body.key;
      const second = stack.admin.withKey(t2Key);
      const other = await newTenant(stack.admin);
      const wide = await endpoint(p.partner, '/v1', 'wide', { eventTypes: ['connection.*'] });
      const own = await endpoint(second, `/v1/tenants/${t2.id}`, 'own', { eventTypes: ['connection.created'] });
      const otherWide = await endpoint(other.partner, '/v1', 'other-wide', { eventTypes: ['*'] });
      expect(wide.created.tenantId).toBeNull();

      const connect = async (client: ApiClient, tenantId: string) =>
        (await client.post(`/v1/tenants/${tenantId}/connections`, graphFixture(stack.sandbox.origin).connection)).body.id as string;
      const theirs = await connect(other.tenant, other.tenantId);
      const first = await connect(p.tenant, p.tenantId);
      const mine = await connect(second, t2.id);

      await eventually(
        async () => rx.accepted('wide'),
        (r) => r.length >= 2,
      );
      await eventually(
        async () => rx.accepted('other-wide'),
        (r) => r.length >= 1,
      );
      await eventually(
        async () => rx.accepted('own'),
        (r) => r.length >= 1,
      );
      const ids = (name: string) => rx.accepted(name).map((r) => [r.message.data.tenantId, r.message.data.resourceId]);
      expect(ids('wide')).toEqual(
        expect.arrayContaining([
          [p.tenantId, first],
          [t2.id, mine],
        ]),
      );
      expect(ids('wide')).toHaveLength(2);
      expect(ids('own')).toEqual([[t2.id, mine]]);
      expect(ids('other-wide')).toEqual([[other.tenantId, theirs]]);
      for (const name of ['wide', 'own', 'other-wide']) expect(rx.at(name).every((r) => r.verifiedBy.length === 1)).toBe(true);

      // Who sees what: the tenant key of p's first tenant sees neither the second tenant's nor the partner-wide endpoints.
      for (const [client, path] of [
        [p.tenant, `/v1/tenants/${t2.id}/webhooks`],
        [p.tenant, `/v1/tenants/${t2.id}/webhooks/${own.id}`],
        [p.tenant, `/v1/tenants/${p.tenantId}/webhooks/${own.id}`],
        [p.tenant, `/v1/tenants/${p.tenantId}/webhooks/${wide.id}`],
        [p.partner, `/v1/webhooks/${own.id}`],
        [p.partner, `/v1/webhooks/${otherWide.id}`],
        [other.partner, `/v1/webhooks/${wide.id}/deliveries`],
      ] as const) {
        const res = await client.get(path);
        expect([path, res.status, res.body.code]).toEqual([path, 404, 'NOT_FOUND']);
      }
      expect((await p.partner.get(`/v1/tenants/${t2.id}/webhooks/${own.id}`)).status).toBe(200);
      expect((await p.partner.get('/v1/webhooks')).body.items.map((w: { id: string }) => w.id)).toEqual([wide.id]);
    });
  });

  describe('retries and failures', () => {
    let t: TenantContext;
    let T: string;
    beforeAll(async () => {
      t = await newTenant(stack.admin);
      T = `/v1/tenants/${t.tenantId}`;
    });

    async function sendTest(path: string): Promise<string> {
      const res = await t.tenant.post(`${path}/test`);
      expect(res.status).toBe(202);
      expect(res.headers.get('location')).toBe(`${path}/deliveries/${res.body.id}`);
      expect(res.body).toMatchObject({ kind: 'test', eventType: 'webhook.test', messageId: res.body.id, status: 'pending' });
      return res.body.id;
    }

    it('retries 500 twice on the schedule, then succeeds, recording every attempt', async () => {
      const ep = await endpoint(t.tenant, T, 'flaky', { eventTypes: ['*'] }, (_m, nth) => ({ status: nth < 2 ? 500 : 200 }));
      const id = await sendTest(ep.path);
      const done = await settled(t.tenant, ep.path, id);
      expect(done.body).toMatchObject({
        status: 'succeeded',
        attemptCount: 3,
        lastStatusCode: 200,
        lastError: null,
        completedAt: expect.any(String),
      });
      expect(
        done.body.attempts.map((a: { attempt: number; statusCode: number; error: string | null }) => [a.attempt, a.statusCode, a.error]),
      ).toEqual([
        [1, 500, 'HTTP 500'],
        [2, 500, 'HTTP 500'],
        [3, 200, null],
      ]);
      expect(done.body.attempts[0]).toMatchObject({
        durationMs: expect.any(Number),
        responseExcerpt: 'receiver says no',
        url: ep.created.url,
      });
      const got = rx.at('flaky');
      expect(got.map((r) => r.status)).toEqual([500, 500, 200]);
      expect(got.every((r) => r.verifiedBy.length === 1 && r.headers['webhook-id'] === id && r.body === got[0].body)).toBe(true);
      expect(got[0].message).toMatchObject({ type: 'webhook.test', data: { webhookId: ep.id, tenantId: t.tenantId } });
      // test schedule: 0, 300 ms, 600 ms
      expect(got[1].at - got[0].at).toBeGreaterThanOrEqual(280);
      expect(got[2].at - got[1].at).toBeGreaterThanOrEqual(580);
      expect((await get(t.tenant, ep.path)).body.failingSince).toBeNull();
    });

    it('waits out a 429 Retry-After longer than the schedule', async () => {
      const ep = await endpoint(t.tenant, T, 'busy', { eventTypes: ['*'] }, (_m, nth) =>
        nth === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 },
      );
      const done = await settled(t.tenant, ep.path, await sendTest(ep.path));
      expect(done.body.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([429, 200]);
      const got = rx.at('busy');
      expect(got[1].at - got[0].at).toBeGreaterThanOrEqual(1900);
    });

    it('ends a delivery failed at once on a 4xx; a retry makes a new attempt now', async () => {
      let accept = false;
      const ep = await endpoint(t.tenant, T, 'picky', { eventTypes: ['*'] }, () => ({ status: accept ? 200 : 400 }));
      const id = await sendTest(ep.path);
      const failed = await settled(t.tenant, ep.path, id);
      expect(failed.body).toMatchObject({ status: 'failed', attemptCount: 1, lastStatusCode: 400, lastError: 'HTTP 400' });
      expect((await get(t.tenant, ep.path)).body.failingSince).toEqual(expect.any(String));
      expect((await get(t.tenant, `${ep.path}/deliveries?status=failed`)).body.items.map((d: { id: string }) => d.id)).toEqual([id]);
      accept = true;
      const retried = await t.tenant.post(`${ep.path}/deliveries/${id}/retry`);
      expect([retried.status, retried.body.status]).toEqual([202, 'pending']);
      const done = await settled(t.tenant, ep.path, id);
      expect(done.body).toMatchObject({ status: 'succeeded', attemptCount: 2 });
      expect(done.body.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([400, 200]);
      expect((await get(t.tenant, ep.path)).body.failingSince).toBeNull();
      expect((await t.tenant.post(`${ep.path}/deliveries/${newId()}/retry`)).status).toBe(404);
    });

    it('a delivery whose queue job was lost is re-issued by the maintenance sweep and delivered', async () => {
      const ep = await endpoint(t.tenant, T, 'lost', { eventTypes: ['*'] });
      const id = await sendTest(ep.path);
      await settled(t.tenant, ep.path, id);
      // Make it look lost: pending, its attempt job long overdue and gone from the queue.
      await db.query(
        `UPDATE webhook_deliveries SET status = 'pending', completed_at = NULL, scheduled_job_id = 'webhook.deliver_lost',
        next_attempt_at = now() - interval '1 hour' WHERE id = $1`,
        [id],
      );
      const before = rx.at('lost').length;
      const { MaintenanceProcessor } = await import('../../apps/worker/src/maintenance/maintenance.processor');
      expect(await stack.worker!.get(MaintenanceProcessor).sweepWebhookDeliveries(60_000)).toBe(1);
      const done = await settled(t.tenant, ep.path, id);
      expect(done.body.status).toBe('succeeded');
      expect(rx.at('lost').length).toBe(before + 1);
      expect(await stack.worker!.get(MaintenanceProcessor).sweepWebhookDeliveries(60_000)).toBe(0);
    });

    it('gives up after the last attempt of the schedule', async () => {
      const ep = await endpoint(t.tenant, T, 'down', { eventTypes: ['*'] }, () => ({ status: 503 }));
      const done = await settled(t.tenant, ep.path, await sendTest(ep.path));
      expect(done.body).toMatchObject({ status: 'failed', attemptCount: stack.config.WEBHOOK_RETRY_SCHEDULE.length, lastStatusCode: 503 });
      expect((await get(t.tenant, ep.path)).body).toMatchObject({ enabled: true, failingSince: expect.any(String) });
    });

    it('disables an endpoint that answers 410, and re-enables it with PATCH', async () => {
      const ep = await endpoint(t.tenant, T, 'gone', { eventTypes: ['*'] }, () => ({ status: 410 }));
      const done = await settled(t.tenant, ep.path, await sendTest(ep.path));
      expect(done.body).toMatchObject({ status: 'failed', attemptCount: 1, lastStatusCode: 410 });
      const disabled = await get(t.tenant, ep.path);
      expect(disabled.body).toMatchObject({
        enabled: false,
        disabledReason: 'the endpoint answered 410 Gone',
        failingSince: expect.any(String),
      });
      const refused = await t.tenant.post(`${ep.path}/test`);
      expect([refused.status, refused.body.code]).toEqual([409, 'NOT_ALLOWED_IN_STATE']);
      expect((await t.tenant.patch(ep.path, { enabled: true })).body).toMatchObject({
        enabled: true,
        disabledReason: null,
        failingSince: null,
      });
    });

    it('disables an endpoint that keeps failing for longer than WEBHOOK_DISABLE_AFTER_HOURS', async () => {
      const ep = await endpoint(t.tenant, T, 'dead', { eventTypes: ['*'] }, () => ({ status: 500 }));
      await db.query(`UPDATE webhook_endpoints SET failing_since = now() - interval '121 hours' WHERE id = $1`, [ep.id]);
      const done = await settled(t.tenant, ep.path, await sendTest(ep.path));
      expect(done.body).toMatchObject({
        status: 'failed',
        attemptCount: 1,
        lastError: 'endpoint disabled: deliveries kept failing for more than 120 hours',
      });
      expect((await get(t.tenant, ep.path)).body).toMatchObject({
        enabled: false,
        disabledReason: 'deliveries kept failing for more than 120 hours',
      });
    });
  });

  describe('operational events: an integration learns its endpoint was switched off', () => {
    it('webhook_endpoint.disabled and message.attempts_exhausted reach a subscribed endpoint, signed, and the events API; tenants see only their own', async () => {
      const p = await newTenant(stack.admin);
      const other = await newTenant(stack.admin);
      const T = `/v1/tenants/${p.tenantId}`;
      const ops = await endpoint(p.partner, '/v1', 'ops', { eventTypes: ['webhook_endpoint.*', 'message.*'] });
      const otherOps = await endpoint(other.partner, '/v1', 'other-ops', { eventTypes: ['*'] });
      const down = await endpoint(p.tenant, T, 'ops-down', { eventTypes: ['connection.created'] }, () => ({ status: 503 }));
      const gone = await endpoint(p.partner, '/v1', 'ops-gone', { eventTypes: ['connection.created'] }, () => ({ status: 410 }));
      const connection = (await p.tenant.post(`${T}/connections`, graphFixture(stack.sandbox.origin).connection)).body.id;

      const received = await eventually(
        async () => rx.accepted('ops'),
        (r) => r.length >= 2,
        60_000,
      );
      for (const m of received) expect(m.verifiedBy).toEqual(ops.route.secrets);
      const byType = Object.fromEntries(received.map((m) => [m.message.type, m.message.data]));
      expect(Object.keys(byType).sort()).toEqual(['message.attempts_exhausted', 'webhook_endpoint.disabled']);
      expect(byType['webhook_endpoint.disabled']).toMatchObject({
        tenantId: null,
        resourceType: 'webhook_endpoint',
        resourceId: gone.id,
        data: { id: gone.id, enabled: false, disabledReason: 'the endpoint answered 410 Gone', tenantId: null },
      });
      expect(byType['message.attempts_exhausted']).toMatchObject({
        tenantId: p.tenantId,
        resourceType: 'message',
        data: {
          webhookId: down.id,
          kind: 'event',
          eventType: 'connection.created',
          resourceId: connection,
          status: 'failed',
          attemptCount: stack.config.WEBHOOK_RETRY_SCHEDULE.length,
          lastStatusCode: 503,
        },
      });
      // No secret in either payload; nothing for another partner's endpoint.
      for (const m of received) expect(m.body).not.toMatch(/whsec_|secret_ciphertext|wrapped_key/);
      expect(
        rx.accepted('other-ops').filter((m) => m.message.type.startsWith('webhook_endpoint') || m.message.type.startsWith('message')),
      ).toEqual([]);

      // The events API: the partner sees both; the tenant key sees its own endpoint's message, not the partner-wide endpoint.
      const partnerTypes = (await p.partner.get('/v1/events?types=webhook_endpoint.*,message.*')).body.items.map((e: any) => e.type);
      expect(partnerTypes.sort()).toEqual(['message.attempts_exhausted', 'webhook_endpoint.disabled']);
      const tenantEvents = (await p.tenant.get(`${T}/events?types=webhook_endpoint.*,message.*`)).body.items;
      expect(tenantEvents.map((e: any) => e.type)).toEqual(['message.attempts_exhausted']);
      expect((await other.partner.get('/v1/events?types=webhook_endpoint.*,message.*')).body.items).toEqual([]);
      expect(otherOps.id).toBeTruthy();
    });
  });

  describe('secret rotation', () => {
    it('signs with the new and the old secret during the overlap, then with the new one only', async () => {
      const t = await newTenant(stack.admin);
      const ep = await endpoint(t.tenant, `/v1/tenants/${t.tenantId}`, 'rotating', { eventTypes: ['*'] });
      const [first] = ep.route.secrets;
      const rotated = await t.tenant.post(`${ep.path}/rotate-secret`);
      expect(rotated.status).toBe(200);
      const second = rotated.body.secret as string;
      secrets.push(second);
      expect(second).toMatch(/^whsec_/);
      expect(second).not.toBe(first);
      expect(new Date(rotated.body.previousSecretExpiresAt).getTime() - Date.now()).toBeGreaterThan(86_300_000);
      ep.route.secrets.splice(0, 1, second, first);
      await t.tenant.post(`${ep.path}/test`);
      const [during] = await eventually(
        async () => rx.accepted('rotating'),
        (r) => r.length >= 1,
      );
      expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(during.verifiedBy).toEqual([second, first]);

      const ended = await t.tenant.post(`${ep.path}/rotate-secret`, { overlapSeconds: 0 });
      const third = ended.body.secret as string;
      secrets.push(third);
      expect(ended.body.previousSecretExpiresAt).toBeNull();
      ep.route.secrets.splice(0, 2, third, second);
      await t.tenant.post(`${ep.path}/test`);
      const after = (
        await eventually(
          async () => rx.accepted('rotating'),
          (r) => r.length >= 2,
        )
      )[1];
      expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
      expect(after.verifiedBy).toEqual([third]);
      expect((await t.tenant.post(`${ep.path}/rotate-secret`, { overlapSeconds: -1 })).body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('order per resource', () => {
    it("holds a resource's later event back while its earlier one is still being retried", async () => {
      const t = await newTenant(stack.admin);
      const T = `/v1/tenants/${t.tenantId}`;
      let release = false;
      const ep = await endpoint(t.tenant, T, 'ordered', { eventTypes: ['connection.*'] }, (m) => ({
        status: m.message.type === 'connection.created' && !release ? 503 : 200,
      }));
      const connection = (await t.tenant.post(`${T}/connections`, graphFixture(stack.sandbox.origin).connection)).body.id;
      await eventually(
        async () => rx.at('ordered'),
        (r) => r.length >= 2,
      );
      expect((await t.tenant.post(`${T}/connections/${connection}/verify`)).status).toBe(202);
      // The later event exists and has its delivery, which waits (no attempt, no job) behind the failing one.
      const waiting = await eventually(
        () => get(t.tenant, `${ep.path}/deliveries`),
        (r) => r.body.items.length === 2,
        60_000,
      );
      const [created, healthy] = waiting.body.items;
      expect(healthy).toMatchObject({ eventType: 'connection.healthy', status: 'pending', attemptCount: 0 });
      await eventually(
        () => delivery(t.tenant, ep.path, healthy.id),
        (r) => r.body.nextAttemptAt === null,
        60_000,
      );
      expect((await delivery(t.tenant, ep.path, created.id)).body).toMatchObject({ status: 'pending', lastStatusCode: 503 });
      release = true;
      await settled(t.tenant, ep.path, healthy.id);
      const got = rx.at('ordered');
      const firstOk = got.findIndex((r) => r.status === 200);
      expect(got.slice(0, firstOk).every((r) => r.message.type === 'connection.created')).toBe(true);
      expect(firstOk).toBeGreaterThanOrEqual(2);
      expect(got.slice(firstOk).map((r) => [r.message.type, r.status])).toEqual([
        ['connection.created', 200],
        ['connection.healthy', 200],
      ]);
      expect(got.every((r) => r.verifiedBy.length === 1)).toBe(true);
    });
  });

  describe('fanout', () => {
    it('never duplicates on a re-run, and a later event fanned out first waits for the earlier one it backfills', async () => {
      const t = await newTenant(stack.admin);
      const ep = await endpoint(t.tenant, `/v1/tenants/${t.tenantId}`, 'fanout', { eventTypes: ['connection.*'] });
      const fanout = stack.worker!.get(WebhookFanoutService);
      // Two events of one resource written directly (no trigger, so no fanout job): the later one's fanout runs first.
      const resource = newId();
      const insert = async (type: string) =>
        (
          await db.query(
            `INSERT INTO events (id, partner_id, tenant_id, type, resource_type, resource_id, data) VALUES ($1, $2, $3, $4, 'connection', $5, '{}') RETURNING id`,
            [newId(), t.partnerId, t.tenantId, type, resource],
          )
        ).rows[0].id as string;
      const earlier = await insert('connection.created');
      const later = await insert('connection.healthy');
      expect(await fanout.fanout(t.tenantId, later)).toBe(2);
      expect(await fanout.fanout(t.tenantId, earlier)).toBe(0);
      expect(await fanout.fanout(t.tenantId, later)).toBe(0);
      const got = await eventually(
        async () => rx.accepted('fanout'),
        (r) => r.length >= 2,
      );
      expect(got.map((r) => r.headers['webhook-id'])).toEqual([earlier, later]);
      const { rows } = await db.query('SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1', [ep.id]);
      expect(rows[0].n).toBe(2);
    });
  });

  describe('SSRF guard', () => {
    let strict: TestStack;
    beforeAll(async () => {
      strict = await startStack({ worker: false, config: { WEBHOOK_ALLOW_LOCAL_URLS: 'false' } });
    });
    afterAll(async () => strict.stop());

    it('refuses loopback, metadata, private and names resolving to loopback at create and PATCH when local URLs are off', async () => {
      const t = await newTenant(strict.admin);
      const T = `/v1/tenants/${t.tenantId}`;
      for (const url of [
        'http://127.0.0.1:9/hook',
        'http://169.254.169.254/latest/meta-data',
        'http://10.0.0.1/',
        `http://localhost:${rx.port}/x`,
        'http://[::1]/',
        'http://[::ffff:169.254.169.254]/',
      ]) {
        const res = await t.tenant.post(`${T}/webhooks`, { url, eventTypes: ['*'] });
        expect([url, res.status, res.body.code, res.body.errors?.[0]?.path]).toEqual([url, 400, 'VALIDATION_FAILED', 'url']);
        expect(res.body.errors[0].message).toMatch(/^must not (point|resolve) to a blocked address/);
      }
      expect((await t.tenant.get(`${T}/webhooks`)).body.items).toEqual([]);
      const strictDb = new Client({ connectionString: strict.config.DATABASE_URL });
      await strictDb.connect();
      const {
        rows: [row],
      } = await strictDb.query('SELECT count(*)::int AS n FROM webhook_endpoints WHERE tenant_id = $1', [t.tenantId]);
      await strictDb.end();
      expect(row.n).toBe(0);
      // A stored endpoint cannot be moved to a blocked address either (a public IP literal needs no DNS here).
      const ep = await t.tenant.post(`${T}/webhooks`, { url: 'http://93.184.216.34/hook', eventTypes: ['*'] });
      expect(ep.status).toBe(201);
      const moved = await t.tenant.patch(`${T}/webhooks/${ep.body.id}`, { url: 'http://169.254.169.254/latest/meta-data' });
      expect([moved.status, moved.body.code, moved.body.errors?.[0]?.path]).toEqual([400, 'VALIDATION_FAILED', 'url']);
      expect((await t.tenant.get(`${T}/webhooks/${ep.body.id}`)).body.url).toBe('http://93.184.216.34/hook');
    });

    it('refuses at delivery time a stored URL whose name now resolves to loopback, recording the refusal as a failed attempt', async () => {
      // The endpoint was accepted (created where local URLs are allowed); the worker that delivers runs with them off.
      const t = await newTenant(stack.admin);
      const ep = await endpoint(t.tenant, `/v1/tenants/${t.tenantId}`, 'rebound', { eventTypes: ['policy.*'] });
      await t.tenant.patch(ep.path, { url: `http://localhost:${rx.port}/rebound` });
      const id = newId();
      await db.query(
        `INSERT INTO webhook_deliveries (id, partner_id, tenant_id, endpoint_id, kind, event_type, message_id, payload, scheduled_job_id)
         VALUES ($1::uuid, $2, $3, $4, 'test', 'webhook.test', $1::text, '{"type":"webhook.test","timestamp":"2025-01-01T00:00:00Z","data":{}}', 'direct')`,
        [id, t.partnerId, t.tenantId, ep.id],
      );
      const worker = stack.worker!;
      const sender = new WebhookSender({ allowLocal: false, timeoutMs: 2000 });
      const strictDelivery = new WebhookDeliveryService(
        worker.get(SYSTEM_DB),
        { ...stack.config, WEBHOOK_ALLOW_LOCAL_URLS: false },
        worker.get(TenantDb),
        worker.get(CredentialCipher),
        sender,
        worker.get(WorkerMetrics),
      );
      try {
        expect(await strictDelivery.deliver(id, 'direct')).toBe('failed');
      } finally {
        await sender.onApplicationShutdown();
      }
      const done = (await delivery(t.tenant, ep.path, id)).body;
      expect(done).toMatchObject({ status: 'failed', attemptCount: 1, lastStatusCode: null });
      expect(done.attempts[0].error).toMatch(/^refused: localhost resolves to (127\.0\.0\.1 \(loopback\)|::1 \()/);
      expect(rx.at('rebound')).toEqual([]);
    });
  });

  it('never shows a secret in a GET answer, a log line or a plaintext column', async () => {
    expect(secrets.length).toBeGreaterThan(10);
    expect(answers.length).toBeGreaterThan(10);
    expect(logs.length).toBeGreaterThan(10);
    for (const s of secrets) {
      const raw = s.slice('whsec_'.length);
      expect(answers.filter((a) => a.includes(raw))).toEqual([]);
      expect(logs.filter((l) => l.includes(raw))).toEqual([]);
    }
    for (const table of ['webhook_endpoints', 'webhook_deliveries', 'webhook_delivery_attempts', 'outbox', 'events']) {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM ${table} t WHERE t::text LIKE ANY($1)`, [
        secrets.map((s) => `%${s.slice(6)}%`),
      ]);
      expect([table, rows[0].n]).toEqual([table, 0]);
    }
  });
});
