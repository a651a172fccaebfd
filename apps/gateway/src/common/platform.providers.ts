import { Global, Module, type OnApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  APP_CONFIG, CredentialCipher, IdempotencyStore, TenantDb, createAppDataSource, loadErrorCatalog, type AppConfig,
} from '@bg/platform';
import { StaticErrorCatalog } from '@bg/domain';

export const APP_DB = Symbol('APP_DB');
export const ERROR_CATALOG = Symbol('ERROR_CATALOG');

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
        { provide: APP_CONFIG, useValue: config },
        { provide: APP_DB, useFactory: async () => createAppDataSource(config).initialize() },
        { provide: TenantDb, useFactory: (db: DataSource) => new TenantDb(db), inject: [APP_DB] },
        { provide: IdempotencyStore, useFactory: (db: DataSource) => new IdempotencyStore(db), inject: [APP_DB] },
        { provide: ERROR_CATALOG, useFactory: (db: DataSource): Promise<StaticErrorCatalog> => loadErrorCatalog(db), inject: [APP_DB] },
        {
          provide: CredentialCipher,
          useFactory: () => {
            if (!config.masterKey) throw new Error('MASTER_KEY is not set');
            return new CredentialCipher(config.MASTER_KEY_ID, config.masterKey, config.retiredKeys);
          },
        },
        DbCloser,
      ],
      exports: [APP_CONFIG, APP_DB, TenantDb, IdempotencyStore, ERROR_CATALOG, CredentialCipher],
    };
  }
}
