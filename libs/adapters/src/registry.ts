import type { VendorId } from '@bg/domain';
import type { AdapterConfig, BackupVendorPort, VendorDescriptor } from './port';
import { avepointDescriptor } from './avepoint/avepoint.adapter';
import { azureDataProtectionDescriptor } from './azure-dataprotection/azure-dataprotection.adapter';
import { graphDescriptor } from './graph/graph.adapter';
import { veeamDescriptor } from './veeam/veeam.adapter';

/**
 * vendor id -> descriptor: the only list of vendors in the code, one line per vendor. A `Record` over
 * every VendorId: an id in VENDOR_IDS (libs/domain/src/vendor.ts) without a line here does not compile.
 */
const VENDORS: Record<VendorId, VendorDescriptor> = {
  graph: graphDescriptor,
  avepoint: avepointDescriptor,
  'azure-dataprotection': azureDataProtectionDescriptor,
  veeam: veeamDescriptor,
};

export function vendorDescriptor(vendor: VendorId): VendorDescriptor {
  // Callers may hold an unchecked string typed as VendorId (e.g. a database row).
  const d = Object.hasOwn(VENDORS, vendor) ? VENDORS[vendor] : undefined;
  if (!d) throw new Error(`No adapter registered for vendor ${vendor}`);
  return d;
}

export function createAdapter(vendor: VendorId, config: AdapterConfig): BackupVendorPort {
  return vendorDescriptor(vendor).create(config);
}

export function registeredVendors(): VendorId[] {
  return Object.keys(VENDORS) as VendorId[];
}
