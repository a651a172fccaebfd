import type { RunningSandbox } from './sandbox.server';
import type { RecordedCall } from './support';
import { AvePointTestClient, startAvePointSandbox } from './avepoint/avepoint.test-helpers';

describe('sandbox call log', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startAvePointSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('records when a call arrived (before injected latency) beside when it was answered', async () => {
    const c = new AvePointTestClient(sandbox.origin);
    await c.login();
    await c.control('DELETE', '/calls');
    await c.control('POST', '/faults', { method: 'GET', path: '^/api/', latencyMs: 400, count: 1 });
    const before = Date.now();
    await c.api('GET', '/backup/m365/restore/jobs');
    const { calls } = (await c.control('GET', '/calls')) as { calls: RecordedCall[] };
    expect(calls).toHaveLength(1);
    const [call] = calls;
    const received = Date.parse(call.receivedAt);
    const answered = Date.parse(call.at);
    // Arrival is when the request came in, not when the delayed answer went out: a throttle check
    // compares a call's arrival with another call's answer (bench/drills/throttle-check.ts).
    expect(received).toBeGreaterThanOrEqual(before - 5);
    expect(answered - received).toBeGreaterThanOrEqual(390);
  });
});
