import type { AzureConfig, SubscriptionState } from './azure.state';

export type ArmOperationType = 'reads' | 'writes' | 'deletes';

export function operationType(method: string): ArmOperationType {
  if (method === 'GET' || method === 'HEAD') return 'reads';
  if (method === 'DELETE') return 'deletes';
  return 'writes';
}

/**
 * ARM's token bucket per subscription and operation type (vendor-specs SOURCE.md §Throttling: reads
 * bucket 250 refill 25/s, writes and deletes bucket 200 refill 10/s), refilled on the scope clock.
 * Returns the tokens left after this request, or the seconds to wait when the bucket is empty.
 */
export function takeToken(
  sub: SubscriptionState,
  type: ArmOperationType,
  config: AzureConfig,
  nowMs: number,
): { remaining: number } | { retryAfterSeconds: number } {
  const { size, refill } = config[type];
  const bucket = sub.buckets[type];
  const elapsed = Math.max(0, nowMs - bucket.atMs) / 1000;
  bucket.tokens = Math.min(size, bucket.tokens + elapsed * refill);
  bucket.atMs = nowMs;
  if (bucket.tokens < 1) {
    const wait = refill > 0 ? Math.ceil((1 - bucket.tokens) / refill) : 60;
    return { retryAfterSeconds: Math.max(1, wait) };
  }
  bucket.tokens -= 1;
  return { remaining: Math.floor(bucket.tokens) };
}

/** The header ARM sends with the remaining budget (seed 004 §Error response: x-ms-ratelimit-remaining-subscription-writes). */
export function remainingHeader(type: ArmOperationType): string {
  return `x-ms-ratelimit-remaining-subscription-${type}`;
}
