import type { VendorSandbox } from './support';

/** The simulated vendors; one line per vendor. */
export function allVendorSandboxes(): VendorSandbox[] {
  return [];
}
