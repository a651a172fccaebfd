import { Inject, Injectable } from '@nestjs/common';
import { DomainError, NotFound, systemClock, type ErrorCatalog, type VendorId } from '@bg/domain';
import { createAdapter, type BackupVendorPort } from '@bg/adapters';
import { CredentialCipher, type TenantTx } from '@bg/platform';
import { MeteredVendorPort } from '../usage/metered-vendor-port';
import { VendorCallMeter } from '../usage/vendor-call-meter.service';
import { ERROR_CATALOG } from './worker-platform.module';

export interface ConnectionRecord {
  id: string;
  tenant_id: string;
  vendor: VendorId;
  endpoint: string;
  public_credentials: Record<string, string>;
  secret_ciphertext: Buffer;
  secret_wrapped_key: Buffer;
  secret_key_id: string;
  credentials_version: number;
}

/**
 * One adapter per connection (and credentials version), kept for the worker's lifetime so tokens and
 * HTTP keep-alive are reused. Secrets are decrypted only here, only to build the adapter.
 */
@Injectable()
export class AdapterCache {
  private readonly adapters = new Map<string, BackupVendorPort>();

  constructor(
    private readonly cipher: CredentialCipher,
    @Inject(ERROR_CATALOG) private readonly catalog: ErrorCatalog,
    private readonly meter: VendorCallMeter,
  ) {}

  async forConnection(tx: TenantTx, connectionId: string): Promise<{ adapter: BackupVendorPort; connection: ConnectionRecord }> {
    const [connection] = await tx.query('SELECT * FROM connections WHERE id = $1', [connectionId]) as ConnectionRecord[];
    if (!connection) throw new NotFound('connection', connectionId);
    const key = `${connection.id}:${connection.credentials_version}:${connection.endpoint}`;
    let adapter = this.adapters.get(key);
    if (!adapter) {
      let secret: Record<string, string>;
      try {
        secret = this.cipher.decrypt(connection.id, {
          ciphertext: connection.secret_ciphertext, wrappedKey: connection.secret_wrapped_key, keyId: connection.secret_key_id,
        });
      } catch {
        // Not retryable: only configuration (the right MASTER_KEY / MASTER_KEYS_RETIRED) can fix it.
        throw new DomainError('INTERNAL', `The credentials of connection ${connection.id} cannot be decrypted with the configured master keys (key id ${connection.secret_key_id}).`);
      }
      // Every vendor call made through this adapter is metered for usage (vendorApiCalls).
      adapter = new MeteredVendorPort(createAdapter(connection.vendor, {
        connectionId: connection.id, endpoint: connection.endpoint, credentials: { ...connection.public_credentials, ...secret },
        clock: systemClock, catalog: this.catalog,
      }), (call) => this.meter.record(connection, call));
      this.adapters.set(key, adapter);
    }
    return { adapter, connection };
  }
}
