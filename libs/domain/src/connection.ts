import type { ConnectionHealth } from './model';
import type { VendorId } from './vendor';

/**
 * A tenant's account at one vendor. Carries only the non-secret credential fields: the secret ones
 * are stored encrypted beside the row and decrypted only by the worker, to build an adapter.
 */
export interface Connection {
  id: string;
  tenantId: string;
  vendor: VendorId;
  displayName: string;
  /** The vendor's base URL the adapter is pointed at. */
  endpoint: string;
  /** The credential fields the vendor declares non-secret (tenant id, client id ...). */
  publicCredentials: Record<string, string>;
  /** Bumped when the credentials change; adapters are cached per version. */
  credentialsVersion: number;
  health: ConnectionHealth;
  healthDetail: string | null;
  lastVerifiedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Set when the connection is deleted (soft delete); deleted connections are not listed. */
  deletedAt: Date | null;
}
