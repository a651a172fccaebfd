/**
 * The normalized error codes shared by every vendor and the API. A vendor's own code is mapped to one
 * of these through the error catalog; the API's problem+json `code` is always one of these.
 */
export const ERROR_CODES = {
  INVALID_REQUEST: { status: 400, title: 'The request is invalid' },
  VALIDATION_FAILED: { status: 400, title: 'The request body or query failed validation' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  UNAUTHENTICATED: { status: 401, title: 'A valid API key is required' },
  AUTH_FAILED: { status: 502, title: 'The vendor refused the connection credentials' },
  FORBIDDEN: { status: 403, title: 'This API key may not perform this action' },
  INSUFFICIENT_SCOPE: { status: 403, title: 'The API key lacks the scope this operation requires' },
  SCOPE_ESCALATION: { status: 403, title: 'A key cannot be given scopes or a lifetime beyond those of the key creating it' },
  PERMISSION_DENIED: { status: 502, title: 'The vendor denied permission for this action' },
  NOT_FOUND: { status: 404, title: 'The resource does not exist' },
  CONFLICT: { status: 409, title: 'The request conflicts with the current state' },
  ALREADY_PROTECTED: { status: 409, title: 'The item is already protected' },
  NOT_ALLOWED_IN_STATE: { status: 409, title: 'The resource is not in a state that allows this action' },
  TENANT_OFFBOARDING: { status: 409, title: 'The tenant is offboarded or being offboarded; it takes no more writes' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'The Idempotency-Key was used with a different request' },
  IDEMPOTENCY_IN_FLIGHT: { status: 409, title: 'A request with this Idempotency-Key is still in progress' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  URI_TOO_LONG: { status: 414, title: 'The request path is too long' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json' },
  LIMIT_EXCEEDED: { status: 422, title: 'A documented limit was exceeded' },
  CONCURRENCY_LIMIT: { status: 429, title: 'Too many concurrent operations at the vendor' },
  THROTTLED: { status: 429, title: 'The vendor is throttling requests' },
  RATE_LIMITED: { status: 429, title: 'Too many requests for this API key or tenant' },
  QUOTA_EXCEEDED: { status: 422, title: 'The vendor quota is exhausted' },
  BILLING_REQUIRED: { status: 422, title: 'The vendor account has no billing profile' },
  UNSUPPORTED_BY_VENDOR: { status: 422, title: 'The vendor does not support this operation' },
  VENDOR_UNAVAILABLE: { status: 503, title: 'The vendor is temporarily unavailable' },
  VENDOR_ERROR: { status: 502, title: 'The vendor failed the request' },
  RESTORE_FAILED: { status: 502, title: 'The vendor could not restore the item' },
  TIMED_OUT: { status: 504, title: 'The operation did not finish before its deadline' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'A backing service (database or queue) is briefly unavailable; retry after Retry-After' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && value in ERROR_CODES;
}

/** An error raised by domain or application code, carrying a normalized code. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class NotFound extends DomainError {
  constructor(resource: string, id?: string) {
    super('NOT_FOUND', id ? `${resource} ${id} was not found` : `${resource} was not found`);
  }
}
export class NotAllowedInState extends DomainError {
  constructor(resource: string, state: string, action: string) {
    super('NOT_ALLOWED_IN_STATE', `Cannot ${action} a ${resource} in state ${state}`, { state, action });
  }
}
export class LimitExceeded extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('LIMIT_EXCEEDED', message, details);
  }
}
export class UnsupportedByVendor extends DomainError {
  constructor(vendor: string, operation: string) {
    super('UNSUPPORTED_BY_VENDOR', `Vendor ${vendor} does not support ${operation}`, { vendor, operation });
  }
}

/** One row of the error catalog: a vendor's code and status mapped to a normalized code. */
export interface ErrorCatalogEntry {
  vendor: string;
  vendorCode: string;
  httpStatus: number;
  code: ErrorCode;
  retryable: boolean;
  message: string;
}

/**
 * Lookup of the error catalog handed to adapters (backed by Postgres in the apps, by the migration's
 * seed list in tests). Returns undefined for a code the catalog does not know.
 */
export interface ErrorCatalog {
  lookup(vendor: string, vendorCode: string, httpStatus: number): ErrorCatalogEntry | undefined;
}
