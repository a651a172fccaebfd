import { UnsupportedByVendor, type Operation, type VendorId, type Workload } from '@bg/domain';
import { registeredVendors, vendorDescriptor } from '@bg/adapters';
import { ProblemError } from './problem';

/** Operations the gateway performs itself, in its own database, for a vendor with capabilities.policyEmulated. */
const EMULATED_POLICY_OPERATIONS: readonly Operation[] = [
  'policy.create',
  'policy.update',
  'policy.delete',
  'policy.activate',
  'policy.deactivate',
  'protectedItem.add',
  'protectedItem.remove',
];

/**
 * Refuses an operation or workload the connection's vendor does not declare, naming both. Policy and
 * protected-item operations are allowed for a vendor whose policies the gateway emulates.
 */
export function assertVendorSupports(vendor: string, operation: Operation, workload?: Workload): void {
  if (!registeredVendors().includes(vendor as VendorId)) throw new UnsupportedByVendor(vendor, operation);
  const caps = vendorDescriptor(vendor as VendorId).capabilities;
  const emulated = caps.policyEmulated === true && EMULATED_POLICY_OPERATIONS.includes(operation);
  if (!caps.operations.includes(operation) && !emulated) throw new UnsupportedByVendor(vendor, operation);
  if (workload && !caps.workloads.includes(workload)) {
    throw ProblemError.of(
      'UNSUPPORTED_BY_VENDOR',
      `Vendor ${vendor} does not support workload ${workload} (it supports ${caps.workloads.join(', ')}).`,
      { vendor, operation, workload },
    );
  }
}

/** Refuses a restore destination the vendor does not declare (capabilities.destinations). */
export function assertVendorRestoresTo(vendor: string, destination: 'original' | 'new'): void {
  const caps = vendorDescriptor(vendor as VendorId).capabilities;
  if (!caps.destinations.includes(destination)) {
    throw ProblemError.of(
      'UNSUPPORTED_BY_VENDOR',
      `Vendor ${vendor} does not restore to destination ${destination} (it supports ${caps.destinations.join(', ')}).`,
      { vendor, operation: 'restoreJob.create', destination },
    );
  }
}

export function vendorLimits(vendor: string) {
  return vendorDescriptor(vendor as VendorId).capabilities.limits;
}
