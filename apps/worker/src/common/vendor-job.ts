import { UnrecoverableError, type Job } from 'bullmq';
import { isVendorError } from '@bg/adapters';
import { DomainError } from '@bg/domain';

/**
 * Decides what a failed vendor job does next: retry (rethrow; BullMQ waits out Retry-After or backs
 * off), or give up — then `onGiveUp` records the failure on our resource and the job ends without retry.
 */
export async function handleVendorFailure(job: Job, err: unknown, onGiveUp: (err: unknown) => Promise<void>): Promise<never> {
  const retryable = isVendorError(err) ? err.retryable : !(err instanceof DomainError);
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  if (retryable && !lastAttempt) throw err instanceof Error ? err : new Error(String(err));
  await onGiveUp(err);
  throw new UnrecoverableError(err instanceof Error ? err.message : String(err));
}
