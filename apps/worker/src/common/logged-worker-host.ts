import { setMaxListeners } from 'node:events';
import { Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { CallContext } from '@bg/adapters';

/**
 * A WorkerHost that logs each failed attempt (job name, ids, error code) at warn level, and gives its
 * vendor calls a CallContext: the API request's id the job carries (else the job's own name and id),
 * the tenant, and a signal that shutdown aborts so in-flight vendor calls end at once and the job is
 * retried elsewhere.
 */
export abstract class LoggedWorkerHost extends WorkerHost implements BeforeApplicationShutdown {
  protected readonly log = new Logger(this.constructor.name);
  private readonly shutdown = new AbortController();

  constructor() {
    super();
    setMaxListeners(0, this.shutdown.signal);
  }

  beforeApplicationShutdown(): void {
    this.shutdown.abort(new Error('worker shutting down'));
  }

  protected callContext(job: Job<{ tenantId?: string; requestId?: string }>): CallContext {
    return { requestId: job.data.requestId ?? `${job.name}:${job.id}`, tenantId: job.data.tenantId, signal: this.shutdown.signal };
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, err: Error): void {
    const code = (err as { code?: string }).code;
    // The API request that caused the job (CallContext.requestId), so one id finds the request, the job and the vendor's calls.
    const requestId = (job?.data as { requestId?: unknown } | undefined)?.requestId;
    const request = typeof requestId === 'string' ? ` (request ${requestId})` : '';
    this.log.warn(
      `${job?.name ?? 'job'} ${job?.id ?? ''}${request} attempt ${job?.attemptsMade ?? '?'} failed: ${code ? `${code}: ` : ''}${err.message}`,
    );
  }
}
