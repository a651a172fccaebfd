import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { appDatabaseUrl, type AppConfig } from '../config/config';
import { MIGRATIONS } from '../migrations';

/**
 * The pool's client class. node-postgres emits 'error' on a client whose server connection dies while the
 * client is checked out but idle between queries (mid-transaction, awaiting other work); the pool only
 * listens on idle clients, so without a listener that event crashed the process — every worker died
 * when Postgres restarted (postgres-restart drill). The failure still surfaces: the client is no longer
 * queryable, its next query rejects, and the pool discards it on release.
 */
export class GuardedPgClient extends Client {
  constructor(config?: ConstructorParameters<typeof Client>[0]) {
    super(config);
    this.on('error', () => undefined);
  }
}

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
    extra: { max: poolSize, application_name: 'backup-gateway-system', Client: GuardedPgClient },
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
    extra: { max: config.DATABASE_POOL_SIZE, application_name: 'backup-gateway', Client: GuardedPgClient },
  });
}
