import { Inject, Injectable } from '@nestjs/common';
import {
  DomainError,
  LimitExceeded,
  NotAllowedInState,
  NotFound,
  isTerminal,
  newId,
  restoreJobIds,
  type RestoreJob,
  type RestoreJobEvent,
  type RestoreJobItem,
  type RestoreJobStatus,
  type VendorId,
} from '@bg/domain';
import {
  APP_CONFIG,
  TenantDb,
  outboxMessage,
  restoreJobRepository as jobs,
  writeOutbox,
  type AppConfig,
  type TenantTx,
} from '@bg/platform';
import { assertVendorRestoresTo, assertVendorSupports, vendorLimits } from '../common/vendor-rules';
import type { CreateRestoreJob } from './restore-jobs.dto';

@Injectable()
export class RestoreJobsService {
  constructor(
    private readonly db: TenantDb,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Validates against the vendor's limits, stores the job (queued) + its first event + the outbox row,
   * in one transaction. `requestId` travels with the job to the vendor calls made for it.
   */
  /** `onCreated` runs in the job's transaction, after its insert (e.g. to record the idempotent answer). */
  async create(
    tenantId: string,
    body: CreateRestoreJob,
    requestId?: string,
    onCreated?: (tx: TenantTx, job: RestoreJob) => Promise<void>,
  ): Promise<RestoreJob> {
    return this.db.run(tenantId, async (tx) => {
      const ids = body.items.map((i) => i.restorePointId);
      const unique = [...new Set(ids)];
      if (unique.length !== ids.length) throw new DomainError('INVALID_REQUEST', 'A restore point appears more than once in items.');
      const points = await jobs.pointsForRestore(tx, unique);
      const found = new Set(points.map((p) => p.id));
      const missing = unique.find((id) => !found.has(id));
      if (missing) throw new NotFound('restore point', missing);
      if (new Set(points.map((p) => p.connectionId)).size > 1)
        throw new DomainError('INVALID_REQUEST', 'All restore points of one job must belong to the same connection.');
      if (new Set(points.map((p) => p.workload)).size > 1)
        throw new DomainError('INVALID_REQUEST', 'All restore points of one job must belong to the same workload.');
      const { vendor, connectionId, workload } = points[0];
      assertVendorSupports(vendor, 'restoreJob.create');
      assertVendorRestoresTo(vendor, body.destination);
      this.checkLimits(vendor, body);
      const byId = new Map(points.map((p) => [p.id, p]));
      const items: RestoreJobItem[] = body.items.map((i) => {
        const p = byId.get(i.restorePointId)!;
        return {
          restorePointId: p.id,
          protectedItemId: p.protectedItemId,
          externalId: p.externalId,
          restorePointRef: p.vendorRef,
          protectedItemRef: p.itemVendorRef,
          pointInTime: p.pointInTime.toISOString(),
          paths: i.paths,
          status: 'pending',
        };
      });
      const id = newId();
      const job = await jobs.insert(
        tx,
        {
          id,
          connectionId,
          vendor,
          workload,
          destination: body.destination,
          target: body.target ?? null,
          items,
          deadlineMinutes: this.config.RESTORE_JOB_DEADLINE_MINUTES,
        },
        outboxMessage(
          'restore-job.submit',
          { tenantId, restoreJobId: id, connectionId, vendor, requestId },
          { jobId: restoreJobIds.submit(id) },
        ),
      );
      await onCreated?.(tx, job);
      return job;
    });
  }

  async cancel(tenantId: string, id: string, requestId?: string): Promise<RestoreJob> {
    return this.db.run(tenantId, async (tx) => {
      const job = await jobs.get(tx, id, { forUpdate: true });
      if (isTerminal(job.status)) throw new NotAllowedInState('restore job', job.status, 'cancel');
      return requestCancel(tx, job, requestId);
    });
  }

  /** Hot read path: one statement, one round trip, under row-level security. */
  get(tenantId: string, id: string): Promise<RestoreJob> {
    return jobs.findForRead(this.db, tenantId, id);
  }

  list(tenantId: string, after: string | undefined, limit: number, status?: RestoreJobStatus): Promise<RestoreJob[]> {
    return jobs.listForRead(this.db, tenantId, after, limit, status);
  }

  /** A page of the job's history after the entry `after`: `limit + 1` entries, so the caller knows whether more follow. */
  events(tenantId: string, id: string, after: string | undefined, limit: number): Promise<RestoreJobEvent[]> {
    return this.db.run(tenantId, (tx) => jobs.events(tx, id, after, limit + 1));
  }

  private checkLimits(vendor: VendorId, body: CreateRestoreJob): void {
    const limits = vendorLimits(vendor);
    if (limits.restoreItemsPerJob && body.items.length > limits.restoreItemsPerJob) {
      throw new LimitExceeded(
        `${vendor} restores at most ${limits.restoreItemsPerJob} items per job; this job has ${body.items.length}. Split it into several jobs.`,
        { vendor, limit: limits.restoreItemsPerJob, requested: body.items.length },
      );
    }
    const paths = body.items.reduce((n, i) => n + (i.paths?.length ?? 0), 0);
    if (limits.pathsPerRestoreJob && paths > limits.pathsPerRestoreJob) {
      throw new LimitExceeded(
        `${vendor} restores at most ${limits.pathsPerRestoreJob} file and folder paths per job; this job has ${paths}.`,
        { vendor, limit: limits.pathsPerRestoreJob, requested: paths },
      );
    }
  }
}

/**
 * Cancels a job (locked by the caller, not terminal): at once while queued (it never reached the vendor), else
 * `cancelling` with the vendor's cancel queued (restore-job.cancel). A job already asked to cancel is left as it is.
 */
export async function requestCancel(tx: TenantTx, job: RestoreJob, requestId?: string): Promise<RestoreJob> {
  if (job.cancelRequested) return job;
  if (job.status === 'queued') {
    return jobs.update(
      tx,
      job,
      'cancelled',
      { cancelRequested: true, statusReason: 'cancelled before submission' },
      { reason: 'cancel requested while queued' },
    );
  }
  const updated = await jobs.update(
    tx,
    job,
    'cancelling',
    { cancelRequested: true, statusReason: 'cancel requested' },
    { reason: 'cancel requested' },
  );
  await writeOutbox(
    tx,
    tx.tenantId,
    'restore-job.cancel',
    { tenantId: tx.tenantId, restoreJobId: job.id, connectionId: job.connectionId, requestId },
    { jobId: restoreJobIds.cancel(job.id) },
  );
  return updated;
}
