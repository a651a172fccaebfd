import { Logger } from '@nestjs/common';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';

/** A WorkerHost that logs each failed attempt (job name, ids, error code) at warn level. */
export abstract class LoggedWorkerHost extends WorkerHost {
  protected readonly log = new Logger(this.constructor.name);

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, err: Error): void {
    const code = (err as { code?: string }).code;
    this.log.warn(`${job?.name ?? 'job'} ${job?.id ?? ''} attempt ${job?.attemptsMade ?? '?'} failed: ${code ? `${code}: ` : ''}${err.message}`);
  }
}
