import { Module, RequestMethod, type DynamicModule } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { AppConfig } from '@bg/platform';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeysService } from './api-keys/api-keys.service';
import { AuditLogController } from './audit/audit-log.controller';
import { AuditLogService } from './audit/audit-log.service';
import { AuditRecorder } from './audit/audit-recorder.service';
import { AuthGuard } from './common/auth.guard';
import { KeyUsageRecorder } from './common/key-usage.recorder';
import { ApiRateLimiter } from './common/rate-limiter';
import { GatewayRedisCloser, gatewayRedisProvider } from './common/redis.provider';
import { IdempotencyInterceptor } from './common/idempotency.interceptor';
import { BackupRunsController } from './backup-runs/backup-runs.controller';
import { BackupRunsService } from './backup-runs/backup-runs.service';
import { ProtectionController } from './protection/protection.controller';
import { PlatformModule } from './common/platform.providers';
import { ProblemFilter } from './common/problem.filter';
import { OwnerStatus } from './common/owner-status.service';
import { StatusGateGuard } from './common/status-gate.guard';
import { ApiKeyPrincipals } from './common/api-key-principals.service';
import { TenantAccess } from './common/tenant-access.service';
import { ConnectionsController } from './connections/connections.controller';
import { ConnectionsService } from './connections/connections.service';
import { ErrorsController } from './errors/errors.controller';
import { EventsController } from './events/events.controller';
import { EventsService } from './events/events.service';
import { HealthController } from './health/health.controller';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { MetricsController } from './metrics/metrics.controller';
import { PartnersController } from './partners/partners.controller';
import { PartnersService } from './partners/partners.service';
import { PoliciesController } from './policies/policies.controller';
import { PolicyRulesController } from './policy-rules/policy-rules.controller';
import { PolicyRulesService } from './policy-rules/policy-rules.service';
import { PoliciesService } from './policies/policies.service';
import { ProtectedItemsController } from './protected-items/protected-items.controller';
import { ProtectedItemsService } from './protected-items/protected-items.service';
import { RestoreJobsController } from './restore-jobs/restore-jobs.controller';
import { RestoreJobsService } from './restore-jobs/restore-jobs.service';
import { RestorePointsController } from './restore-points/restore-points.controller';
import { RestorePointsService } from './restore-points/restore-points.service';
import { TenantsController } from './tenants/tenants.controller';
import { OffboardingService } from './tenants/offboarding.service';
import { TenantsService } from './tenants/tenants.service';
import { UsageController } from './usage/usage.controller';
import { UsageService } from './usage/usage.service';
import { VendorsController } from './vendors/vendors.controller';
import { WebhookDeliveriesService } from './webhooks/webhook-deliveries.service';
import { WebhookScopes } from './webhooks/webhook-scope';
import { PartnerWebhooksController, TenantWebhooksController } from './webhooks/webhooks.controller';
import { WebhooksService } from './webhooks/webhooks.service';

@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig): DynamicModule {
    return idempotentPosts({
      module: GatewayModule,
      imports: [PlatformModule.forRoot(config)],
      controllers: [
        HealthController,
        PartnersController,
        ApiKeysController,
        TenantsController,
        ConnectionsController,
        PoliciesController,
        PolicyRulesController,
        ProtectedItemsController,
        RestorePointsController,
        RestoreJobsController,
        VendorsController,
        ErrorsController,
        EventsController,
        PartnerWebhooksController,
        TenantWebhooksController,
        UsageController,
        BackupRunsController,
        ProtectionController,
        AuditLogController,
        MetricsController,
      ],
      providers: [
        TenantAccess,
        ApiKeyPrincipals,
        OwnerStatus,
        OffboardingService,
        PartnersService,
        TenantsService,
        ApiKeysService,
        ConnectionsService,
        PoliciesService,
        PolicyRulesService,
        ProtectedItemsService,
        RestorePointsService,
        RestoreJobsService,
        WebhookScopes,
        WebhooksService,
        WebhookDeliveriesService,
        EventsService,
        UsageService,
        BackupRunsService,
        AuditLogService,
        AuditRecorder,
        gatewayRedisProvider,
        GatewayRedisCloser,
        ApiRateLimiter,
        KeyUsageRecorder,
        { provide: GatewayMetrics, useValue: new GatewayMetrics() },
        { provide: APP_GUARD, useClass: AuthGuard },
        // After AuthGuard: refuses keys of offboarded tenants and deleted partners, and writes to offboarding tenants.
        { provide: APP_GUARD, useClass: StatusGateGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
    });
  }
}

/**
 * Binds the Idempotency-Key interceptor to every POST handler of the module's controllers. Bound per
 * handler rather than globally so that other routes skip Nest's interceptor pipeline, which costs a
 * GET about a quarter of its CPU (rxjs plus two async-resource bindings per request; README, Benchmarks).
 */
function idempotentPosts(module: DynamicModule): DynamicModule {
  for (const controller of module.controllers ?? []) {
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler: unknown = Object.getOwnPropertyDescriptor(controller.prototype, name)?.value;
      if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.POST) continue;
      const bound: unknown[] = Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? [];
      if (!bound.includes(IdempotencyInterceptor))
        Reflect.defineMetadata(INTERCEPTORS_METADATA, [IdempotencyInterceptor, ...bound], handler);
    }
  }
  return module;
}
