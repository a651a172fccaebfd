import type { Capabilities } from '@bg/domain';
import type { BackupVendorPort } from './backup-vendor.port';
import type { AdapterConfig } from './port.types';

/** A credential field a connection of this vendor takes. `secret` fields are never returned or logged. */
export interface CredentialField {
  name: string;
  required: boolean;
  secret: boolean;
  description: string;
}

/**
 * Everything the apps need to know about one vendor. Each vendor folder exports one
 * (`<vendor>.adapter.ts`); `registry.ts` maps vendor ids to them.
 */
export interface VendorDescriptor {
  capabilities: Capabilities;
  /** The real vendor's base URL, used when a connection gives no endpoint. */
  defaultEndpoint: string;
  credentialFields: CredentialField[];
  create(config: AdapterConfig): BackupVendorPort;
}
