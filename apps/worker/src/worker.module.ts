import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { BullMQOtel } from 'bullmq-otel';
import { createRedisClient, QUEUES, type AppConfig, type queueConnection } from '@bg/platform';
import { tracingEnabled } from '@bg/platform/telemetry/tracing';
import { AdapterCache } from './common/adapter-cache.service';
import { ConnectionThrottle } from './common/connection-throttle';
import { DEFAULT_JOB_OPTIONS } from './common/queue-options';
import { WorkerPlatformModule } from './common/worker-platform.module';
import { BackupsProcessor } from './backups/backups.processor';
import { OnDemandBackupService } from './backups/on-demand-backup.service';
import { ProtectionHealthService } from './backups/protection-health.service';
import { WorkerMetricsServer } from './metrics/metrics-server.service';
import { WorkerMetrics } from './metrics/worker-metrics';
import { ConnectionsProcessor } from './connections/connections.processor';
import { MaintenanceProcessor } from './maintenance/maintenance.processor';
import { OutboxRelay } from './outbox/outbox-relay.service';
import { PoliciesProcessor } from './policies/policies.processor';
import { PolicyRefreshService } from './policies/policy-refresh.service';
import { PolicySyncService } from './policies/policy-sync.service';
import { PolicyRuleSyncService } from './policy-rules/policy-rule-sync.service';
import { PolicyRulesProcessor } from './policy-rules/policy-rules.processor';
import { RestoreJobRunner } from './restore-jobs/restore-job.runner';
import { RestoreJobScheduler } from './restore-jobs/restore-job.scheduler';
import { RestoreJobsProcessor } from './restore-jobs/restore-jobs.processor';
import { TenantsProcessor } from './tenants/tenants.processor';
import { WebhookDeliveryService } from './webhooks/webhook-delivery.service';
import { WebhookFanoutService } from './webhooks/webhook-fanout.service';
import { WebhookSender } from './webhooks/webhook-sender';
import { WebhooksProcessor } from './webhooks/webhooks.processor';
import { UsageProcessor } from './usage/usage.processor';
import { VendorCallMeter } from './usage/vendor-call-meter.service';

@Module({})
export class WorkerModule {
  /** `queues` is the BullMQ connection (queueConnection(config)); its owner closes it after the app. */
  static forRoot(config: AppConfig, queues: ReturnType<typeof queueConnection>): DynamicModule {
    const metrics = new WorkerMetrics();
    return {
      module: WorkerModule,
      imports: [
        WorkerPlatformModule.forRoot(config),
        BullModule.forRoot({
          connection: queues.connection,
          prefix: config.QUEUE_PREFIX,
          defaultJobOptions: DEFAULT_JOB_OPTIONS,
          // Queue and worker spans; a job's parent is the API request's span (outbox traceparent, see OutboxRelay).
          telemetry: tracingEnabled() ? new BullMQOtel({ tracerName: 'backup-gateway' }) : undefined,
        }),
        ...Object.values(QUEUES).map((name) => BullModule.registerQueue({ name })),
      ],
      providers: [
        { provide: WorkerMetrics, useValue: metrics },
        WorkerMetricsServer,
        AdapterCache,
        RestoreJobRunner,
        RestoreJobScheduler,
        PolicySyncService,
        PolicyRefreshService,
        OutboxRelay,
        RestoreJobsProcessor,
        PoliciesProcessor,
        PolicyRuleSyncService,
        PolicyRulesProcessor,
        ConnectionsProcessor,
        MaintenanceProcessor,
        TenantsProcessor,
        WebhookFanoutService,
        WebhookDeliveryService,
        WebhooksProcessor,
        {
          provide: WebhookSender,
          useFactory: () => new WebhookSender({ allowLocal: config.WEBHOOK_ALLOW_LOCAL_URLS, timeoutMs: config.WEBHOOK_TIMEOUT_MS }),
        },
        VendorCallMeter,
        UsageProcessor,
        ProtectionHealthService,
        OnDemandBackupService,
        BackupsProcessor,
        {
          provide: ConnectionThrottle,
          useFactory: () =>
            new ConnectionThrottle(createRedisClient(config, { maxRetriesPerRequest: null }), config.QUEUE_PREFIX, (vendor, seconds) =>
              metrics.throttleWait.observe({ vendor }, seconds),
            ),
        },
      ],
    };
  }
}
