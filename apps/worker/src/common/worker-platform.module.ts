import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  APP_CONFIG,
  APP_DB,
  CredentialCipher,
  ERROR_CATALOG,
  TenantDb,
  createOwnerDataSource,
  sharedProviders,
  type AppConfig,
} from '@bg/platform';

export { APP_DB, ERROR_CATALOG };
export const SYSTEM_DB = Symbol('SYSTEM_DB');

@Injectable()
class DbCloser implements OnApplicationShutdown {
  constructor(
    @Inject(APP_DB) private readonly app: DataSource,
    @Inject(SYSTEM_DB) private readonly system: DataSource,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    for (const db of [this.app, this.system]) if (db.isInitialized) await db.destroy();
  }
}

/**
 * Worker infrastructure: the app-role DataSource (tenant work, under RLS), the owner DataSource for the
 * system-wide scans (outbox relay, reconciler), the error catalog and the credential cipher.
 */
@Global()
@Module({})
export class WorkerPlatformModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerPlatformModule,
      providers: [
        ...sharedProviders(config),
        { provide: SYSTEM_DB, useFactory: () => createOwnerDataSource(config, 3).initialize() },
        DbCloser,
      ],
      exports: [APP_CONFIG, APP_DB, SYSTEM_DB, TenantDb, ERROR_CATALOG, CredentialCipher],
    };
  }
}
