import { Global, Module, type OnApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  APP_CONFIG,
  APP_DB,
  CredentialCipher,
  ERROR_CATALOG,
  IdempotencyStore,
  TenantDb,
  sharedProviders,
  type AppConfig,
} from '@bg/platform';

export { APP_DB, ERROR_CATALOG };

@Injectable()
class DbCloser implements OnApplicationShutdown {
  constructor(@Inject(APP_DB) private readonly db: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.db.isInitialized) await this.db.destroy();
  }
}

/** Shared infrastructure for the gateway: config, the app-role DataSource, tenant transactions, cipher. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig) {
    return {
      module: PlatformModule,
      providers: [
        ...sharedProviders(config),
        { provide: IdempotencyStore, useFactory: (db: DataSource) => new IdempotencyStore(db), inject: [APP_DB] },
        DbCloser,
      ],
      exports: [APP_CONFIG, APP_DB, TenantDb, IdempotencyStore, ERROR_CATALOG, CredentialCipher],
    };
  }
}
