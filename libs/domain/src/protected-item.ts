import type { BackupRunStatus } from './backup-run';
import type { ProtectionState } from './protection-health';
import { oneOf, stateMachine } from './state-machine';
import type { Workload } from './vendor';

/**
 * Protected item lifecycle:
 *   pending (added, not yet at the vendor) -> protected | failed, as the vendor reports it (and back: a
 *   failed item the vendor later protects is protected, a protected one it reports an error for is failed);
 *   pending | protected | failed -> removing (at the vendor) -> removed, or straight to removed when the
 *   vendor never had it; every item of a deleted policy -> removed.
 */
export const PROTECTED_ITEM_STATUSES = ['pending', 'protected', 'removing', 'removed', 'failed'] as const;
export type ProtectedItemStatus = (typeof PROTECTED_ITEM_STATUSES)[number];

/** No way out: a removed item stays removed (adding the same external id again makes a new item). */
export const TERMINAL_PROTECTED_ITEM_STATUSES = ['removed'] as const satisfies readonly ProtectedItemStatus[];

/** Statuses the vendor's view of an item is applied to (a removal under way or done is ours, not the vendor's). */
export const VENDOR_TRACKED_ITEM_STATUSES = ['pending', 'protected', 'failed'] as const satisfies readonly ProtectedItemStatus[];

/** Removal asked or done: removing the item again changes nothing. */
export const REMOVAL_ITEM_STATUSES = ['removing', 'removed'] as const satisfies readonly ProtectedItemStatus[];

/**
 * Every move the code makes, by the rule that makes it:
 *   the vendor's view         pending | protected | failed -> protected | failed
 *   removal asked             pending | protected | failed -> removing (vendor has it) | removed (it does not)
 *   removed at the vendor     removing -> removed
 *   policy deleted            anything -> removed
 */
const TRANSITIONS: Record<ProtectedItemStatus, readonly ProtectedItemStatus[]> = {
  pending: ['protected', 'failed', 'removing', 'removed'],
  protected: ['failed', 'removing', 'removed'],
  failed: ['protected', 'removing', 'removed'],
  removing: ['removed'],
  removed: [],
};

const includes = oneOf;
const machine = stateMachine('protected item', TRANSITIONS, { stayAllowed: true });

export function isProtectedItemStatus(value: unknown): value is ProtectedItemStatus {
  return typeof value === 'string' && includes(PROTECTED_ITEM_STATUSES, value);
}

/** Live: not removed. Live items count in a policy's itemCount and are listed by default. */
export function isProtectedItemLive(status: ProtectedItemStatus): boolean {
  return !includes(TERMINAL_PROTECTED_ITEM_STATUSES, status);
}

export const canProtectedItemTransition = machine.can;

/** Throws NOT_ALLOWED_IN_STATE unless `from -> to` is a legal move (staying put always is). */
export const assertProtectedItemTransition = machine.assert;

/** What the vendor reports of one item (the adapters' VendorProtectedItem has this shape). */
export interface VendorItemState {
  /** Matches our item by the workload's own id. */
  externalId: string;
  vendorRef: string;
  vendorStatus: string;
  protected: boolean;
  sizeBytes?: number;
  /** The vendor refused this one item. */
  error?: { code: string; message: string };
  /** The vendor lists the item but no longer protects it. */
  unprotected?: boolean;
  lastBackupAt?: Date;
  lastSuccessfulBackupAt?: Date;
}

/**
 * The status the vendor's view gives an item (in VENDOR_TRACKED_ITEM_STATUSES): failed when it refused
 * the item, protected once it protects it, otherwise undefined: the item keeps its status.
 */
export function protectedItemStatusFromVendor(v: Pick<VendorItemState, 'protected' | 'error'>): 'protected' | 'failed' | undefined {
  if ((v.error?.code ?? null) !== null) return 'failed';
  if (v.protected) return 'protected';
  return undefined;
}

/** After the user removes an item: unchanged once removal is asked; removing while the vendor has it, else removed. */
export function protectedItemStatusAfterRemove(item: Pick<ProtectedItem, 'status' | 'vendorRef'>): ProtectedItemStatus {
  if (includes(REMOVAL_ITEM_STATUSES, item.status)) return item.status;
  const to: ProtectedItemStatus = item.vendorRef ? 'removing' : 'removed';
  assertProtectedItemTransition(item.status, to);
  return to;
}

/** The kind of thing a protected item is, vendor-neutral. */
export type ProtectedItemKind = 'site' | 'drive' | 'mailbox' | 'team' | 'group' | 'storageAccount';

export const WORKLOAD_ITEM_KIND: Record<Workload, ProtectedItemKind> = {
  sharepoint: 'site',
  onedrive: 'drive',
  exchange: 'mailbox',
  teams: 'team',
  groups: 'group',
  azureBlob: 'storageAccount',
};

/** Why the vendor refused an item (the normalized code and the vendor's message). */
export interface ProtectedItemError {
  code: string;
  message: string | null;
}

/** A thing a policy protects, as stored (protected_items). */
export interface ProtectedItem {
  id: string;
  tenantId: string;
  policyId: string;
  connectionId: string;
  kind: ProtectedItemKind;
  /** The workload's own id of the thing (SharePoint site id, user id/UPN, mailbox, ARM resource id). */
  externalId: string;
  displayName: string | null;
  status: ProtectedItemStatus;
  /** The vendor's id of the item; null until the vendor reports it (an emulated item uses its externalId). */
  vendorRef: string | null;
  vendorStatus: string | null;
  /** Size the vendor reports, in bytes; null until it does. */
  sizeBytes: number | null;
  error: ProtectedItemError | null;
  protection: ItemProtection;
  createdAt: Date;
  updatedAt: Date;
}

/** Is the item actually being backed up: the judged state and the facts it was judged from (protection-health.ts). */
export interface ItemProtection {
  state: ProtectionState;
  since: Date;
  reason: string | null;
  lastBackupAt: Date | null;
  lastSuccessfulBackupAt: Date | null;
  lastRunStatus: BackupRunStatus | null;
  /** The last run's failure or warnings for this item: the normalized code and the vendor's message. */
  lastRunError: { code: string; message: string } | null;
  latestRestorePointAt: Date | null;
  vendorUnprotected: boolean;
}
