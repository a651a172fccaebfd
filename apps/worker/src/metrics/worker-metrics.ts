import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queue } from 'bullmq';

const VENDOR_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const THROTTLE_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
const LAG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 36000];
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** A vendor HTTP call's outcome label, from its status (0: the vendor was not reached). */
export function vendorCallOutcome(status: number): string {
  if (status === 0) return 'network_error';
  if (status === 429) return 'throttled';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  return 'ok';
}

/**
 * The worker's Prometheus registry (one per worker instance), served on WORKER_METRICS_PORT. Labels are
 * bounded: vendor ids, port operation names, normalized error codes, states — never ids or URLs.
 * Queue gauges are read from Redis when scraped (getJobCounts), not on a timer.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private queues: Queue[] = [];

  readonly vendorCallDuration = new Histogram({
    name: 'bg_vendor_call_duration_seconds',
    help: 'Vendor HTTP calls (token requests included) by vendor, port operation and outcome (ok, throttled, client_error, server_error, network_error).',
    labelNames: ['vendor', 'operation', 'outcome'] as const,
    buckets: VENDOR_BUCKETS,
    registers: [this.registry],
  });
  readonly vendorCallErrors = new Counter({
    name: 'bg_vendor_call_errors_total',
    help: 'Vendor operations that failed, by vendor and normalized error code.',
    labelNames: ['vendor', 'code'] as const,
    registers: [this.registry],
  });
  readonly throttleWait = new Histogram({
    name: 'bg_vendor_throttle_wait_seconds',
    help: "Pauses of a vendor connection ordered by the vendor's Retry-After, by vendor.",
    labelNames: ['vendor'] as const,
    buckets: THROTTLE_BUCKETS,
    registers: [this.registry],
  });
  readonly webhookLag = new Histogram({
    name: 'bg_webhook_delivery_lag_seconds',
    help: 'Time from an event (its delivery created) to its successful webhook delivery.',
    buckets: LAG_BUCKETS,
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'bg_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (succeeded, retry, failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly restoreJobs = new Counter({
    name: 'bg_restore_jobs_total',
    help: 'Restore jobs the worker moved to a terminal state, by state.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly backupRuns = new Counter({
    name: 'bg_backup_runs_total',
    help: 'On-demand backup runs that reached a terminal state, by state.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  constructor() {
    this.registry.setDefaultLabels({ service: 'worker' });
    collectDefaultMetrics({ register: this.registry, prefix: 'bg_' });
    const queues = () => this.queues;
    new Gauge({
      name: 'bg_queue_jobs',
      help: 'BullMQ jobs by queue and state (waiting includes prioritized), read when scraped.',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        await Promise.all(
          queues().map(async (q) => {
            const c = await q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
            const counts: Record<(typeof QUEUE_STATES)[number], number> = {
              waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
              active: c.active ?? 0,
              delayed: c.delayed ?? 0,
              failed: c.failed ?? 0,
            };
            for (const state of QUEUE_STATES) this.set({ queue: q.name, state }, counts[state]);
          }),
        );
      },
    });
    new Gauge({
      name: 'bg_queue_oldest_waiting_age_seconds',
      help: 'Age of the oldest job waiting in each queue (the next prioritized one included), 0 when none waits; read when scraped.',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const now = Date.now();
        await Promise.all(
          queues().map(async (q) => {
            const [oldest, next] = await Promise.all([q.getJobs(['wait'], 0, 0, true), q.getJobs(['prioritized'], 0, 0, true)]);
            const stamps = [...oldest, ...next].map((j) => j.timestamp).filter((t) => t > 0);
            this.set({ queue: q.name }, stamps.length ? Math.max(0, (now - Math.min(...stamps)) / 1000) : 0);
          }),
        );
      },
    });
  }

  /** The queues the gauges read (the worker's BullMQ queues). */
  watchQueues(queues: Queue[]): void {
    this.queues = queues;
  }

  vendorCall(vendor: string, operation: string, status: number, durationMs: number): void {
    this.vendorCallDuration.observe({ vendor, operation, outcome: vendorCallOutcome(status) }, durationMs / 1000);
  }
}
