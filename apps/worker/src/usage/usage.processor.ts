import { Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectQueue, Processor } from '@nestjs/bullmq';
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { vendorDescriptor } from '@bg/adapters';
import { VENDOR_IDS } from '@bg/domain';
import {
  APP_CONFIG,
  QUEUES,
  TenantDb,
  connectionRepository,
  addDays,
  isUsageDay,
  rollupUsageDay,
  usageRepository,
  utcDay,
  type AppConfig,
  type JobPayloads,
  type UsageDay,
  type UsageRollupResult,
} from '@bg/platform';
import { assertHandlers } from '../common/handlers';
import { LoggedWorkerHost } from '../common/logged-worker-host';
import { WORKER_SETTINGS } from '../common/queue-options';
import { AdapterCache } from '../common/adapter-cache.service';
import { SYSTEM_DB } from '../common/worker-platform.module';
import { VendorCallMeter } from './vendor-call-meter.service';

/** Vendors that report usage in their own units (capabilities.usageSamples), found once. */
const SAMPLED_VENDORS = VENDOR_IDS.filter((v) => vendorDescriptor(v).capabilities.usageSamples?.length);

/**
 * The usage roll-up: `usage.rollup` with a day rolls up that UTC day; without one (the scheduler, every
 * USAGE_ROLLUP_EVERY_MS) it rolls up today, the last USAGE_ROLLUP_LOOKBACK_DAYS days and any older day
 * still open, so days close on time and late changes to recently closed days become corrections.
 * The scheduled run also queues `usage.sample` for every connection of a vendor that reports usage in its own
 * unit (at most one per connection and hour), so the vendor's figure of the day is in the next roll-up.
 */
@Processor(QUEUES.usage, { concurrency: 1, settings: WORKER_SETTINGS })
export class UsageProcessor extends LoggedWorkerHost implements OnApplicationBootstrap {
  private readonly handlers = {
    'usage.rollup': (job: Job<JobPayloads['usage.rollup']>) => this.rollup(job.data.day),
    'usage.sample': (job: Job<JobPayloads['usage.sample']>) => this.sample(job.data.tenantId, job.data.connectionId),
  } satisfies Record<Extract<keyof JobPayloads, `usage.${string}`>, (job: Job) => Promise<unknown>>;

  constructor(
    @Inject(SYSTEM_DB) private readonly system: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly meter: VendorCallMeter,
    private readonly db: TenantDb,
    private readonly adapters: AdapterCache,
    @InjectQueue(QUEUES.usage) private readonly queue: Queue,
  ) {
    super();
    assertHandlers(QUEUES.usage, this.handlers);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.USAGE_ROLLUP_ENABLED) {
      await this.queue.removeJobScheduler('usage-rollup');
      return;
    }
    await this.queue.upsertJobScheduler('usage-rollup', { every: this.config.USAGE_ROLLUP_EVERY_MS }, { name: 'usage.rollup', data: {} });
  }

  async process(job: Job): Promise<unknown> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for ${job.name}`);
    return handler(job);
  }

  async rollup(day?: string): Promise<UsageRollupResult[]> {
    if (day !== undefined && !isUsageDay(day)) throw new UnrecoverableError(`usage.rollup: day must be YYYY-MM-DD, got ${day}`);
    const now = new Date();
    // This process's counted calls go in first, so a day is not finalized without them.
    await this.meter.flush();
    if (day === undefined) await this.queueSamples(now);
    const results: UsageRollupResult[] = [];
    for (const d of day ? [day] : await this.scheduledDays(now)) {
      results.push(await rollupUsageDay(this.system, d, { now, graceMinutes: this.config.USAGE_DAY_CLOSE_GRACE_MINUTES }));
    }
    const corrections = results.filter((r) => r.state === 'final' && r.rows > 0);
    if (corrections.length) this.log.log(`usage corrections: ${corrections.map((r) => `${r.day} (${r.rows})`).join(', ')}`);
    return results;
  }

  /** One sample job per connection of a sampled vendor, deduplicated per hour by its job id. */
  async queueSamples(now: Date): Promise<number> {
    const connections = await connectionRepository.liveOfVendors(this.system, SAMPLED_VENDORS);
    const hour = now.toISOString().slice(0, 13);
    await this.queue.addBulk(
      connections.map((c) => ({
        name: 'usage.sample',
        data: { tenantId: c.tenantId, connectionId: c.id },
        opts: { jobId: `usage.sample_${c.id}_${hour}` },
      })),
    );
    return connections.length;
  }

  /** Reads what the vendor reports for the connection in its own units and stores it as the day's sample. */
  async sample(tenantId: string, connectionId: string, at: Date = new Date()): Promise<number> {
    const { adapter, connection } = await this.db.run(tenantId, (tx) => this.adapters.forConnection(tx, connectionId));
    if (connection.deletedAt) return 0;
    const wanted = adapter.capabilities.usageSamples ?? [];
    const samples: Array<{ metric: 'licensed_users' | 'storage_bytes'; quantity: number }> = [];
    if (wanted.includes('licensedUsers') && adapter.licensedUsers) {
      samples.push({ metric: 'licensed_users', quantity: await adapter.licensedUsers({}) });
    }
    if (wanted.includes('storageBytes') && adapter.storageUsage) {
      samples.push({ metric: 'storage_bytes', quantity: (await adapter.storageUsage({})).usedBytes });
    }
    await this.db.run(tenantId, (tx) => usageRepository.recordVendorSamples(tx, connectionId, connection.vendor, at, samples));
    return samples.length;
  }

  private async scheduledDays(now: Date): Promise<UsageDay[]> {
    const today = utcDay(now);
    const first = addDays(today, -this.config.USAGE_ROLLUP_LOOKBACK_DAYS);
    const days = await usageRepository.openDaysBefore(this.system, first);
    for (let d = first; d <= today; d = addDays(d, 1)) days.push(d);
    return days;
  }
}
