import { isVendorError } from '@bg/adapters';

/**
 * Retry schedule for vendor work: wait out the vendor's Retry-After when it gave one, otherwise
 * exponential backoff with jitter from 1 s up to 5 min.
 */
export function vendorBackoff(attemptsMade: number, _type?: string, err?: Error): number {
  if (err && isVendorError(err) && err.retryAfterMs) return err.retryAfterMs + 10;
  const base = Math.min(300_000, 1000 * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export const VENDOR_JOB_ATTEMPTS = 8;

export const DEFAULT_JOB_OPTIONS = {
  attempts: VENDOR_JOB_ATTEMPTS,
  backoff: { type: 'vendor' },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export const WORKER_SETTINGS = {
  backoffStrategy: (attemptsMade: number, type?: string, err?: Error) => vendorBackoff(attemptsMade, type, err),
};

/**
 * How many times a job of an idempotent-handler queue (webhooks: fan-outs and delivery attempts, all database
 * work re-run safely; restore jobs: every handler asks the vendor before acting again) may stall — its worker died or lost its lock — and still go back to wait. BullMQ's default
 * is 1, and past it the job fails for good whatever its attempts ("job stalled more than allowable limit"): under
 * repeated worker kills a fan-out job stalled twice and its event was never fanned out. A cap remains so a job
 * that kills every worker that runs it ends at last (the maintenance sweeps still repair what it owed).
 */
export const IDEMPOTENT_MAX_STALLED_COUNT = 10;
