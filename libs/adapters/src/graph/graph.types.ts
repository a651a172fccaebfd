/**
 * Microsoft Graph Backup Storage wire types (`/solutions/backupRestore`), named as in the v1.0 CSDL
 * (apps/sandbox/specs/graph/backupRestore.v1.0.trimmed.csdl.xml). Only the fields we read or send.
 */

/** OData collection page. `@odata.nextLink` is followed unchanged (SOURCE.md §Pagination). */
export interface ODataCollection<T> {
  '@odata.context'?: string;
  '@odata.nextLink'?: string;
  value: T[];
}

export interface PublicErrorDetail {
  code?: string;
  message?: string;
  target?: string;
}

/** `publicError` on resources (protection units, sessions, artifacts). */
export interface PublicError {
  code?: string;
  message?: string;
  target?: string;
  details?: PublicErrorDetail[];
  innerError?: Record<string, unknown> & { code?: string; message?: string };
}

/** The Graph error body: `{"error":{"code","message","innerError":{"request-id","client-request-id","date"}}}`. */
export interface ODataErrorBody {
  error?: {
    code?: string;
    message?: string;
    target?: string;
    details?: PublicErrorDetail[];
    innerError?: { 'request-id'?: string; 'client-request-id'?: string; date?: string; [k: string]: unknown };
    innererror?: { 'request-id'?: string; 'client-request-id'?: string; date?: string; [k: string]: unknown };
  };
}

export type ProtectionPolicyStatus = 'inactive' | 'activeWithErrors' | 'updating' | 'active' | 'unknownFutureValue';

export interface ProtectionPolicyBase {
  '@odata.type'?: string;
  id: string;
  displayName?: string;
  isEnabled?: boolean;
  status?: ProtectionPolicyStatus | string;
  createdDateTime?: string;
  lastModifiedDateTime?: string;
  retentionSettings?: Array<{ interval?: string; period?: string }>;
}

export type ProtectionUnitStatus =
  | 'protectRequested'
  | 'protected'
  | 'unprotectRequested'
  | 'unprotected'
  | 'removeRequested'
  | 'unknownFutureValue'
  | 'offboardRequested'
  | 'offboarded'
  | 'cancelOffboardRequested';

export interface ProtectionUnitBase {
  '@odata.type'?: string;
  id?: string;
  policyId?: string;
  status?: ProtectionUnitStatus | string;
  error?: PublicError | null;
  createdDateTime?: string;
  lastModifiedDateTime?: string;
  /** siteProtectionUnit */
  siteId?: string;
  siteName?: string;
  siteWebUrl?: string;
  /** driveProtectionUnit / mailboxProtectionUnit */
  directoryObjectId?: string;
  displayName?: string;
  email?: string;
}

/**
 * One entry of a `<units>@delta` PATCH response: a unit, or a refused change carrying the OData
 * `@Core.DataModificationException` annotation (sharepointprotectionpolicy-update example response).
 */
export interface ProtectionUnitDeltaResult extends ProtectionUnitBase {
  '@contentId'?: string;
  '@Core.DataModificationException'?: {
    info?: { code?: string; message?: string };
    failedOperation?: string;
    responseCode?: number;
  };
  '@removed'?: { reason?: string };
}

/** A protection unit to add (`{ "siteId": ... }`) or remove (`{ "@removed": {...}, "id": ... }`). */
export type ProtectionUnitDelta = { siteId: string } | { directoryObjectId: string } | { '@removed': { reason: 'changed' }; id: string };

/** protectionRuleStatus (SOURCE.md §Status enums); updateRequested / deleteRequested are evolvable members. */
export type ProtectionRuleStatus =
  'draft' | 'active' | 'completed' | 'completedWithErrors' | 'unknownFutureValue' | 'updateRequested' | 'deleteRequested';

/** protectionRuleBase with its three kinds' expressions (driveProtectionRule, siteProtectionRule, mailboxProtectionRule). */
export interface ProtectionRuleBase {
  '@odata.type'?: string;
  id: string;
  status?: ProtectionRuleStatus | string | null;
  error?: PublicError | null;
  isAutoApplyEnabled?: boolean | null;
  createdDateTime?: string | null;
  lastModifiedDateTime?: string | null;
  siteExpression?: string | null;
  driveExpression?: string | null;
  mailboxExpression?: string | null;
}

export type RestorePointTags = string; // flags enum: none, fastRestore, unknownFutureValue (comma list)

export interface RestorePoint {
  '@odata.type'?: string;
  id: string;
  protectionDateTime?: string;
  expirationDateTime?: string;
  tags?: RestorePointTags;
  protectionUnit?: ProtectionUnitBase;
}

/** Body of `POST /restorePoints/search` (restorePoint: search doc). */
export interface RestorePointSearchRequest {
  protectionUnitIds: string[];
  protectionTimePeriod: { startDateTime: string; endDateTime?: string };
  restorePointPreference?: 'latest' | 'oldest';
  tags?: RestorePointTags;
}

/** restorePointSearchResponse: one result per unit that has a point in the period. */
export interface RestorePointSearchResponse {
  searchResponseId?: string;
  searchResults?: { restorePoint?: RestorePoint; artifactHitCount?: number }[];
  noResultProtectionUnitIds?: string[];
}

export type RestoreSessionStatus = 'draft' | 'activating' | 'active' | 'completedWithError' | 'completed' | 'unknownFutureValue' | 'failed';

export interface RestoreSessionBase {
  '@odata.type'?: string;
  id: string;
  status?: RestoreSessionStatus | string;
  restoreJobType?: string;
  restoreSessionArtifactCount?: { total?: number; completed?: number; failed?: number; inProgress?: number };
  createdDateTime?: string;
  completedDateTime?: string;
  lastModifiedDateTime?: string;
  error?: PublicError | null;
}

export type ArtifactRestoreStatus = 'added' | 'scheduling' | 'scheduled' | 'inProgress' | 'succeeded' | 'failed' | 'unknownFutureValue';

export type DestinationType = 'new' | 'inPlace' | 'unknownFutureValue';

export interface RestoreArtifactBase {
  '@odata.type'?: string;
  id?: string;
  destinationType?: DestinationType | string;
  status?: ArtifactRestoreStatus | string;
  startDateTime?: string;
  completionDateTime?: string;
  error?: PublicError | null;
  restorePoint?: RestorePoint;
  restoredSiteId?: string;
  restoredSiteName?: string;
  restoredSiteWebUrl?: string;
  restoredFolderId?: string;
  restoredFolderName?: string;
  restoredItemCount?: number;
}

/** An artifact in a create-session body: the restore point bound by `@odata.id` (docs sample). */
export interface RestoreArtifactCreate {
  restorePoint: { '@odata.id': string };
  destinationType: DestinationType;
}

export type BackupServiceStatus = 'disabled' | 'enabled' | 'protectionChangeLocked' | 'restoreLocked' | 'unknownFutureValue';

export interface BackupRestoreRoot {
  id?: string;
  serviceStatus?: { status?: BackupServiceStatus | string; disableReason?: string };
}
