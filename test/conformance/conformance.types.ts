import type { VendorId, Workload } from '@bg/domain';
import type { AdapterConfig, BackupVendorPort, ItemSpec } from '@bg/adapters';
import type { SandboxControl } from '../support/sandbox';

/**
 * What one vendor's conformance entry file hands the shared suite (test/conformance/adapter-conformance.ts).
 * Each call of `setup()` must use a fresh vendor account (sandbox scope), so tests never share state.
 */
export interface ConformanceSetup {
  vendor: VendorId;
  /** Builds the adapter against the sandbox, optionally with other credentials (bad ones, for AUTH_FAILED). */
  adapter(credentials?: Record<string, string>): BackupVendorPort;
  /** The AdapterConfig used by `adapter()` (endpoint, credentials, tls) for tests that need it. */
  config: AdapterConfig;
  /** Control of this vendor account in the sandbox (faults, calls, clock). */
  control: SandboxControl;
  /** A workload this vendor protects, used for the policy tests. */
  workload: Workload;
  /** `n` distinct valid items the sandbox account knows (sites, users, mailboxes, storage accounts). */
  items(n: number): ItemSpec[];
  /** Credentials the vendor refuses. */
  badCredentials: Record<string, string>;
  /** Moves the sandbox clock so pending vendor work (protection, backups, restores) completes. */
  settle(): Promise<void>;
}

export type ConformanceFactory = () => Promise<ConformanceSetup>;
