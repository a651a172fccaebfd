import type { Clock, ErrorCatalog, ErrorCode } from '@bg/domain';
import { AuthenticationError, AuthenticationRequiredError, CredentialUnavailableError } from '@azure/identity';
import { fallbackForStatus } from '../http/status-fallback';
import { parseRetryAfterMs } from '../http/retry-after';
import type { VendorResponse } from '../http/vendor-http';
import { VendorError } from '../port/vendor-error';
import type { ODataErrorBody } from './graph.types';

const VENDOR = 'graph';

/** Normalized code and retryability of a Graph error code, from the catalog, else from the HTTP status. */
export function classifyGraphCode(
  catalog: ErrorCatalog,
  vendorCode: string | undefined,
  status: number,
): { code: ErrorCode; retryable: boolean } {
  const row = vendorCode ? catalog.lookup(VENDOR, vendorCode, status) : undefined;
  if (row) return { code: row.code, retryable: row.retryable };
  // A per-unit / per-artifact code the catalog lacks (HTTP 200 bodies) is a vendor failure of that item.
  if (status < 400) return { code: 'VENDOR_ERROR', retryable: false };
  return fallbackForStatus(status);
}

/** Reads `{"error":{"code","message","innerError":{"request-id"}}}`; tolerant of non-JSON gateway bodies. */
export function parseGraphErrorBody(body: unknown): { code?: string; message?: string; requestId?: string } {
  if (!body || typeof body !== 'object') return { message: typeof body === 'string' && body ? body.slice(0, 500) : undefined };
  const e = (body as ODataErrorBody).error;
  if (!e) return {};
  const inner = e.innerError ?? e.innererror;
  return { code: e.code, message: e.message, requestId: inner?.['request-id'] ?? inner?.['client-request-id'] };
}

/**
 * A non-2xx Graph response as VendorError: catalog code (else status fallback), Retry-After on 429/503
 * (Graph throttling guidance: wait at least that long), request id from the header or innerError.
 */
export function graphResponseError(
  res: VendorResponse,
  catalog: ErrorCatalog,
  clock: Clock,
  method: string,
  context?: string,
): VendorError {
  const parsed = parseGraphErrorBody(res.body);
  const { code, retryable } = classifyGraphCode(catalog, parsed.code, res.status);
  const retryAfterMs = parseRetryAfterMs(res.headers, clock.now());
  const vendorMessage = parsed.message ?? `HTTP ${res.status}`;
  return new VendorError({
    code,
    vendor: VENDOR,
    retryable,
    vendorCode: parsed.code,
    httpStatus: res.status,
    retryAfterMs: res.status === 429 || res.status === 503 || retryAfterMs !== undefined ? retryAfterMs : undefined,
    vendorRequestId: res.requestId ?? parsed.requestId,
    message: context ? `${context}: ${vendorMessage}` : `Microsoft Graph: ${vendorMessage}`,
    // A 5xx after a write may have been applied; a 4xx was refused.
    mayHaveApplied: method !== 'GET' && res.status >= 500,
  });
}

/**
 * Entra token failures. AuthenticationError carries the token endpoint's status: 400/401 (invalid_client,
 * unknown tenant) is refused credentials; 429/5xx is Entra being unavailable, worth retrying.
 */
export function identityError(e: unknown): VendorError {
  if (e instanceof VendorError) return e;
  if (e instanceof AuthenticationError) {
    const status = e.statusCode;
    const entraCode = e.errorResponse?.error;
    const detail = e.errorResponse?.errorDescription?.split('\n')[0] ?? e.message;
    if (status === 429 || status >= 500) {
      return new VendorError({
        code: status === 429 ? 'THROTTLED' : 'VENDOR_UNAVAILABLE',
        vendor: VENDOR,
        retryable: true,
        httpStatus: status,
        vendorCode: entraCode,
        message: `Microsoft Entra token endpoint unavailable: ${detail}`,
      });
    }
    return new VendorError({
      code: 'AUTH_FAILED',
      vendor: VENDOR,
      retryable: false,
      httpStatus: status,
      vendorCode: entraCode,
      message: `Microsoft Entra refused the connection credentials: ${detail}`,
    });
  }
  // MSAL reports the token endpoint's OAuth errors (invalid_client, unknown tenant) as ServerError,
  // which @azure/identity rethrows as AuthenticationRequiredError carrying MSAL's message.
  if (e instanceof AuthenticationRequiredError) {
    const message = e.message ?? '';
    if (/network_error|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|socket hang up/i.test(message)) {
      return new VendorError({
        code: 'VENDOR_UNAVAILABLE',
        vendor: VENDOR,
        retryable: true,
        message: `Microsoft Entra token endpoint unreachable: ${message}`,
      });
    }
    const entraCode = /^(\w+):/.exec(message)?.[1];
    return new VendorError({
      code: 'AUTH_FAILED',
      vendor: VENDOR,
      retryable: false,
      vendorCode: entraCode,
      message: `Microsoft Entra refused the connection credentials: ${message.split('\n')[0]}`,
    });
  }
  if (e instanceof CredentialUnavailableError) {
    return new VendorError({
      code: 'AUTH_FAILED',
      vendor: VENDOR,
      retryable: false,
      message: `Microsoft Entra credential unavailable: ${e.message}`,
    });
  }
  return new VendorError({
    code: 'VENDOR_UNAVAILABLE',
    vendor: VENDOR,
    retryable: true,
    message: `Could not obtain a Microsoft Entra token: ${(e as Error)?.message ?? String(e)}`,
  });
}
