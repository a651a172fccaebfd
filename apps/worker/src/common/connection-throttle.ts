import type { OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, type Job } from 'bullmq';
import { isVendorError } from '@bg/adapters';
import type { RedisClient } from '@bg/platform';

/**
 * The Redis key holding a connection's pause deadline (ms since the epoch). Under QUEUE_PREFIX, so on a Redis Cluster
 * it shares the queues' hash tag (single-key commands only).
 */
export function throttleKey(prefix: string, connectionId: string): string {
  return `${prefix}:throttle:${connectionId}`;
}

/** The longest a single vendor call waits for its connection's pause (then it goes, and meets the vendor's answer). */
const MAX_CALL_WAIT_MS = 5 * 60_000;
/** How long a call waits to read its connection's pause from Redis before it goes without. */
const PAUSE_READ_TIMEOUT_MS = 1000;

/**
 * A vendor's Retry-After pauses every call on that connection (vendor account) until then, across all
 * worker processes: the deadline lives in Redis, and a job that meets it is moved back to delayed
 * (no attempt consumed, no call made before the deadline).
 */
export class ConnectionThrottle implements OnApplicationShutdown {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    /** Told of each pause (vendor, seconds): bg_vendor_throttle_wait_seconds. */
    private readonly onPause: (vendor: string, seconds: number) => void = () => undefined,
  ) {}

  private key(connectionId: string): string {
    return throttleKey(this.prefix, connectionId);
  }

  /** Throws DelayedError (after delaying `job`) while the connection is paused. */
  async waitIfPaused(job: Job, token: string | undefined, connectionId: string): Promise<void> {
    const until = await this.pausedUntil(connectionId);
    if (until) {
      await job.moveToDelayed(until + 5, token);
      throw new DelayedError();
    }
  }

  /** When the connection is paused: the time (ms) its pause ends; otherwise undefined. */
  async pausedUntil(connectionId: string): Promise<number | undefined> {
    const until = Number(await this.redis.get(this.key(connectionId)));
    return until && until > Date.now() ? until : undefined;
  }

  /**
   * Waits until the connection's pause (if any) has ended: called before every vendor call of the
   * connection, so a call of a job already past its start check does not leave during a Retry-After either.
   * A pause set again meanwhile is waited out too, up to MAX_CALL_WAIT_MS in all; `signal` ends the wait.
   */
  async waitOut(connectionId: string, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + MAX_CALL_WAIT_MS;
    // Redis unreachable: no pause can be read, and the call is not held for it (the vendor answers for itself).
    // The read's timer is cancelled once it is answered: one timer per vendor call must not outlive the call.
    const read = async () => {
      const timer = new AbortController();
      try {
        return await Promise.race([
          this.pausedUntil(connectionId).catch(() => undefined),
          sleep(PAUSE_READ_TIMEOUT_MS, undefined, { signal: timer.signal }).catch(() => undefined),
        ]);
      } finally {
        timer.abort();
      }
    };
    for (let until = await read(); until && Date.now() < deadline; until = await read()) {
      try {
        await sleep(Math.min(until, deadline) - Date.now() + 5, undefined, { signal });
      } catch {
        return; // aborted: the caller raises its own abort
      }
    }
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }

  /** Records a vendor throttle (429/503 with Retry-After) for the connection. */
  async noteError(connectionId: string, err: unknown): Promise<void> {
    if (!isVendorError(err) || !err.retryAfterMs || err.retryAfterMs <= 0) return;
    const until = Date.now() + err.retryAfterMs;
    await this.redis.set(this.key(connectionId), String(until), 'PX', err.retryAfterMs + 1000);
    this.onPause(err.vendor, err.retryAfterMs / 1000);
  }
}
