import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { AppConfig } from '@bg/platform';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { AuthGuard } from './common/auth.guard';
import { IdempotencyInterceptor } from './common/idempotency.interceptor';
import { PlatformModule } from './common/platform.providers';
import { ProblemFilter } from './common/problem.filter';
import { TenantAccess } from './common/tenant-access.service';
import { ConnectionsController } from './connections/connections.controller';
import { ConnectionsService } from './connections/connections.service';
import { ErrorsController } from './errors/errors.controller';
import { EventsController } from './events/events.controller';
import { HealthController } from './health/health.controller';
import { PartnersController } from './partners/partners.controller';
import { PoliciesController } from './policies/policies.controller';
import { PoliciesService } from './policies/policies.service';
import { ProtectedItemsController, ProtectedItemsService } from './protected-items/protected-items.controller';
import { RestoreJobsController } from './restore-jobs/restore-jobs.controller';
import { RestoreJobsService } from './restore-jobs/restore-jobs.service';
import { RestorePointsController, RestorePointsService } from './restore-points/restore-points.controller';
import { TenantsController } from './tenants/tenants.controller';
import { VendorsController } from './vendors/vendors.controller';

@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [PlatformModule.forRoot(config)],
      controllers: [
        HealthController, PartnersController, ApiKeysController, TenantsController, ConnectionsController, PoliciesController,
        ProtectedItemsController, RestorePointsController, RestoreJobsController, VendorsController, ErrorsController, EventsController,
      ],
      providers: [
        TenantAccess, ConnectionsService, PoliciesService, ProtectedItemsService, RestorePointsService, RestoreJobsService,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
    };
  }
}
