import type { VendorId, Workload } from './vendor';

export type ConnectionHealth = 'unknown' | 'healthy' | 'unhealthy';

/**
 * Policy lifecycle (our record; the vendor's raw status is kept beside it):
 *   provisioning -> inactive | active | failed;  inactive <-> active via activating / deactivating;
 *   any settled state -> deleting -> deleted.
 */
export const POLICY_STATUSES = ['provisioning', 'inactive', 'activating', 'active', 'deactivating', 'updating', 'deleting', 'deleted', 'failed'] as const;
export type PolicyStatus = (typeof POLICY_STATUSES)[number];

export const PROTECTED_ITEM_STATUSES = ['pending', 'protected', 'removing', 'removed', 'failed'] as const;
export type ProtectedItemStatus = (typeof PROTECTED_ITEM_STATUSES)[number];

/** The kind of thing a protected item is, vendor-neutral. */
export type ProtectedItemKind = 'site' | 'drive' | 'mailbox' | 'team' | 'storageAccount';

export const WORKLOAD_ITEM_KIND: Record<Workload, ProtectedItemKind> = {
  sharepoint: 'site', onedrive: 'drive', exchange: 'mailbox', teams: 'team', azureBlob: 'storageAccount',
};

export interface Policy {
  id: string;
  tenantId: string;
  connectionId: string;
  vendor: VendorId;
  workload: Workload;
  displayName: string;
  status: PolicyStatus;
  /** What the user asked for; the worker drives the vendor towards it. */
  desiredActive: boolean;
  vendorRef?: string;
  vendorStatus?: string;
  errorCode?: string;
  errorMessage?: string;
}

export interface ProtectedItem {
  id: string;
  tenantId: string;
  policyId: string;
  connectionId: string;
  kind: ProtectedItemKind;
  /** The workload's own id of the thing (SharePoint site id, user id/UPN, mailbox, ARM resource id). */
  externalId: string;
  displayName?: string;
  status: ProtectedItemStatus;
  vendorRef?: string;
  vendorStatus?: string;
}

export interface RestorePoint {
  id: string;
  tenantId: string;
  connectionId: string;
  protectedItemId: string;
  pointInTime: Date;
  expiresAt?: Date;
  vendorRef: string;
  tags: string[];
}
