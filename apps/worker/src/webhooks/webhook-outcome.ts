import type { SendResult } from './webhook-sender';

/** The longest Retry-After honoured; a larger one is cut to this. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

export type AttemptOutcome = { kind: 'succeeded' } | { kind: 'retry'; delayMs: number } | { kind: 'failed'; disableReason?: string };

/** 5xx, 408, 429 and transport failures (timeout, reset, refused connection) may succeed later. */
export function isRetryable(result: SendResult): boolean {
  if (result.refused) return false;
  const s = result.statusCode;
  if (s === undefined) return true;
  return s >= 500 || s === 408 || s === 429;
}

/**
 * What follows an attempt: 2xx succeeds; 410 fails and disables the endpoint; a retryable failure waits
 * `schedule[attemptsMade]` (at least the 429/503 Retry-After) while the schedule lasts; anything else
 * (other 3xx/4xx, a refused address, the last attempt) fails the delivery.
 *
 * @param attemptsMade attempts in the current cycle, this one included
 * @param schedule delay before each attempt (WEBHOOK_RETRY_SCHEDULE); its length is the number of attempts
 */
export function decideOutcome(result: SendResult, attemptsMade: number, schedule: readonly number[]): AttemptOutcome {
  const s = result.statusCode;
  if (s !== undefined && s >= 200 && s < 300) return { kind: 'succeeded' };
  if (s === 410) return { kind: 'failed', disableReason: 'the endpoint answered 410 Gone' };
  if (!isRetryable(result) || attemptsMade >= schedule.length) return { kind: 'failed' };
  const retryAfter = (s === 429 || s === 503) && result.retryAfterMs ? Math.min(result.retryAfterMs, MAX_RETRY_AFTER_MS) : 0;
  return { kind: 'retry', delayMs: Math.max(schedule[attemptsMade], retryAfter) };
}

/** The attempt's error line for the delivery record: the transport error, or the HTTP status. */
export function attemptError(result: SendResult): string | null {
  if (result.error) return result.error;
  const s = result.statusCode;
  return s !== undefined && (s < 200 || s >= 300) ? `HTTP ${s}` : null;
}
