import type { ErrorCode } from '@bg/domain';

/** Normalized code for an HTTP status when the error catalog has no row for the vendor's code. */
export function fallbackForStatus(status: number): { code: ErrorCode; retryable: boolean } {
  if (status === 400 || status === 422) return { code: 'INVALID_REQUEST', retryable: false };
  if (status === 401) return { code: 'AUTH_FAILED', retryable: false };
  if (status === 403) return { code: 'PERMISSION_DENIED', retryable: false };
  if (status === 404) return { code: 'NOT_FOUND', retryable: false };
  if (status === 409) return { code: 'CONFLICT', retryable: false };
  if (status === 413) return { code: 'LIMIT_EXCEEDED', retryable: false };
  if (status === 429) return { code: 'THROTTLED', retryable: true };
  if (status === 408 || status === 502 || status === 503 || status === 504) return { code: 'VENDOR_UNAVAILABLE', retryable: true };
  if (status >= 500) return { code: 'VENDOR_ERROR', retryable: true };
  return { code: 'VENDOR_ERROR', retryable: false };
}
