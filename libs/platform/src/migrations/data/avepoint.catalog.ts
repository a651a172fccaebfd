import type { ErrorCatalogEntry, ErrorCode } from '@bg/domain';

type Row = [httpStatus: number, vendorCode: string, code: ErrorCode, retryable: boolean, message: string];

/*
 * AvePoint Cloud Backup for Microsoft 365 (AvePoint Graph API) error codes. Seed 001 names one field code
 * (InvalidParameter, 400) and two statuses without a code: 400 and 429 ("There are already 3
 * restore/export jobs running, cannot start new restore job."). The adapter (avepoint.errors.ts) uses
 * errors[0].code when present; a 429 answering the restore submission (its documented meaning, whatever
 * the message says) is `TooManyRunningJobs`; any other response
 * without a code is `Http<status>`. The AOS identity service answers OAuth errors ({error}).
 * test/conformance/avepoint.catalog-coverage.spec.ts checks every code and status of seed 001 has a row.
 */
const ROWS: Row[] = [
  // seed 001 §Responses: "field-level validation errors are returned in the errors collection"
  [400, 'InvalidParameter', 'INVALID_REQUEST', false, 'A request field failed validation (errors[].field names it).'],
  [400, 'Http400', 'INVALID_REQUEST', false, 'Bad Request: the request could not be processed due to invalid parameters.'],
  // seed 001 §Responses: "If too many restore or export jobs are running, the API returns 429 Too Many Requests."
  [429, 'TooManyRunningJobs', 'CONCURRENCY_LIMIT', true, 'There are already 3 restore/export jobs running, cannot start new restore job.'],
  [429, 'Http429', 'THROTTLED', true, 'Too Many Requests.'],
  // Use-AvePoint-Graph-API.md §HTTP Status Code and the summary OpenAPI's 401 / 500 responses
  [401, 'Http401', 'AUTH_FAILED', false, 'The access token is missing, expired or invalid.'],
  [403, 'Http403', 'PERMISSION_DENIED', false, 'The app registration lacks the permission this API requires.'],
  [404, 'Http404', 'NOT_FOUND', false, 'The job does not exist (in this location).'],
  [500, 'Http500', 'VENDOR_ERROR', true, 'Internal Server Error: an unexpected server error occurred.'],
  [502, 'Http502', 'VENDOR_UNAVAILABLE', true, 'Bad Gateway.'],
  [503, 'Http503', 'VENDOR_UNAVAILABLE', true, 'Service Unavailable.'],
  [504, 'Http504', 'VENDOR_UNAVAILABLE', true, 'Gateway Timeout.'],
  // AOS identity service (register-app.md; OAuth 2.0 RFC 6749 §5.2 error codes)
  [400, 'invalid_client', 'AUTH_FAILED', false, 'The client id or client secret is wrong.'],
  [401, 'invalid_client', 'AUTH_FAILED', false, 'The client id or client secret is wrong.'],
  [
    400,
    'invalid_scope',
    'PERMISSION_DENIED',
    false,
    'The app registration was not granted the requested permission (microsoft365backup.jobInfo.read.all, microsoft365backup.restore.readwrite.all).',
  ],
  [400, 'unauthorized_client', 'PERMISSION_DENIED', false, 'The app registration may not use the client credentials grant.'],
  [400, 'invalid_grant', 'AUTH_FAILED', false, 'The client credentials were refused.'],
  [400, 'invalid_request', 'AUTH_FAILED', false, 'The token request was malformed.'],
  [400, 'unsupported_grant_type', 'AUTH_FAILED', false, 'The identity service does not accept the client credentials grant.'],
  [500, 'server_error', 'VENDOR_UNAVAILABLE', true, 'The identity service failed.'],
  [503, 'temporarily_unavailable', 'VENDOR_UNAVAILABLE', true, 'The identity service is temporarily unavailable.'],
];

export const AVEPOINT_ERROR_CATALOG: ErrorCatalogEntry[] = ROWS.map(([httpStatus, vendorCode, code, retryable, message]) => ({
  vendor: 'avepoint',
  vendorCode,
  httpStatus,
  code,
  retryable,
  message,
}));
