import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { StaticErrorCatalog } from '@bg/domain';
import {
  APP_CONFIG, CredentialCipher, TenantDb, createAppDataSource, createOwnerDataSource, loadErrorCatalog, type AppConfig,
} from '@bg/platform';

export const APP_DB = Symbol('APP_DB');
export const SYSTEM_DB = Symbol('SYSTEM_DB');
export const ERROR_CATALOG = Symbol('ERROR_CATALOG');

@Injectable()
class DbCloser implements OnApplicationShutdown {
  constructor(@Inject(APP_DB) private readonly app: DataSource, @Inject(SYSTEM_DB) private readonly system: DataSource) {}
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
        { provide: APP_CONFIG, useValue: config },
        { provide: APP_DB, useFactory: () => createAppDataSource(config).initialize() },
        { provide: SYSTEM_DB, useFactory: () => createOwnerDataSource(config, 3).initialize() },
        { provide: TenantDb, useFactory: (db: DataSource) => new TenantDb(db), inject: [APP_DB] },
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
      exports: [APP_CONFIG, APP_DB, SYSTEM_DB, TenantDb, ERROR_CATALOG, CredentialCipher],
    };
  }
}
