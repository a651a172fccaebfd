import type { ErrorCatalogEntry, ErrorCode } from '@bg/domain';

type Row = [httpStatus: number, vendorCode: string, code: ErrorCode, retryable: boolean, message: string];

/*
 * Veeam Backup for Microsoft 365 REST API v8 error codes. Every operation's error body is RESTExceptionInfo
 * {message, errorCode, stackTrace} (seed 002 §Backup Repositories "default" samples name ProxyOffline); the
 * errorCode enum is the vendor OpenAPI's (vb365-rest-v8 RESTExceptionInfo). Veeam does not document which
 * status carries each code, so each row sits at the status its meaning implies and the catalog's code-only
 * lookup covers any other status. POST /v8/token answers RESTExceptionInfo as well (the spec's default); the
 * adapter takes any 4xx of it but 429 as AUTH_FAILED (veeam.errors.ts); the OAuth rows below stay for servers
 * that answer RFC 6749 bodies. Bodies without a code
 * (401 from the bearer check, the token endpoint's 429 quota text) are `Http<status>` (veeam.errors.ts).
 * test/conformance/veeam.catalog-coverage.spec.ts checks every code the seed and spec name has a row.
 */
const ROWS: Row[] = [
  // RESTExceptionInfo.errorCode (seed 002 samples; vendor OpenAPI enum)
  [400, 'ParameterValidationFailure', 'INVALID_REQUEST', false, 'A parameter or body property failed validation.'],
  [400, 'OutdatedChangeToken', 'CONFLICT', false, 'The change token (eTag) is outdated: read the resource again.'],
  [
    400,
    'RepositoryOwnerChangeTooManyLinks',
    'NOT_ALLOWED_IN_STATE',
    false,
    'The repository owner cannot change: too many linked repositories.',
  ],
  [401, 'ResourceAccessDenied', 'AUTH_FAILED', false, 'The account may not sign in to the Veeam server.'],
  [403, 'ResourceAccessDenied', 'PERMISSION_DENIED', false, 'The account may not access this resource.'],
  [404, 'ResourceNotFound', 'NOT_FOUND', false, 'The resource does not exist on the Veeam server.'],
  [
    409,
    'OperationConflict',
    'NOT_ALLOWED_IN_STATE',
    false,
    'The operation conflicts with the state of the job or session (e.g. running, stopped).',
  ],
  [409, 'OrganizationTransfer', 'NOT_ALLOWED_IN_STATE', false, 'The organization is being transferred between servers.'],
  [500, 'HttpError', 'VENDOR_ERROR', true, 'The Veeam server failed calling Microsoft 365 or another service.'],
  [500, 'ProxyOffline', 'VENDOR_UNAVAILABLE', true, 'The backup proxy serving this organization or repository is offline.'],
  [503, 'ProxyOffline', 'VENDOR_UNAVAILABLE', true, 'The backup proxy serving this organization or repository is offline.'],
  [500, 'Timeout', 'VENDOR_UNAVAILABLE', true, 'The Veeam server timed out.'],
  [504, 'Timeout', 'VENDOR_UNAVAILABLE', true, 'The Veeam server timed out.'],
  // POST /v8/token (OWIN OAuth server; RFC 6749 §5.2 error codes)
  [400, 'invalid_grant', 'AUTH_FAILED', false, 'The user name, password, assertion or refresh token was refused.'],
  [400, 'invalid_client', 'AUTH_FAILED', false, 'The client id or assertion was refused.'],
  [401, 'invalid_client', 'AUTH_FAILED', false, 'The client id or assertion was refused.'],
  [400, 'invalid_request', 'AUTH_FAILED', false, 'The token request lacks the credentials its grant needs.'],
  [400, 'unsupported_grant_type', 'INVALID_REQUEST', false, 'The Veeam server does not support this grant type.'],
  // Responses without an errorCode
  [400, 'Http400', 'INVALID_REQUEST', false, 'Bad request.'],
  [401, 'Http401', 'AUTH_FAILED', false, 'Authorization has been denied for this request (token missing, expired or revoked).'],
  [403, 'Http403', 'PERMISSION_DENIED', false, 'Forbidden.'],
  [404, 'Http404', 'NOT_FOUND', false, 'Not found.'],
  [409, 'Http409', 'CONFLICT', false, 'Conflict.'],
  [429, 'Http429', 'THROTTLED', true, 'Too many requests (VB365 throttles the token endpoint): wait for Retry-After.'],
  [500, 'Http500', 'VENDOR_ERROR', true, 'Internal server error.'],
  [502, 'Http502', 'VENDOR_UNAVAILABLE', true, 'Bad gateway.'],
  [503, 'Http503', 'VENDOR_UNAVAILABLE', true, 'Service unavailable.'],
  [504, 'Http504', 'VENDOR_UNAVAILABLE', true, 'Gateway timeout.'],
];

export const VEEAM_ERROR_CATALOG: ErrorCatalogEntry[] = ROWS.map(([httpStatus, vendorCode, code, retryable, message]) => ({
  vendor: 'veeam',
  vendorCode,
  httpStatus,
  code,
  retryable,
  message,
}));
