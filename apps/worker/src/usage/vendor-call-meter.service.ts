import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { VendorCallRecord } from '@bg/adapters';
import { APP_CONFIG, VendorCallTally, usageRepository, type AppConfig } from '@bg/platform';
import { SYSTEM_DB } from '../common/worker-platform.module';

/**
 * Meters vendor API calls per connection and UTC day. Calls are counted in memory and appended to
 * usage_vendor_calls every USAGE_FLUSH_MS (one insert per flush, whatever the number of calls), and once
 * more when the worker shuts down. A call counts when the vendor answered it (any HTTP status, 429 and
 * 5xx included); a request that never reached the vendor (connection refused, timeout) does not.
 * Counts of a process that dies without shutting down (at most one flush interval) are lost.
 */
@Injectable()
export class VendorCallMeter implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger(VendorCallMeter.name);
  private readonly tally = new VendorCallTally();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<number> = Promise.resolve(0);

  constructor(
    @Inject(SYSTEM_DB) private readonly system: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.USAGE_FLUSH_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  record(connection: { id: string; tenant_id: string; vendor: string }, call: VendorCallRecord): void {
    if (call.status > 0) this.tally.add({ id: connection.id, tenantId: connection.tenant_id, vendor: connection.vendor }, new Date());
  }

  /** Stores the counts so far; returns how many calls were written. Flushes never overlap. */
  flush(): Promise<number> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<number> {
    const counts = this.tally.take();
    if (!counts.length) return 0;
    try {
      await usageRepository.insertVendorCalls(this.system, counts);
      return counts.reduce((n, c) => n + c.calls, 0);
    } catch (e) {
      this.tally.restore(counts);
      this.log.warn(`could not store ${counts.length} vendor call counts, will retry: ${(e as Error).message}`);
      return 0;
    }
  }
}
