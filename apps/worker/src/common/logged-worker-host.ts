import { Logger } from '@nestjs/common';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';

/** A WorkerHost that logs each failed attempt (job name, ids, error code) at warn level. */
export abstract class LoggedWorkerHost extends WorkerHost {
  protected readonly log = new Logger(this.constructor.name);

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
