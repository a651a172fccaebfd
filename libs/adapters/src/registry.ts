import type { Capabilities, VendorId } from '@bg/domain';
import type { AdapterConfig, BackupVendorPort } from './port';
import { graphDescriptor } from './graph/graph.adapter';
import { avepointDescriptor } from './avepoint/avepoint.adapter';
import { azureDataProtectionDescriptor } from './azure-dataprotection/azure-dataprotection.adapter';
import { veeamDescriptor } from './veeam/veeam.adapter';

/** A credential field a connection of this vendor takes. `secret` fields are never returned or logged. */
export interface CredentialField {
  name: string;
  required: boolean;
  secret: boolean;
  description: string;
}

/** Everything the apps need to know about one vendor. */
export interface VendorDescriptor {
  capabilities: Capabilities;
  /** The real vendor's base URL, used when a connection gives no endpoint. */
  defaultEndpoint: string;
  credentialFields: CredentialField[];
  create(config: AdapterConfig): BackupVendorPort;
}

/** vendor id -> descriptor: the only list of vendors in the code. One line per vendor. */
const VENDORS: Partial<Record<VendorId, VendorDescriptor>> = {
  graph: graphDescriptor,
  avepoint: avepointDescriptor,
  'azure-dataprotection': azureDataProtectionDescriptor,
  veeam: veeamDescriptor,
};

export function vendorDescriptor(vendor: VendorId): VendorDescriptor {
  const d = VENDORS[vendor];
  if (!d) throw new Error(`No adapter registered for vendor ${vendor}`);
  return d;
}

export function createAdapter(vendor: VendorId, config: AdapterConfig): BackupVendorPort {
  return vendorDescriptor(vendor).create(config);
}

export function registeredVendors(): VendorId[] {
  return Object.keys(VENDORS) as VendorId[];
}
