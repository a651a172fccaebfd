import type { Server } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { APP_CONFIG, QUEUES, startMetricsServer, type AppConfig } from '@bg/platform';
import { WorkerMetrics } from './worker-metrics';

/** Serves the worker's registry at GET /metrics on WORKER_METRICS_PORT (METRICS_HOST, loopback by default). */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('WorkerMetrics');
  private server?: Server;
  /** The port listened on (WORKER_METRICS_PORT, or the one picked for 0). */
  port?: number;

  constructor(
    private readonly metrics: WorkerMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.metrics.watchQueues(Object.values(QUEUES).map((name) => this.moduleRef.get<Queue>(getQueueToken(name), { strict: false })));
    const { server, port } = await startMetricsServer(this.metrics.registry, this.config.METRICS_HOST, this.config.WORKER_METRICS_PORT);
    this.server = server;
    this.port = port;
    this.log.log(`metrics on http://${this.config.METRICS_HOST}:${port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}
