import { Client } from 'pg';
import selfsigned from 'selfsigned';
import { avepointFixtureScopes } from '../../apps/sandbox/src/avepoint/avepoint.fixtures';
import { newTenant, type TenantContext } from '../support/factories';
import { SandboxControl } from '../support/sandbox';
import { eventually, startStack, type TestStack } from '../support/stack';
import { avepointFixture, type VendorE2eFixture } from '../support/vendor-fixtures';

const TERMINAL = ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'];

/**
 * AvePoint through the gateway: a submission interrupted around its POST is reconciled from the vendor's
 * job list (no second job), and a Microsoft 365 Group's site restores as serviceType 3.
 */
describe('avepoint end to end', () => {
  let stack: TestStack;
  let t: TenantContext;
  let fx: VendorE2eFixture;
  let control: SandboxControl;
  let db: Client;
  let connectionId: string;
  const T = () => `/v1/tenants/${t.tenantId}`;
  const posts = async () => (await control.calls()).filter((c) => c.method === 'POST' && /\/restore\/jobs$/.test(c.path));
  const done = (id: string) =>
    eventually(
      () => t.tenant.get(`${T()}/restore-jobs/${id}`),
      (r) => TERMINAL.includes(r.body.status),
      60_000,
    );
  /** The first restore point of the one item the policy protects. */
  const firstPoint = async (policyId: string) => {
    const item = (
      await eventually(
        () => t.tenant.get(`${T()}/protected-items?policyId=${policyId}`),
        (r) => r.body.items?.length >= 1,
      )
    ).body.items[0];
    const points = await eventually(
      () => t.tenant.get(`${T()}/restore-points?protectedItemId=${item.id}`),
      (r) => r.body.items?.length >= 1,
      60_000,
    );
    return points.body.items[0].id as string;
  };

  beforeAll(async () => {
    stack = await startStack();
    t = await newTenant(stack.admin);
    fx = avepointFixture(stack.sandbox.origin);
    control = new SandboxControl(stack.sandbox.origin, fx.sandboxPrefix, fx.scope);
    await fx.setup?.(control);
    db = new Client({ connectionString: stack.config.DATABASE_URL });
    await db.connect();
    connectionId = (await t.tenant.post(`${T()}/connections`, fx.connection)).body.id;
  });
  afterAll(async () => {
    await db.end();
    await stack.stop();
  });

  it('after a crash between the POST and its checkpoint, adopts the vendor job found in the submission window instead of submitting again', async () => {
    const policy = (
      await t.tenant.post(`${T()}/policies`, { connectionId, workload: 'sharepoint', displayName: 'crash', items: fx.items(1) })
    ).body;
    const point = await firstPoint(policy.id);
    await control.clearCalls();
    const job = (await t.tenant.post(`${T()}/restore-jobs`, { items: [{ restorePointId: point, paths: fx.paths!('') }] })).body;
    const first = await done(job.id);
    expect(first.body.status).toBe('succeeded');
    const jobId = first.body.vendorRef;
    expect(await posts()).toHaveLength(1);
    // The state a worker leaves when it dies after AvePoint accepted the POST but before it saved the job
    // id: `starting`, no vendor ref, only what prepare recorded.
    await db.query(
      `UPDATE restore_jobs SET status = 'submitting', submit_phase = 'starting', vendor_ref = NULL, completed_at = NULL,
         items = (SELECT jsonb_agg(i || '{"status":"pending"}') FROM jsonb_array_elements(items) i) WHERE id = $1`,
      [job.id],
    );
    const runner = stack.worker!.get(await import('../../apps/worker/src/restore-jobs/restore-job.runner').then((m) => m.RestoreJobRunner));
    await runner.submit({ tenantId: t.tenantId, restoreJobId: job.id });
    const after = await done(job.id);
    expect(after.body).toMatchObject({ status: 'succeeded', vendorRef: jobId });
    expect(await posts()).toHaveLength(1);
    const events = (await t.tenant.get(`${T()}/restore-jobs/${job.id}/events`)).body.items;
    expect(events.some((e: { detail: { note?: string } }) => e.detail.note === 'reconciled after an interrupted submission')).toBe(true);
  });

  it('restores a Microsoft 365 Group site as serviceType 3: a policy of workload groups, its item kind group, its restore at the vendor', async () => {
    const group = avepointFixtureScopes(fx.scope).find((x) => x.serviceType === 3)!.key;
    const policy = await t.tenant.post(`${T()}/policies`, {
      connectionId,
      workload: 'groups',
      displayName: 'groups',
      items: [{ externalId: group, displayName: 'Group01' }],
    });
    expect(policy.status).toBe(202);
    const item = (
      await eventually(
        () => t.tenant.get(`${T()}/protected-items?policyId=${policy.body.id}`),
        (r) => r.body.items?.length >= 1,
      )
    ).body.items[0];
    expect(item).toMatchObject({ kind: 'group', externalId: group });
    const point = await firstPoint(policy.body.id);
    await control.clearCalls();
    const job = await t.tenant.post(`${T()}/restore-jobs`, { items: [{ restorePointId: point, paths: ['Documents/Shared/Budget.xlsx'] }] });
    expect(job.status).toBe(202);
    expect((await done(job.body.id)).body.status).toBe('succeeded');
    const [post] = await posts();
    expect(post).toMatchObject({ status: 200, body: { serviceType: 3, siteRestoreScope: { siteUrl: group } } });
  });

  it('connects with the app certificate instead of a secret: verified healthy, the private key never returned', async () => {
    const pair = await selfsigned.generate([{ name: 'commonName', value: 'gateway-app' }], { keySize: 2048 });
    await control.configure({ appCertificates: [pair.cert] });
    const { clientSecret: _secret, ...credentials } = fx.connection.credentials as Record<string, string>;
    const conn = await t.tenant.post(`${T()}/connections`, {
      ...fx.connection,
      displayName: 'AvePoint by certificate',
      credentials: { ...credentials, certificate: pair.cert, privateKey: pair.private },
    });
    expect(conn.status).toBe(201);
    expect(conn.body.credentials).toEqual({ ...credentials, certificate: pair.cert });
    await t.tenant.post(`${T()}/connections/${conn.body.id}/verify`, {});
    const verified = await eventually(
      () => t.tenant.get(`${T()}/connections/${conn.body.id}`),
      (r) => r.body.health !== 'unknown' && r.body.lastVerifiedAt,
    );
    expect(verified.body).toMatchObject({ health: 'healthy' });
    expect(JSON.stringify(verified.body)).not.toContain('PRIVATE KEY');
    const tokenCalls = (await control.calls()).filter((c) => c.path.includes('/identity/'));
    expect(tokenCalls.at(-1)).toMatchObject({
      status: 200,
      body: { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' },
    });
  });
});
