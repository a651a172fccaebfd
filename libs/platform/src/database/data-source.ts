import { DataSource } from 'typeorm';
import { appDatabaseUrl, type AppConfig } from '../config/config';
import { MIGRATIONS } from '../migrations';

/** The owner connection: runs migrations and the system-wide scans (outbox relay, reconciler). */
export function createOwnerDataSource(config: AppConfig, poolSize = 5): DataSource {
  return new DataSource({
    type: 'postgres',
    url: config.DATABASE_URL,
    entities: [],
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: { max: poolSize, application_name: 'backup-gateway-system' },
  });
}

/** The app connection: the non-owner role that row-level security applies to. */
export function createAppDataSource(config: AppConfig): DataSource {
  return new DataSource({
    type: 'postgres',
    url: appDatabaseUrl(config),
    entities: [],
    synchronize: false,
    logging: false,
    extra: { max: config.DATABASE_POOL_SIZE, application_name: 'backup-gateway' },
  });
}
