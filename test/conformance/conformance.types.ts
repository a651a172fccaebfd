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
  /** The request header the adapter carries `CallContext.requestId` in (the vendor's client request-id header). */
  requestIdHeader: string;
  /** A workload this vendor protects, used for the policy tests. */
  workload: Workload;
  /** `n` distinct valid items the sandbox account knows (sites, users, mailboxes, storage accounts). */
  items(n: number): ItemSpec[];
  /** Credentials the vendor refuses. */
  badCredentials: Record<string, string>;
  /**
   * Moves the sandbox clock so pending vendor work (protection, backups, restores) completes. After it, every
   * protected item has had at least one successful scheduled backup (a listed run where the vendor reports runs,
   * and a restore point).
   */
  settle(): Promise<void>;

  // Optional hooks; the suite says what it does without them.

  /**
   * Makes this account's list calls answer `n` items per page, so paging is tested with few items.
   * Without it the suite creates `capabilities.limits.pageSize.default + 1` items (50 + 1 when undeclared).
   */
  pageSize?(n: number): Promise<void>;
  /**
   * Makes the vendor issue access tokens that expire (on the wall clock) after the returned number of ms,
   * for the token-expiry test, which then waits that long. Without it the suite takes a token, advances
   * the sandbox clock by 25 hours and expects the vendor to refuse that token.
   */
  shortTokens?(): Promise<number>;
  /**
   * For vendors whose port cannot create policies or add items: protects `n` items in the sandbox
   * (restore points exist after `settle()`) and returns their vendor refs.
   */
  protectedItemRefs?(n: number): Promise<string[]>;
  /** A well-formed policy ref the vendor does not have (default: a random UUID). */
  unknownPolicyRef?: string;
  /**
   * For vendors that restore files and folders only (restoreGranularity without 'wholeItem', e.g. AvePoint):
   * the paths to restore inside a protected item ("<library>/<path>"). Without it restores are whole-item.
   */
  restorePaths?(protectedItemRef: string): string[];
  /**
   * Protection health: makes the vendor's backups of these items (vendor refs) fail from now on, by the sandbox's
   * fault injection. After `settle()` the vendor reports it: a failed run or a failed item outcome in
   * listBackupRuns (vendors with backup runs), or the item's error in listProtectedItems (vendors without).
   */
  failBackups?(itemRefs: string[]): Promise<void>;
}

export type ConformanceFactory = () => Promise<ConformanceSetup>;
