import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { restoreJobIds } from '@bg/domain';
import { restoreJobRepository as jobs, type JobPayloads } from '@bg/platform';
import { OutboxRelay } from '../outbox/outbox-relay.service';

/**
 * Fair share of the worker between tenants, owned by the restore jobs (not by the generic relay): a
 * restore submission's queue priority is its rank among its tenant's queued jobs (1 = the tenant's
 * oldest). A tenant with 1,000 queued jobs holds ranks 1..1000; another tenant's single job has rank 1
 * and is taken next, not after the thousand. The relay asks for the ranks of each batch it moves.
 */
@Injectable()
export class RestoreJobScheduler implements OnModuleInit {
  constructor(private readonly relay: OutboxRelay) {}

  onModuleInit(): void {
    this.relay.prioritize('restore-job.submit', (tx, payloads) => this.ranks(tx, payloads));
  }

  /** Queue priorities by queue job id (absent: the job is no longer queued; it keeps the default). */
  /** In the relay's (owner) transaction. */
  async ranks(tx: EntityManager, payloads: Array<JobPayloads['restore-job.submit']>): Promise<Map<string, number>> {
    const ranked = await jobs.fairRanks(
      tx,
      payloads.map((p) => ({ tenantId: p.tenantId, restoreJobId: p.restoreJobId })),
    );
    return new Map(payloads.map((p) => [restoreJobIds.submit(p.restoreJobId), ranked.get(p.restoreJobId) ?? 1]));
  }
}
