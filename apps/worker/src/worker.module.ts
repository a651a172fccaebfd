import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import Redis from 'ioredis';
import { QUEUES, type AppConfig } from '@bg/platform';
import { AdapterCache } from './common/adapter-cache.service';
import { ConnectionThrottle } from './common/connection-throttle';
import { DEFAULT_JOB_OPTIONS } from './common/queue-options';
import { WorkerPlatformModule } from './common/worker-platform.module';
import { BackupsProcessor } from './backups/backups.processor';
import { OnDemandBackupService } from './backups/on-demand-backup.service';
import { ProtectionHealthService } from './backups/protection-health.service';
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
  static forRoot(config: AppConfig): DynamicModule {
    const redis = new URL(config.REDIS_URL);
    return {
      module: WorkerModule,
      imports: [
        WorkerPlatformModule.forRoot(config),
        BullModule.forRoot({
          connection: {
            host: redis.hostname,
            port: Number(redis.port || 6379),
            username: redis.username || undefined,
            password: redis.password || undefined,
            db: Number(redis.pathname.slice(1) || 0),
            tls: redis.protocol === 'rediss:' ? {} : undefined,
          },
          prefix: config.QUEUE_PREFIX,
          defaultJobOptions: DEFAULT_JOB_OPTIONS,
        }),
        ...Object.values(QUEUES).map((name) => BullModule.registerQueue({ name })),
      ],
      providers: [
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
          useFactory: () => new ConnectionThrottle(new Redis(config.REDIS_URL, { maxRetriesPerRequest: null }), config.QUEUE_PREFIX),
        },
      ],
    };
  }
}
