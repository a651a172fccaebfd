import { FIRST_UUID, retentionRepository as retention, type AppConfig, type SqlTx } from '@bg/platform';

const DAY_MS = 24 * 60 * 60_000;

export type RetentionSettings = Pick<
  AppConfig,
  | 'EVENT_RETENTION_DAYS'
  | 'WEBHOOK_DELIVERY_RETENTION_DAYS'
  | 'USAGE_FACT_RETENTION_DAYS'
  | 'RETENTION_PRUNE_BATCH'
  | 'RETENTION_PRUNE_MAX_BATCHES'
>;

/** What one run deleted per table, in how many statements, and the slowest statement (ms). */
export interface RetentionReport {
  webhookDeliveries: number;
  webhookDeliveryAttempts: number;
  events: number;
  usageVendorCalls: number;
  usageVendorSamples: number;
  batches: number;
  slowestBatchMs: number;
  /** True when a table still had rows past retention after its batch budget: the next run goes on. */
  budgetExhausted: boolean;
}

/**
 * One retention run: per table at most RETENTION_PRUNE_MAX_BATCHES statements of at most
 * RETENTION_PRUNE_BATCH rows each, every statement its own short transaction on the owner connection.
 * Deliveries go before events, so an event whose deliveries just went can go in the same run.
 */
export async function pruneRetention(db: SqlTx, settings: RetentionSettings, now: Date = new Date()): Promise<RetentionReport> {
  const report: RetentionReport = {
    webhookDeliveries: 0,
    webhookDeliveryAttempts: 0,
    events: 0,
    usageVendorCalls: 0,
    usageVendorSamples: 0,
    batches: 0,
    slowestBatchMs: 0,
    budgetExhausted: false,
  };
  const limit = settings.RETENTION_PRUNE_BATCH;
  /** Runs `step` until it reports done or the budget ends; `step` answers whether more may be left. */
  const loop = async (step: () => Promise<boolean>) => {
    for (let i = 0; i < settings.RETENTION_PRUNE_MAX_BATCHES; i++) {
      const started = performance.now();
      const more = await step();
      report.batches++;
      report.slowestBatchMs = Math.max(report.slowestBatchMs, performance.now() - started);
      if (!more) return;
    }
    report.budgetExhausted = true;
  };
  const cutoff = (days: number) => new Date(now.getTime() - days * DAY_MS);

  if (settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    await loop(async () => {
      const n = await retention.pruneWebhookDeliveries(db, cutoff(settings.WEBHOOK_DELIVERY_RETENTION_DAYS), limit);
      report.webhookDeliveries += n.deliveries;
      report.webhookDeliveryAttempts += n.attempts;
      return n.deliveries === limit;
    });
  if (settings.EVENT_RETENTION_DAYS) {
    let after = FIRST_UUID;
    const waiting = await retention.oldestPendingFanout(db);
    const before = new Date(Math.min(cutoff(settings.EVENT_RETENTION_DAYS).getTime(), waiting?.getTime() ?? Infinity));
    await loop(async () => {
      const n = await retention.pruneEvents(db, before, after, limit);
      report.events += n.deleted;
      if (!n.lastId) return false;
      after = n.lastId;
      return true;
    });
  }
  if (settings.USAGE_FACT_RETENTION_DAYS) {
    const beforeDay = cutoff(settings.USAGE_FACT_RETENTION_DAYS).toISOString().slice(0, 10);
    await loop(async () => {
      const n = await retention.pruneUsageVendorCalls(db, beforeDay, limit);
      report.usageVendorCalls += n;
      return n === limit;
    });
    await loop(async () => {
      const n = await retention.pruneUsageVendorSamples(db, beforeDay, limit);
      report.usageVendorSamples += n;
      return n === limit;
    });
  }
  return report;
}
