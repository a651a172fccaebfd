import type { ErrorCatalogEntry, ErrorCode } from '@bg/domain';

type Row = [httpStatus: number, vendorCode: string, code: ErrorCode, retryable: boolean, message: string];

/*
 * Azure Data Protection (Backup vaults) behind Azure Resource Manager. First the codes seed 004 names
 * (test/conformance/azure-dataprotection.catalog-coverage.spec.ts checks each has a row), then the Data
 * Protection codes seen in public azurerm issues, ARM's own front-door codes (auth, api-version, not
 * found, throttling — learn.microsoft.com "Troubleshoot common Azure deployment errors", "Request limits
 * and throttling"), and the Entra AADSTS codes of the client-credentials flow. The adapter refines a row
 * with the error's UserFacingError `isRetryable` / `isUserError` flags.
 */
const ROWS: Row[] = [
  // seed 004 §Error response: validateForBackup of a storage account protected in some vault (400)
  [400, 'UserErrorDppDatasourceAlreadyProtected', 'ALREADY_PROTECTED', false, 'Datasource is already protected under a Backup vault.'],
  // seed 004 §Track response: the vault's managed identity lacks roles on the storage account (failed operation)
  [400, 'UserErrorMissingRequiredPermissions', 'PERMISSION_DENIED', false, 'Appropriate permissions to perform the operation is missing.'],
  // Data Protection service (hashicorp/terraform-provider-azurerm #20774, #33470)
  [
    400,
    'UserErrorDppPolicyObjectInUse',
    'NOT_ALLOWED_IN_STATE',
    false,
    'Cannot delete the backup policy as one or more backup instances are protected with it.',
  ],
  [400, 'BMSUserErrorInvalidInput', 'INVALID_REQUEST', false, 'Input provided for the call is invalid.'],
  [
    400,
    'UserErrorRestorePointInTimeNotInRange',
    'INVALID_REQUEST',
    false,
    'The requested point in time is outside the restorable time ranges.',
  ],
  [
    400,
    'UserErrorBackupInstanceNotProtected',
    'NOT_ALLOWED_IN_STATE',
    false,
    'The backup instance is not in a state that allows this operation.',
  ],
  [400, 'UserErrorRestoreTargetAlreadyExists', 'RESTORE_FAILED', false, 'The restore target already has blobs in the requested ranges.'],
  [500, 'CloudInternalError', 'VENDOR_ERROR', true, 'An internal error occurred in the Data Protection service.'],
  // ARM front door
  [401, 'AuthenticationFailed', 'AUTH_FAILED', false, "Authentication failed. The 'Authorization' header is missing or invalid."],
  [401, 'InvalidAuthenticationToken', 'AUTH_FAILED', false, 'The access token is invalid.'],
  [401, 'InvalidAuthenticationTokenAudience', 'AUTH_FAILED', false, 'The access token was obtained for the wrong audience.'],
  [401, 'ExpiredAuthenticationToken', 'AUTH_FAILED', false, 'The access token has expired.'],
  [
    403,
    'AuthorizationFailed',
    'PERMISSION_DENIED',
    false,
    'The client does not have authorization to perform this action over this scope.',
  ],
  [403, 'LinkedAuthorizationFailed', 'PERMISSION_DENIED', false, 'The client has permission on the vault but not on a linked resource.'],
  [400, 'MissingApiVersionParameter', 'INVALID_REQUEST', false, 'The api-version query parameter is required for all requests.'],
  [400, 'InvalidApiVersionParameter', 'INVALID_REQUEST', false, 'The api-version is not valid.'],
  [400, 'NoRegisteredProviderFound', 'INVALID_REQUEST', false, 'No registered resource provider found for this location and API version.'],
  [400, 'InvalidRequestContent', 'INVALID_REQUEST', false, 'The request content was invalid and could not be deserialized.'],
  [400, 'BadRequest', 'INVALID_REQUEST', false, 'The request is malformed.'],
  [415, 'UnsupportedMediaType', 'INVALID_REQUEST', false, "The content media type is not supported; use 'application/json'."],
  [404, 'ResourceNotFound', 'NOT_FOUND', false, 'The resource was not found.'],
  [404, 'ResourceGroupNotFound', 'NOT_FOUND', false, 'The resource group could not be found.'],
  [404, 'SubscriptionNotFound', 'NOT_FOUND', false, 'The subscription could not be found.'],
  [409, 'Conflict', 'CONFLICT', false, 'The operation conflicts with another operation on the resource.'],
  [409, 'AnotherOperationInProgress', 'CONFLICT', true, 'Another operation is in progress on the resource.'],
  [429, 'SubscriptionRequestsThrottled', 'THROTTLED', true, 'Number of requests for the subscription exceeded; retry after Retry-After.'],
  [429, 'TenantRequestsThrottled', 'THROTTLED', true, 'Number of requests for the tenant exceeded; retry after Retry-After.'],
  [429, 'TooManyRequests', 'THROTTLED', true, 'Too many requests; retry after Retry-After.'],
  [500, 'InternalServerError', 'VENDOR_ERROR', true, 'Encountered internal server error.'],
  [502, 'BadGateway', 'VENDOR_UNAVAILABLE', true, 'The gateway received an invalid response.'],
  [503, 'ServiceUnavailable', 'VENDOR_UNAVAILABLE', true, 'The service is temporarily unavailable.'],
  [504, 'GatewayTimeout', 'VENDOR_UNAVAILABLE', true, 'The gateway did not receive a response in time.'],
  // Microsoft Entra token endpoint (client credentials)
  [401, 'AADSTS7000215', 'AUTH_FAILED', false, 'Invalid client secret provided.'],
  [401, 'AADSTS7000216', 'AUTH_FAILED', false, 'A client secret or assertion is required for the client_credentials grant.'],
  [401, 'AADSTS7000222', 'AUTH_FAILED', false, 'The provided client secret keys are expired.'],
  [400, 'AADSTS700016', 'AUTH_FAILED', false, 'Application not found in the directory.'],
  [400, 'AADSTS90002', 'AUTH_FAILED', false, 'Tenant not found.'],
  [400, 'AADSTS1002012', 'AUTH_FAILED', false, 'The scope is not valid for the client credentials flow.'],
  [400, 'AADSTS70003', 'AUTH_FAILED', false, 'The app requested an unsupported grant type.'],
  [400, 'AADSTS900144', 'AUTH_FAILED', false, 'The request body is missing a required parameter.'],
];

export const AZURE_DATAPROTECTION_ERROR_CATALOG: ErrorCatalogEntry[] = ROWS.map(([httpStatus, vendorCode, code, retryable, message]) => ({
  vendor: 'azure-dataprotection',
  vendorCode,
  httpStatus,
  code,
  retryable,
  message,
}));
