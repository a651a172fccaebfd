import { veeamFixtureUsers } from '../../apps/sandbox/src/veeam/veeam.fixtures';
import { UsageProcessor } from '../../apps/worker/src/usage/usage.processor';
import { newTenant } from '../support/factories';
import { SandboxControl } from '../support/sandbox';
import { eventually, startStack, type TestStack } from '../support/stack';
import { veeamFixture } from '../support/vendor-fixtures';

/**
 * Usage in the vendor's own unit, end to end: the worker samples a Veeam connection (licensed users, backup storage)
 * into the day's usage, the roll-up carries it, the usage API answers it; vendors without the unit are not sampled.
 */
describe('usage: vendor-reported units (Veeam licensed users and storage)', () => {
  let stack: TestStack;
  let usage: UsageProcessor;

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    usage = stack.worker!.get(UsageProcessor);
  });
  afterAll(async () => stack.stop());

  it('samples licensed users and storage per connection, rolls them into the day, and answers them in JSON and CSV', async () => {
    const t = await newTenant(stack.admin);
    const T = `/v1/tenants/${t.tenantId}`;
    const fx = veeamFixture(stack.sandbox.origin);
    const control = new SandboxControl(stack.sandbox.origin, fx.sandboxPrefix, fx.scope);
    await fx.setup?.(control);
    const connectionId = (await t.tenant.post(`${T}/connections`, fx.connection)).body.id;
    const users = veeamFixtureUsers(fx.scope).slice(0, 3);
    const policy = (
      await t.tenant.post(`${T}/policies`, {
        connectionId,
        workload: 'exchange',
        displayName: 'mail',
        items: users.map((u) => ({ externalId: u.id })),
      })
    ).body;
    await eventually(
      () => t.tenant.get(`${T}/policies/${policy.id}`),
      (r) => r.body.status === 'active',
      60_000,
    );
    await control.advanceClock(25 * 60 * 60_000); // the daily job has backed the three mailboxes up

    // The scheduled roll-up queues one sample per connection of a sampled vendor; only Veeam's here.
    const graph = await newTenant(stack.admin);
    await graph.tenant.post(`/v1/tenants/${graph.tenantId}/connections`, {
      vendor: 'graph',
      displayName: 'not sampled',
      endpoint: `${stack.sandbox.origin}/graph/v1.0`,
      credentials: {
        tenantId: graph.tenantId,
        clientId: graph.tenantId,
        clientSecret: 'x',
        authorityHost: `${stack.sandbox.origin}/graph/login`,
      },
    });
    expect(await usage.queueSamples(new Date())).toBeGreaterThanOrEqual(1);

    const now = new Date();
    expect(await usage.sample(t.tenantId, connectionId, now)).toBe(2);
    expect(await usage.sample(t.tenantId, connectionId, now)).toBe(2); // the same figures again: the row stays
    const day = now.toISOString().slice(0, 10);
    await usage.rollup(day);
    const row = (await t.tenant.get(`${T}/usage?from=${day}&to=${day}`)).body.items.find((r: { vendor: string }) => r.vendor === 'veeam');
    expect(row.metrics.licensedUsers).toBe(3);
    expect(row.metrics.storageBytes).toBeGreaterThan(0);
    const csv = await t.tenant.get<string>(`${T}/usage?from=${day}&to=${day}`, { accept: 'text/csv' });
    const [header, line] = String(csv.body).trim().split('\r\n');
    const cols = header.split(',');
    const veeam = String(csv.body)
      .trim()
      .split('\r\n')
      .slice(1)
      .find((l) => l.split(',')[cols.indexOf('vendor')] === 'veeam')!;
    expect(line).toBeTruthy();
    expect(Number(veeam.split(',')[cols.indexOf('licensedUsers')])).toBe(3);
    expect(Number(veeam.split(',')[cols.indexOf('storageBytes')])).toBe(row.metrics.storageBytes);
  });
});
