import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import {
  QUEUES,
  TenantDb,
  connectionRepository,
  policyRepository,
  restoreJobRepository as jobs,
  tenantRepository,
  writeOutbox,
  type JobPayloads,
} from '@bg/platform';
import { assertHandlers } from '../common/handlers';
import { LoggedWorkerHost } from '../common/logged-worker-host';
import { WORKER_SETTINGS } from '../common/queue-options';

/** How often an offboarding looks again while the tenant's jobs or vendor deletions are still going. */
const RECHECK_MS = 1000;

/** What one run of `tenant.offboard` found. */
export type OffboardStep = 'not offboarding' | 'waiting' | 'deleted';

/**
 * The worker's side of offboarding (the gateway did the rest at once: see OffboardingService). The gateway already
 * cancelled the queued restore jobs, asked the vendor to cancel the others (restore-job.cancel) and, with
 * vendorObjects=remove, queued the deletion of every policy at its vendor (policy.sync). This job waits until
 * those are done or the tenant's drain deadline (OFFBOARD_DRAIN_MINUTES) passes; then ends what is left cancelled,
 * destroys the sealed credentials of every connection and marks the tenant deleted (tenant.deleted).
 */
@Processor(QUEUES.tenants, { concurrency: 5, settings: WORKER_SETTINGS })
export class TenantsProcessor extends LoggedWorkerHost {
  private readonly handlers = {
    'tenant.offboard': (job: Job) => this.offboard(job.data.tenantId, new Date()),
  } satisfies Record<Extract<keyof JobPayloads, `tenant.${string}`>, (job: Job) => Promise<unknown>>;

  constructor(private readonly db: TenantDb) {
    super();
    assertHandlers(QUEUES.tenants, this.handlers);
  }

  async process(job: Job): Promise<unknown> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for ${job.name}`);
    return handler(job);
  }

  async offboard(tenantId: string, now: Date): Promise<OffboardStep> {
    return this.db.run(tenantId, async (tx) => {
      const tenant = await tenantRepository.offboarding(tx, tenantId);
      if (!tenant) return 'not offboarding';
      const active = await jobs.activeOfTenant(tx);
      const deleting = await policyRepository.deletingCount(tx);
      if ((active.length || deleting) && now < tenant.deadlineAt) {
        await writeOutbox(
          tx,
          tenantId,
          'tenant.offboard',
          { tenantId },
          { jobId: `tenant.offboard_${tenantId}_${now.getTime()}`, delayMs: RECHECK_MS },
        );
        return 'waiting';
      }
      for (const job of active) {
        await jobs.update(
          tx,
          job,
          'cancelled',
          { cancelRequested: true, statusReason: 'tenant offboarded before the job ended' },
          { reason: 'tenant offboarded: drain deadline passed', vendorStatus: job.vendorStatus },
        );
      }
      if (deleting) this.log.warn(`tenant ${tenantId} offboarded with ${deleting} policies still being deleted at their vendor`);
      const destroyed = await connectionRepository.destroyCredentials(tx);
      await tenantRepository.markDeleted(tx, tenantId);
      this.log.log(`tenant ${tenantId} offboarded: ${active.length} jobs ended, credentials of ${destroyed} connections destroyed`);
      return 'deleted';
    });
  }
}
