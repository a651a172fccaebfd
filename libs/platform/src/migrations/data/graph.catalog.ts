import type { ErrorCatalogEntry, ErrorCode } from '@bg/domain';

type Row = [httpStatus: number, vendorCode: string, code: ErrorCode, retryable: boolean, message: string];

/*
 * Microsoft Graph Backup Storage error codes. Every row of every table in seed 000 ("Common Backup Storage
 * error conditions"), once per (code, status) — a code listed under several APIs with the same status has
 * one row, its message the seed's most general. HTTP 200 rows are per-unit / per-artifact errors found inside
 * successful bodies. Then Graph's general codes (https://learn.microsoft.com/graph/errors, throttling guidance).
 * test/conformance/graph.catalog-coverage.spec.ts checks every (status, code) of seed 000 has a row.
 */
const ROWS: Row[] = [
  // seed 000 §Create ProtectionPolicy API Errors
  [400, 'InvalidCreateRequest', 'INVALID_REQUEST', false, 'Create Request Is Null, Invalid Or Its Size Is Too big.'],
  [400, 'InvalidDisplayName', 'INVALID_REQUEST', false, 'Please Ensure Policy Name Length Should Be > 0 chars And <= 1024 chars.'],
  [400, 'EmptyProtectionUnitList', 'INVALID_REQUEST', false, 'Protection Unit list Is empty.'],
  [400, 'InvalidProtectionUnitId', 'INVALID_REQUEST', false, 'Protection Unit Id Is Invalid.'],
  [413, 'ProtectionUnitsLimitBreached', 'LIMIT_EXCEEDED', false, 'Number Of Protection Units In Each Request Must Not Exceed 50.'],
  [409, 'PolicyCreationNotAllowed', 'CONFLICT', false, "Can't Create Policy. Another active Policy already Exists."],
  [500, 'PolicySaveFailed', 'VENDOR_ERROR', true, 'An Unknown Error Occurred. Please Try Again.'],
  // seed 000 §Get / Patch / Delete / Activate / Deactivate Protection Policies API Errors
  [400, 'InvalidPolicyId', 'INVALID_REQUEST', false, 'Policy Id is invalid.'],
  [404, 'PolicyNotFound', 'NOT_FOUND', false, 'Unable to get the Protection Policy.'],
  [200, 'ProtectionUnitAlreadyExists', 'ALREADY_PROTECTED', false, 'ProtectionUnit level error: ProtectionUnit already exists.'],
  [200, 'ProtectionUnitNotFound', 'NOT_FOUND', false, 'ProtectionUnit level error: ProtectionUnit does not exist.'],
  [400, 'DuplicateProtectionUnitInList', 'INVALID_REQUEST', false, 'Protection Unit level error: duplicate Protection Unit in list.'],
  [
    403,
    'PolicyActionNotAllowed',
    'NOT_ALLOWED_IN_STATE',
    false,
    'The policy is not in a state that allows this action (only an inactive policy can be activated or deleted, only an active one deactivated).',
  ],
  // seed 000 §List Protection Units / Get Protection unit API Errors
  [400, 'FilterLengthExceeded', 'INVALID_REQUEST', false, 'Filter length exceeds the allowed limit.'],
  [200, 'UnknownError', 'VENDOR_ERROR', true, 'Unknown Error Occurred. Please try again. If the issue persists, please contact support.'],
  [200, 'InvalidArtifactId', 'NOT_FOUND', false, 'Protection Unit to remove was not found.'],
  [200, 'QuotaExceeded', 'QUOTA_EXCEEDED', false, 'You have exceeded the backup quota.'],
  // seed 000 §Create / Get / Patch / Delete / Activate Restore Session API Errors
  [400, 'InvalidPathType', 'INVALID_REQUEST', false, 'Restore path type is not present.'],
  [400, 'InvalidArtifactRequest', 'INVALID_REQUEST', false, 'There should be at least one restore artifact.'],
  [400, 'InvalidRestorePoint', 'INVALID_REQUEST', false, 'Restore Point id is invalid or empty.'],
  [400, 'DifferentRestoreDestinationType', 'INVALID_REQUEST', false, 'Different Restore Destination Type.'],
  [413, 'RestoreArtifactsLimitBreached', 'LIMIT_EXCEEDED', false, 'Restore Artifacts limit is breached.'],
  [400, 'RestoreArtifactsLimitBreached', 'LIMIT_EXCEEDED', false, 'Exceeded maximum artifacts limit of 50 for single request.'],
  [400, 'DuplicateArtifactInList', 'INVALID_REQUEST', false, 'The restore artifact requested is already present.'],
  [400, 'InvalidRestoreSessionId', 'INVALID_REQUEST', false, 'RestoreSessionId is absent.'],
  [404, 'RestoreSessionNotFound', 'NOT_FOUND', false, 'Restore Session Not Found.'],
  [400, 'InvalidPatchRequest', 'INVALID_REQUEST', false, "Can't process the request because it's malformed or incorrect."],
  [
    403,
    'RestoreSessionActionNotAllowed',
    'NOT_ALLOWED_IN_STATE',
    false,
    'Restore session can only be patched, deleted or activated in Draft state.',
  ],
  [500, 'IncompleteArtifactDeletion', 'VENDOR_ERROR', true, 'Unable to delete session, try again'],
  [500, 'TooManyActiveRestoreSessions', 'CONCURRENCY_LIMIT', true, 'Temporary error: Too many active restore sessions.'],
  // seed 000 §List Restore Artifacts under a Restore Session API Errors (per-artifact, HTTP 200)
  [200, 'ArtifactNotFound', 'NOT_FOUND', false, 'The requested restore artifact was not found for restore.'],
  [
    200,
    'InvalidRestoreTime',
    'INVALID_REQUEST',
    false,
    'Restore Artifact cannot be restored to this timestamp, the restore time provided is invalid or beyond retention period.',
  ],
  [
    200,
    'ArtifactCannotBeRestored',
    'RESTORE_FAILED',
    false,
    'The restore artifact is in an unexpected state such as preservation lock or TenantDivestiture which is blocking the restore.',
  ],
  [
    200,
    'DuplicateArtifactRestoreRequest',
    'CONFLICT',
    true,
    'An ongoing Restore was found for the given restore artifact. Please wait till its completion and try again.',
  ],
  // seed 000 §Inclusion Rule API Errors
  [400, 'InvalidInclusionRuleCreateRequest', 'INVALID_REQUEST', false, 'Invalid create request.'],
  [500, 'InvalidProtectionRuleDetails', 'VENDOR_ERROR', true, 'Invalid rule details.'],
  [400, 'InvalidInclusionRuleId', 'INVALID_REQUEST', false, 'Rule id is invalid.'],
  [404, 'ProtectionRuleNotFound', 'NOT_FOUND', false, 'Inclusion details not found.'],
  // seed 000 §Get Restore Point API Errors
  [400, 'InvalidSearchRequest', 'INVALID_REQUEST', false, 'Restore point input is invalid'],
  // seed 000 §Enable service API Errors
  [403, 'UnableToReadBillingProfile', 'BILLING_REQUIRED', false, 'Unable to read billing profile from billing profile provider'],
  [402, 'BillingProfileNotAvailable', 'BILLING_REQUIRED', false, 'Configure the billing profile'],

  // Graph general errors and throttling (not in seed 000; https://learn.microsoft.com/graph/errors,
  // https://learn.microsoft.com/graph/throttling: 429 or 503 with Retry-After)
  [429, 'TooManyRequests', 'THROTTLED', true, 'Too many requests; wait for Retry-After before trying again.'],
  [429, 'activityLimitReached', 'THROTTLED', true, 'The app or user has been throttled.'],
  [
    503,
    'serviceNotAvailable',
    'VENDOR_UNAVAILABLE',
    true,
    'The service is not available. Try the request again after a delay (Retry-After).',
  ],
  [503, 'ServiceUnavailable', 'VENDOR_UNAVAILABLE', true, 'The service is temporarily unavailable.'],
  [504, 'GatewayTimeout', 'VENDOR_UNAVAILABLE', true, 'The gateway timed out waiting for the service.'],
  [500, 'generalException', 'VENDOR_ERROR', true, 'An unspecified error has occurred.'],
  [500, 'InternalServerError', 'VENDOR_ERROR', true, 'An internal server error occurred.'],
  [500, 'UnknownError', 'VENDOR_ERROR', true, 'An unknown error occurred.'],
  [401, 'InvalidAuthenticationToken', 'AUTH_FAILED', false, 'Access token is missing, invalid or expired.'],
  [401, 'unauthenticated', 'AUTH_FAILED', false, 'The caller is not authenticated.'],
  [403, 'accessDenied', 'PERMISSION_DENIED', false, "The caller doesn't have permission to perform the action."],
  [403, 'Authorization_RequestDenied', 'PERMISSION_DENIED', false, 'Insufficient privileges to complete the operation.'],
  [403, 'Forbidden', 'PERMISSION_DENIED', false, 'Access to the resource is denied (check the BackupRestore-* application permissions).'],
  [404, 'itemNotFound', 'NOT_FOUND', false, 'The resource could not be found.'],
  [404, 'ResourceNotFound', 'NOT_FOUND', false, 'The resource could not be found.'],
  [400, 'invalidRequest', 'INVALID_REQUEST', false, 'The request is malformed or incorrect.'],
  [400, 'BadRequest', 'INVALID_REQUEST', false, 'The request is malformed or incorrect.'],
  [409, 'nameAlreadyExists', 'CONFLICT', false, 'The specified item name already exists.'],
  [501, 'notSupported', 'UNSUPPORTED_BY_VENDOR', false, 'The request is not supported by the system.'],
  [507, 'quotaLimitReached', 'QUOTA_EXCEEDED', false, 'The user has reached their quota limit.'],
];

export const GRAPH_ERROR_CATALOG: ErrorCatalogEntry[] = ROWS.map(([httpStatus, vendorCode, code, retryable, message]) => ({
  vendor: 'graph',
  vendorCode,
  httpStatus,
  code,
  retryable,
  message,
}));
