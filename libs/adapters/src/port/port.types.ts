import type {
  BackupRunStatus,
  Capabilities,
  Clock,
  ErrorCatalog,
  ProtectedItemKind,
  RestoreDestination,
  VendorItemOutcome,
  VendorRestoreProgress,
  VendorRestoreState,
  Workload,
} from '@bg/domain';

/**
 * Per-call context of one port method call, built by the caller (the worker, from the job payload). Every
 * adapter honours every field; `{}` is valid and means "no id, no cancellation, no hook".
 */
export interface CallContext {
  /**
   * Our request id (the API request or job that caused the call). Sent to the vendor on every request in
   * the vendor's client request-id header (Graph `client-request-id`, ARM `x-ms-client-request-id`, Veeam
   * and AvePoint `x-request-id`), so a support case at the vendor can find our calls.
   */
  requestId?: string;
  /**
   * Aborts the call. Already aborted: the method rejects before any vendor request; aborted in flight: the
   * HTTP request is aborted. Either way with VendorError VENDOR_UNAVAILABLE, retryable (`mayHaveApplied`
   * when a write had been sent). Token requests, shared by concurrent calls, do not take the signal.
   */
  signal?: AbortSignal;
  /** The tenant the call is made for (logs, metering); adapters never send it to the vendor. */
  tenantId?: string;
  /** Told about every HTTP call made, token requests included (for usage metering and logs). */
  onVendorCall?: (call: VendorCallRecord) => void;
  /**
   * Awaited before every HTTP request to the vendor (the worker waits out its connection's Retry-After
   * pause, shared across workers, so no call leaves while a vendor asked us to wait).
   */
  beforeVendorCall?: () => Promise<void>;
}

export interface VendorCallRecord {
  method: string;
  path: string;
  status: number;
  durationMs: number;
  vendorRequestId?: string;
}

/** A page of results; `next` is an opaque token to pass back, absent on the last page. */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** Everything an adapter is built from. Credentials are already decrypted; never log them. */
export interface AdapterConfig {
  connectionId: string;
  /** The vendor base URL (the real vendor in production, a sandbox in tests). */
  endpoint: string;
  /** Vendor-specific credential fields, validated by the vendor's credential schema. */
  credentials: Record<string, string>;
  /** Per-connection TLS trust (Veeam's self-signed servers): a CA PEM or a pinned SHA-256 fingerprint. */
  tls?: { caCertPem?: string; pinnedSha256?: string };
  clock: Clock;
  catalog: ErrorCatalog;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number;
}

/** A vendor's protection policy, as the vendor has it. */
export interface VendorPolicy {
  vendorRef: string;
  workload: Workload;
  displayName: string;
  active: boolean;
  vendorStatus: string;
}

/** What to protect: the workload's own id of a site, drive, mailbox, team or storage account. */
export interface ItemSpec {
  kind: ProtectedItemKind;
  externalId: string;
  displayName?: string;
}

export interface PolicySpec {
  workload: Workload;
  displayName: string;
  items: ItemSpec[];
  /** Vendor-specific settings the user passed through (schedule, retention), validated by capabilities. */
  settings?: Record<string, unknown>;
}

export interface VendorProtectedItem {
  vendorRef: string;
  kind: ProtectedItemKind;
  externalId: string;
  vendorStatus: string;
  /** True once the vendor reports the item protected. */
  protected: boolean;
  sizeBytes?: number;
  /** Set when the vendor refused this one item (per-item errors of a batch). */
  error?: { code: string; vendorCode?: string; message: string };
  /**
   * The vendor no longer protects the item although it still lists it (Graph `unprotectRequested`, `offboarded`,
   * `removeRequested`; a backup instance whose protection was stopped). Absent: false.
   */
  unprotected?: boolean;
  /** When the vendor last backed the item up (any outcome) / last backed it up successfully, where it reports it per item. */
  lastBackupAt?: Date;
  lastSuccessfulBackupAt?: Date;
}

export interface VendorRestorePoint {
  vendorRef: string;
  /** The vendor's id of the protected item this point belongs to. */
  protectedItemRef: string;
  pointInTime: Date;
  expiresAt?: Date;
  tags: string[];
}

export interface RestorePointQuery {
  /** Vendor ids of protected items (at most what the vendor accepts in one call; the adapter splits). */
  protectedItemRefs: string[];
  from?: Date;
  to?: Date;
}

/** One thing to restore, already resolved to the vendor's ids by the worker. */
export interface RestoreItemRequest {
  restorePointRef: string;
  protectedItemRef: string;
  /** The workload's own id of the protected item (site id, UPN, mailbox, ARM id). */
  externalId: string;
  pointInTime: Date;
  paths?: string[];
}

export interface RestoreRequest {
  /** Our restore job id; adapters may send it to the vendor as a client reference for reconciliation. */
  clientRef: string;
  workload: Workload;
  destination: RestoreDestination;
  items: RestoreItemRequest[];
  /** Vendor-neutral target for destination 'new' (e.g. a target site URL or storage account). */
  target?: Record<string, string>;
}

/** The vendor's handle on a restore operation, stored on our job (opaque to everything but the adapter). */
export interface VendorOperationRef {
  vendorRef: string;
  /** Extra ids the adapter needs later (session ids, job ids, polling URLs). JSON-serializable. */
  extra?: Record<string, string>;
}

/** The vendor's state of a restore, vendor-neutral (the domain's progress -> status rule reads it). */
export type RestoreState = VendorRestoreState;

/** The domain's view of a vendor's progress report, plus what only the port carries. */
export interface RestoreProgress extends VendorRestoreProgress {
  items?: Array<VendorItemOutcome & { restoredBytes?: number }>;
  /** A hint from the vendor for the next poll (Retry-After of an async operation). */
  retryAfterMs?: number;
}

/**
 * A policy rule (dynamic protection): the vendor adds to the policy every item of the workload whose owner is a
 * member of one of `groupIds` (directory group ids, e.g. Entra ID group object ids).
 */
export interface PolicyRuleSpec {
  groupIds: string[];
}

/** Where a rule stands at the vendor: applying, applied (completed / with errors), or being deleted. */
export type VendorPolicyRuleState = 'pending' | 'running' | 'completed' | 'completedWithErrors' | 'deleting';

export interface VendorPolicyRule {
  vendorRef: string;
  state: VendorPolicyRuleState;
  vendorStatus: string;
  /** The vendor's error for a rule that did not apply cleanly. */
  error?: { code: string; vendorCode?: string; message: string };
}

/** One item's outcome in a backup run, by the vendor's item ref (VendorProtectedItem.vendorRef). */
export interface VendorBackupRunItem {
  itemRef: string;
  status: BackupRunStatus;
  error?: { code: string; vendorCode?: string; message: string };
}

/**
 * One backup run at the vendor (Veeam job session, Azure backup job, AvePoint backup job). Times are the vendor's.
 * `items` lists the items the run covered with their outcome; absent when the vendor reports only the whole run
 * (then the run counts for every item of its policy, or for `itemRef` when set).
 */
export interface VendorBackupRun {
  vendorRef: string;
  /** The vendor's policy the run belongs to (job id, policy id), when it reports it. */
  policyRef?: string;
  /** The one item the run covers (per-item vendors: the Azure backup instance). */
  itemRef?: string;
  status: BackupRunStatus;
  vendorStatus: string;
  startedAt?: Date;
  endedAt?: Date;
  itemsProcessed?: number;
  bytesProcessed?: number;
  error?: { code: string; vendorCode?: string; message: string };
  items?: VendorBackupRunItem[];
  /** The vendor marks the run as started by hand / ad hoc rather than by its schedule. */
  onDemand?: boolean;
}

/** Which runs to list: those of one policy (and, per-item vendors, of these items) started at or after `since`. */
export interface BackupRunQuery {
  policyRef: string;
  /** Vendor refs of the policy's live items (per-item vendors list runs per item; the adapter splits). */
  itemRefs: string[];
  since?: Date;
}

/** What to back up now: a whole policy, or one of its items (`capabilities.health.onDemandBackup`). */
export interface BackupTarget {
  /** Our backup run id; adapters may send it as a client reference. */
  clientRef: string;
  policyRef: string;
  itemRef?: string;
}

/** A backup the vendor has started: the ref to follow it by and the run as first seen (vendorRef may be '' at first). */
export interface StartedBackup {
  ref: VendorOperationRef;
  run: VendorBackupRun;
}

/** Backup storage the vendor account uses (Veeam backup repositories), for usage reporting. */
export interface VendorStorageUsage {
  /** Bytes used by this account's backups across the repositories below. */
  usedBytes: number;
  repositories: Array<{ vendorRef: string; displayName: string; usedBytes: number; capacityBytes?: number; freeBytes?: number }>;
}

export interface VerifyResult {
  ok: boolean;
  detail: string;
}

export type { Capabilities };
