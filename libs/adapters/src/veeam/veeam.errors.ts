import type { Clock, ErrorCatalog } from '@bg/domain';
import { fallbackForStatus } from '../http/status-fallback';
import { parseRetryAfterMs } from '../http/retry-after';
import type { VendorResponse } from '../http/vendor-http';
import { VendorError } from '../port/vendor-error';

export const VEEAM = 'veeam';

/**
 * Reads a Veeam error response. Three shapes reach the adapter:
 * - RESTExceptionInfo {message, errorCode, stackTrace} from every REST operation, POST /v8/token included
 *   (seed 002 and spec, "default" response); `errorCode` is the vendor code;
 * - an OAuth error {error, error_description} (RFC 6749 §5.2), which a proxy or an older server in front of
 *   the token endpoint may answer; `error` is the code (the client makes any token 4xx AUTH_FAILED anyway);
 * - anything else (401 without errorCode, the token endpoint's 429 quota string, a proxy's HTML):
 *   the code is `Http<status>`.
 */
export function parseVeeamError(status: number, body: unknown): { vendorCode: string; message: string } {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    const message = typeof b.message === 'string' ? b.message : typeof b.error_description === 'string' ? b.error_description : undefined;
    if (typeof b.errorCode === 'string' && b.errorCode) return { vendorCode: b.errorCode, message: message ?? b.errorCode };
    if (typeof b.error === 'string' && b.error) return { vendorCode: b.error, message: message ?? b.error };
    return { vendorCode: `Http${status}`, message: message ?? `HTTP ${status}` };
  }
  if (typeof body === 'string' && body.trim()) return { vendorCode: `Http${status}`, message: body.trim().slice(0, 500) };
  return { vendorCode: `Http${status}`, message: `HTTP ${status}` };
}

/** A failed Veeam response as VendorError: catalog code (else the status fallback), Retry-After, request id. */
export function veeamError(
  res: VendorResponse,
  deps: { catalog: ErrorCatalog; clock: Clock },
  call: { method: string; what: string },
): VendorError {
  const { vendorCode, message } = parseVeeamError(res.status, res.body);
  const entry = deps.catalog.lookup(VEEAM, vendorCode, res.status);
  const fallback = fallbackForStatus(res.status);
  return new VendorError({
    code: entry?.code ?? fallback.code,
    retryable: entry?.retryable ?? fallback.retryable,
    vendor: VEEAM,
    vendorCode,
    httpStatus: res.status,
    message: `Veeam ${call.what} failed (${res.status} ${vendorCode}): ${message}`,
    retryAfterMs: parseRetryAfterMs(res.headers, deps.clock.now()),
    vendorRequestId: res.requestId,
    mayHaveApplied: call.method !== 'GET' && res.status >= 500,
  });
}

/** An operation the adapter refuses before calling Veeam. */
export function veeamRefusal(
  code: 'INVALID_REQUEST' | 'UNSUPPORTED_BY_VENDOR' | 'NOT_FOUND' | 'LIMIT_EXCEEDED',
  message: string,
): VendorError {
  return new VendorError({ code, vendor: VEEAM, retryable: false, message });
}
