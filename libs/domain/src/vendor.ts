/** Vendor ids as they appear in the API, the database and the adapter registry. */
export const VENDOR_IDS = ['graph', 'avepoint', 'veeam', 'azure-dataprotection'] as const;
export type VendorId = (typeof VENDOR_IDS)[number];

export function isVendorId(value: unknown): value is VendorId {
  return typeof value === 'string' && (VENDOR_IDS as readonly string[]).includes(value);
}

/** The workloads a policy protects; vendor-neutral names. `groups`: Microsoft 365 Groups (a group's site content). */
export const WORKLOADS = ['sharepoint', 'onedrive', 'exchange', 'teams', 'groups', 'azureBlob'] as const;
export type Workload = (typeof WORKLOADS)[number];

/** Vendor-neutral operations a vendor may or may not support (declared in its capabilities). */
export const OPERATIONS = [
  'policy.create',
  'policy.update',
  'policy.delete',
  'policy.activate',
  'policy.deactivate',
  'protectedItem.add',
  'protectedItem.remove',
  'restorePoint.list',
  'restoreJob.create',
  'restoreJob.cancel',
  // Policy rules (dynamic protection): the vendor adds the items matching a rule to the policy.
  'policyRule.create',
  'policyRule.delete',
  // Protection health: the vendor reports backup runs; a backup can be started on demand.
  'backupRun.list',
  'backup.start',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export type RestoreGranularity = 'wholeItem' | 'filesAndFolders' | 'pointInTime' | 'mailItems';

/** What a vendor supports and its documented limits, as data (served at GET /v1/vendors). */
export interface Capabilities {
  vendor: VendorId;
  displayName: string;
  operations: Operation[];
  workloads: Workload[];
  restoreGranularity: RestoreGranularity[];
  destinations: Array<'original' | 'new'>;
  /**
   * The vendor has no policy API: the gateway keeps policies and their items itself (only in its own
   * database) and treats each item's externalId as the vendor's item ref when listing restore points.
   * The policy and protected-item operations are then allowed although `operations` lacks them.
   */
  policyEmulated?: boolean;
  limits: {
    /** Max protected items the vendor accepts in one request (the adapter splits above it). */
    protectedItemsPerRequest?: number;
    /** Max items in one restore job (the gateway refuses above it with LIMIT_EXCEEDED). */
    restoreItemsPerJob?: number;
    /** Max restore jobs running at the vendor at once per vendor account (the worker queues above it). */
    concurrentRestoreJobs?: number;
    /**
     * One restore of a protected item at a time per vendor account: a second restore of an item that is
     * being restored is refused by the vendor, so the worker keeps it queued until the first ends.
     */
    oneRestorePerItem?: boolean;
    /**
     * The vendor's restore takes no client reference and has no draft step, so after a crash around the
     * start the worker can tell its own restore only by its start time among the account's restores. The
     * worker then starts one restore at a time per connection: the next start waits until the previous
     * one's vendor ref is recorded, so at most one start of a connection is ever unaccounted for.
     */
    serialRestoreStarts?: boolean;
    /** Max active policies per workload. */
    activePoliciesPerWorkload?: number;
    /** Max file/folder paths per restore job. */
    pathsPerRestoreJob?: number;
    /** Default / max page size of the vendor's list calls. */
    pageSize?: { default: number; max: number };
  };
  /** What the vendor tells about backups, and the default recovery point objective judged against. */
  health: HealthCapabilities;
  /**
   * Usage the vendor reports in its own billing unit, sampled from it for the usage report (absent: none):
   * licensedUsers (Veeam's licensed users) and storageBytes (backup storage used).
   */
  usageSamples?: readonly VendorUsageSample[];
  /** Source of each limit, for humans. */
  notes?: string[];
}

export const VENDOR_USAGE_SAMPLES = ['licensedUsers', 'storageBytes'] as const;
export type VendorUsageSample = (typeof VENDOR_USAGE_SAMPLES)[number];

/**
 * How protection health is known for a vendor (GET /v1/vendors shows it). A vendor without runs (`backupRuns:
 * 'none'`) is judged from its items' status and the recency of their restore points alone.
 */
export interface HealthCapabilities {
  /**
   * How the vendor reports backup runs: one run per policy (a job run, with per-item outcomes where the vendor
   * gives them), one run per protected item, or none at all.
   */
  backupRuns: 'perPolicy' | 'perItem' | 'none';
  /** What `POST .../backup` starts: one item's backup, the whole policy's (the vendor runs whole jobs), or nothing. */
  onDemandBackup: 'item' | 'policy' | 'none';
  /** The RPO a policy without its own `rpoMinutes` is judged against (the vendor's default schedule plus slack). */
  defaultRpoMinutes: number;
  /** Where the health facts come from and the source of the default, for humans. */
  notes: string[];
}
