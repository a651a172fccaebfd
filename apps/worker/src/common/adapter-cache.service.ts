import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError, NotFound, systemClock, type Connection, type ErrorCatalog } from '@bg/domain';
import { createAdapter, isVendorError, type BackupVendorPort } from '@bg/adapters';
import { CredentialCipher, TenantDb, connectionRepository, type SealedSecret, type TenantTx } from '@bg/platform';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { MeteredVendorPort } from '../usage/metered-vendor-port';
import { ConnectionThrottle } from './connection-throttle';
import { VendorCallMeter } from '../usage/vendor-call-meter.service';
import { ERROR_CATALOG } from './worker-platform.module';

const cacheKey = (c: { id: string; credentialsVersion: number; endpoint: string }) => `${c.id}:${c.credentialsVersion}:${c.endpoint}`;

/**
 * One adapter per connection (and credentials version), kept for the worker's lifetime so tokens and
 * HTTP keep-alive are reused. Secrets are decrypted only here, only to build the adapter.
 */
@Injectable()
export class AdapterCache {
  private readonly adapters = new Map<string, BackupVendorPort>();
  private readonly log = new Logger(AdapterCache.name);

  constructor(
    private readonly cipher: CredentialCipher,
    @Inject(ERROR_CATALOG) private readonly catalog: ErrorCatalog,
    private readonly meter: VendorCallMeter,
    private readonly db: TenantDb,
    private readonly metrics: WorkerMetrics,
    private readonly throttle: ConnectionThrottle,
  ) {}

  /** The connection (deleted or not) and its adapter; NotFound if the tenant has no such connection. */
  async forConnection(tx: TenantTx, connectionId: string): Promise<{ adapter: BackupVendorPort; connection: Connection }> {
    const found = await connectionRepository.findWithSealedSecret(tx, connectionId);
    if (!found) throw new NotFound('connection', connectionId);
    const { connection, sealed } = found;
    const key = cacheKey(connection);
    let adapter = this.adapters.get(key);
    if (!adapter) {
      adapter = this.build(connection, sealed);
      this.adapters.set(key, adapter);
    }
    return { adapter, connection };
  }

  /**
   * The adapter already built for this version of a connection (keyed as forConnection keys it), without
   * reading the connection; undefined when none is (the caller then uses forConnection).
   */
  cached(connection: { id: string; credentialsVersion: number; endpoint: string }): BackupVendorPort | undefined {
    return this.adapters.get(cacheKey(connection));
  }

  private build(connection: Connection, sealed: SealedSecret): BackupVendorPort {
    let secret: Record<string, string>;
    try {
      secret = this.cipher.decrypt(connection.id, sealed);
    } catch {
      // Not retryable: only configuration (the right MASTER_KEY / MASTER_KEYS_RETIRED) can fix it.
      throw new DomainError(
        'INTERNAL',
        `The credentials of connection ${connection.id} cannot be decrypted with the configured master keys (key id ${sealed.keyId}).`,
      );
    }
    const metered = { id: connection.id, tenant_id: connection.tenantId, vendor: connection.vendor };
    const vendor = connection.vendor;
    // Every vendor call made through this adapter is metered for usage (vendorApiCalls) and timed (metrics).
    return new MeteredVendorPort(
      createAdapter(connection.vendor, {
        connectionId: connection.id,
        endpoint: connection.endpoint,
        credentials: { ...connection.publicCredentials, ...secret },
        clock: systemClock,
        catalog: this.catalog,
      }),
      (call, operation) => {
        this.meter.record(metered, call);
        this.metrics.vendorCall(vendor, operation, call.status, call.durationMs);
      },
      (err) => void this.markUnhealthy(connection, `${err.code}: ${err.message}`),
      (err) => {
        if (isVendorError(err)) this.metrics.vendorCallErrors.inc({ vendor, code: err.code });
      },
      // No call leaves while the connection is paused by a vendor's Retry-After (across workers).
      (signal) => this.throttle.waitOut(connection.id, signal),
    );
  }

  /** A vendor refused normal work for the connection's credentials: the connection turns unhealthy (connection.unhealthy). */
  private async markUnhealthy(connection: Connection, detail: string): Promise<void> {
    try {
      const changed = await this.db.run(connection.tenantId, (tx) => connectionRepository.markUnhealthyFromWork(tx, connection.id, detail));
      if (changed) this.log.warn(`connection ${connection.id} unhealthy: ${detail}`);
    } catch (e) {
      this.log.error(`could not mark connection ${connection.id} unhealthy: ${(e as Error).message}`);
    }
  }
}
