import type { Provider } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { CredentialCipher } from '../crypto/credential-cipher';
import { createAppDataSource } from '../database/data-source';
import { loadErrorCatalog } from '../database/error-catalog.repository';
import { TenantDb } from '../tenancy/tenant-db';

export const APP_DB = Symbol('APP_DB');
export const ERROR_CATALOG = Symbol('ERROR_CATALOG');

/** Providers both apps need: config, the app-role DataSource, tenant transactions, error catalog, cipher. */
export function sharedProviders(config: AppConfig): Provider[] {
  return [
    { provide: APP_CONFIG, useValue: config },
    { provide: APP_DB, useFactory: () => createAppDataSource(config).initialize() },
    { provide: TenantDb, useFactory: (db: DataSource) => new TenantDb(db), inject: [APP_DB] },
    { provide: ERROR_CATALOG, useFactory: (db: DataSource) => loadErrorCatalog(db), inject: [APP_DB] },
    {
      provide: CredentialCipher,
      useFactory: () => {
        if (!config.masterKey) throw new Error('MASTER_KEY is not set');
        return new CredentialCipher(config.MASTER_KEY_ID, config.masterKey, config.retiredKeys);
      },
    },
  ];
}
