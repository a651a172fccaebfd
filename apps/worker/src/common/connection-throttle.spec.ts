import { randomBytes } from 'node:crypto';
import { VendorError } from '@bg/adapters';
import { createRedisClient } from '@bg/platform';
import { ConnectionThrottle } from './connection-throttle';

/** Against the real Redis (REDIS_URL / REDIS_CLUSTER_NODES), as the worker runs it. */
describe('ConnectionThrottle.waitOut (before every vendor call)', () => {
  const config = { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: process.env.REDIS_CLUSTER_NODES };
  const prefix = `{bgtest_${randomBytes(4).toString('hex')}}`;
  const throttle = new ConnectionThrottle(createRedisClient(config, { maxRetriesPerRequest: null }), prefix);
  afterAll(() => throttle.onApplicationShutdown());

  const throttled = (retryAfterMs: number) =>
    new VendorError({ code: 'THROTTLED', vendor: 'veeam', retryable: true, retryAfterMs, message: 'Too many requests' });

  it('returns at once for a connection that is not paused, and only after the pause for one that is', async () => {
    await throttle.waitOut('not-paused');
    await throttle.noteError('paused', throttled(400));
    const until = await throttle.pausedUntil('paused');
    expect(until).toEqual(expect.any(Number));
    await throttle.waitOut('paused');
    // A lower bound only: a loaded machine makes the wait longer, never shorter.
    expect(Date.now()).toBeGreaterThanOrEqual(until!);
    expect(await throttle.pausedUntil('paused')).toBeUndefined();
  });

  it('ends the wait when the call is aborted', async () => {
    await throttle.noteError('long', throttled(60_000));
    const ctl = new AbortController();
    const waiting = throttle.waitOut('long', ctl.signal);
    ctl.abort(new Error('shutdown'));
    await expect(waiting).resolves.toBeUndefined();
    expect(await throttle.pausedUntil('long')).toEqual(expect.any(Number));
  });
});
