import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { Client } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import {
  APP_CONFIG,
  OUTBOX_CHANNEL,
  QUEUES,
  jobTelemetry,
  outboxRepository,
  type AppConfig,
  type JobName,
  type JobPayloads,
  type PendingOutboxRow,
  type QueueName,
} from '@bg/platform';
import { SYSTEM_DB } from '../common/worker-platform.module';

const BATCH = 500;

type OutboxRow = PendingOutboxRow;

/** Queue priorities (by queue job id) for a batch of one job name's payloads, in the relay's transaction. */
export type Prioritizer<N extends JobName> = (tx: EntityManager, payloads: Array<JobPayloads[N]>) => Promise<Map<string, number>>;

/**
 * Moves committed outbox rows to BullMQ. One relay loop per worker process (not per job): woken by
 * LISTEN/NOTIFY on commit, with a slow poll as a safety net. Rows are claimed with SKIP LOCKED and
 * deleted in the same transaction after BullMQ accepted them; a crash in between re-sends them,
 * which the deterministic jobId makes harmless.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private listener?: Client;
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;
  private readonly queues: Record<QueueName, Queue>;
  private readonly prioritizers = new Map<JobName, Prioritizer<JobName>>();

  constructor(
    @Inject(SYSTEM_DB) private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    moduleRef: ModuleRef,
  ) {
    this.queues = Object.fromEntries(
      Object.values(QUEUES).map((name) => [name, moduleRef.get<Queue>(getQueueToken(name), { strict: false })]),
    ) as Record<QueueName, Queue>;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.listener = new Client({ connectionString: this.config.DATABASE_URL, application_name: 'backup-gateway-relay' });
    this.listener.on('error', (e) => this.logger.warn(`outbox listener error: ${e.message}`));
    await this.listener.connect();
    this.listener.on('notification', () => this.kick());
    await this.listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
    this.timer = setInterval(() => this.kick(), this.config.RELAY_POLL_MS);
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.listener?.end().catch(() => undefined);
  }

  /** Runs a drain now, or once more after the current one. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.drain()
      .catch((e) => this.logger.error(`outbox relay failed: ${(e as Error).message}`))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /**
   * Lets the owner of a job name set queue priorities for the rows of that name in each batch (restore
   * submissions: fair ranks per tenant, RestoreJobScheduler). The relay itself knows no job's rules.
   */
  prioritize<N extends JobName>(name: N, fn: Prioritizer<N>): void {
    this.prioritizers.set(name, fn as unknown as Prioritizer<JobName>);
  }

  private async priorities(tx: EntityManager, rows: OutboxRow[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [name, fn] of this.prioritizers) {
      const mine = rows.filter((r) => r.name === name);
      if (mine.length)
        for (const [jobId, p] of await fn(
          tx,
          mine.map((r) => r.payload as JobPayloads[typeof name]),
        ))
          out.set(jobId, p);
    }
    return out;
  }

  /** Relays until the outbox is empty; returns how many rows moved. */
  async drain(): Promise<number> {
    let moved = 0;
    for (;;) {
      const n = await this.db.transaction(async (tx) => {
        const rows = await outboxRepository.claim(tx, BATCH);
        if (!rows.length) return 0;
        const byQueue = new Map<QueueName, OutboxRow[]>();
        for (const r of rows) byQueue.set(r.queue, [...(byQueue.get(r.queue) ?? []), r]);
        const ranks = await this.priorities(tx, rows);
        for (const [queue, list] of byQueue) {
          await this.queues[queue].addBulk(
            list.map((r) => ({
              name: r.name,
              data: r.payload,
              // The writer's trace (payload.traceparent) becomes the job's parent span (bullmq-otel, when tracing is on).
              opts: {
                jobId: r.job_id,
                delay: r.delay_ms || undefined,
                priority: ranks.get(r.job_id),
                telemetry: jobTelemetry(r.payload.traceparent),
              },
            })),
          );
        }
        await outboxRepository.delete(
          tx,
          rows.map((r) => r.id),
        );
        return rows.length;
      });
      moved += n;
      if (n < BATCH || this.stopped) return moved;
    }
  }
}
