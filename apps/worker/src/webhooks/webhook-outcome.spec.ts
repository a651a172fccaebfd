import { attemptError, decideOutcome } from './webhook-outcome';

const SCHEDULE = [0, 5_000, 300_000, 1_800_000];

describe('decideOutcome', () => {
  it.each([
    ['200', { statusCode: 200 }, 1, { kind: 'succeeded' }],
    ['204', { statusCode: 204 }, 4, { kind: 'succeeded' }],
    ['500 on the first attempt waits the second delay', { statusCode: 500 }, 1, { kind: 'retry', delayMs: 5_000 }],
    ['503 on the third', { statusCode: 503 }, 3, { kind: 'retry', delayMs: 1_800_000 }],
    ['408', { statusCode: 408 }, 1, { kind: 'retry', delayMs: 5_000 }],
    ['a timeout', { error: 'timed out after 15000 ms' }, 2, { kind: 'retry', delayMs: 300_000 }],
    ['a connection error', { error: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1' }, 1, { kind: 'retry', delayMs: 5_000 }],
    ['429 with a longer Retry-After waits it out', { statusCode: 429, retryAfterMs: 60_000 }, 1, { kind: 'retry', delayMs: 60_000 }],
    ['429 with a shorter Retry-After keeps the schedule', { statusCode: 429, retryAfterMs: 1_000 }, 2, { kind: 'retry', delayMs: 300_000 }],
    [
      '429 with an absurd Retry-After is capped at a day',
      { statusCode: 429, retryAfterMs: 10 * 86_400_000 },
      1,
      { kind: 'retry', delayMs: 86_400_000 },
    ],
    ['500 on the last attempt fails', { statusCode: 500 }, 4, { kind: 'failed' }],
    ['410 fails and disables', { statusCode: 410 }, 1, { kind: 'failed', disableReason: 'the endpoint answered 410 Gone' }],
    ['400 fails at once', { statusCode: 400 }, 1, { kind: 'failed' }],
    ['404 fails at once', { statusCode: 404 }, 1, { kind: 'failed' }],
    ['a redirect fails at once (never followed)', { statusCode: 301 }, 1, { kind: 'failed' }],
    [
      'a refused address fails at once',
      { refused: true, error: 'refused: localhost resolves to 127.0.0.1 (loopback)' },
      1,
      { kind: 'failed' },
    ],
  ])('%s', (_label, result, attemptsMade, expected) => {
    expect(decideOutcome({ durationMs: 1, ...result }, attemptsMade, SCHEDULE)).toEqual(expected);
  });

  it('names the failure of an attempt', () => {
    expect(attemptError({ durationMs: 1, statusCode: 502 })).toBe('HTTP 502');
    expect(attemptError({ durationMs: 1, error: 'timed out after 10 ms' })).toBe('timed out after 10 ms');
    expect(attemptError({ durationMs: 1, statusCode: 200 })).toBeNull();
  });
});
