import type { VendorSandbox } from './support';
import { AvePointSandbox } from './avepoint/avepoint.sandbox';
import { AzureDataProtectionSandbox } from './azure-dataprotection/azure.sandbox';
import { GraphSandbox } from './graph/graph.sandbox';
import { VeeamSandbox } from './veeam/veeam.sandbox';

/** The simulated vendors; one line per vendor. */
export function allVendorSandboxes(): VendorSandbox[] {
  return [
    new AvePointSandbox(),
    new AzureDataProtectionSandbox(),
    new GraphSandbox(),
    new VeeamSandbox(),
  ];
}
