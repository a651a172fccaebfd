import type { OnApplicationShutdown } from '@nestjs/common';
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
