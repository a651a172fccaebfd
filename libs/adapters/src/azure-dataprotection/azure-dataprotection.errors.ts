import { AuthenticationError, AuthenticationRequiredError, CredentialUnavailableError } from '@azure/identity';
import type { ErrorCatalog, ErrorCode } from '@bg/domain';
import { parseRetryAfterMs } from '../http/retry-after';
import { fallbackForStatus } from '../http/status-fallback';
import type { VendorResponse } from '../http/vendor-http';
import { VendorError } from '../port/vendor-error';
import type { CloudError, UserFacingError } from './azure-dataprotection.types';

export const VENDOR = 'azure-dataprotection';

/** The UserFacingError a Data Protection error carries in additionalInfo (seed 004 §Error response). */
export function userFacingOf(error: CloudError['error'] | undefined): UserFacingError | undefined {
  const entry = error?.additionalInfo?.find((a) => a?.type === 'UserFacingError');
  return entry?.info;
}

export interface Classified {
  code: ErrorCode;
  retryable: boolean;
  vendorCode?: string;
  message: string;
}

/**
 * Classifies a CloudError `error` object with its HTTP status: the catalog decides the normalized code;
 * the service's own UserFacingError flags refine it (seed 004: `isRetryable`, `isUserError`). Throttling
 * and unavailability stay retryable whatever the flags say.
 */
export function classifyCloudError(catalog: ErrorCatalog, status: number, error: CloudError['error'] | undefined): Classified {
  const vendorCode = error?.code;
  const entry = vendorCode ? catalog.lookup(VENDOR, vendorCode, status) : undefined;
  const fallback = fallbackForStatus(status);
  let code: ErrorCode = entry?.code ?? fallback.code;
  let retryable = entry?.retryable ?? fallback.retryable;
  const uf = userFacingOf(error);
  const transient = status === 429 || status === 503 || status === 504 || code === 'THROTTLED' || code === 'VENDOR_UNAVAILABLE';
  if (uf && !transient) {
    if (typeof uf.isRetryable === 'boolean') retryable = uf.isRetryable;
    if (!entry) {
      // Unknown code: a retryable service error is the vendor's failure; a 5xx the service blames on the
      // request is the request's.
      if (uf.isRetryable === true) code = 'VENDOR_ERROR';
      else if (uf.isUserError === true && status >= 500) code = 'INVALID_REQUEST';
    }
  }
  const message = uf?.message ?? error?.message ?? entry?.message ?? `HTTP ${status}`;
  return { code, retryable, vendorCode, message };
}

/** A non-success ARM response -> VendorError (status, vendor code, Retry-After, x-ms-request-id). */
export function armResponseError(catalog: ErrorCatalog, res: VendorResponse, method: string, now: Date): VendorError {
  const body = (typeof res.body === 'object' && res.body ? res.body : {}) as CloudError;
  const c = classifyCloudError(catalog, res.status, body.error);
  return new VendorError({
    code: c.code,
    vendor: VENDOR,
    vendorCode: c.vendorCode,
    httpStatus: res.status,
    retryable: c.retryable,
    retryAfterMs: parseRetryAfterMs(res.headers, now),
    vendorRequestId: res.requestId,
    message: c.vendorCode ? `${c.vendorCode}: ${c.message}` : c.message,
    mayHaveApplied: method !== 'GET' && res.status >= 500,
  });
}

/** A failed long-running operation (OperationResource.error) -> VendorError. */
export function operationError(catalog: ErrorCatalog, error: CloudError['error'] | undefined, status = 400): VendorError {
  const c = classifyCloudError(catalog, status, error);
  return new VendorError({
    code: c.code,
    vendor: VENDOR,
    vendorCode: c.vendorCode,
    httpStatus: status,
    retryable: c.retryable,
    message: c.vendorCode ? `${c.vendorCode}: ${c.message}` : c.message,
  });
}

/**
 * An @azure/identity failure -> VendorError. Entra's AADSTS code (e.g. AADSTS7000215 invalid secret) is
 * looked up in the catalog; 429/5xx and network failures are retryable.
 */
export function identityError(catalog: ErrorCatalog, e: unknown): VendorError {
  if (e instanceof VendorError) return e;
  const status = e instanceof AuthenticationError ? e.statusCode : undefined;
  const description =
    e instanceof AuthenticationError
      ? `${e.errorResponse?.error ?? ''}: ${e.errorResponse?.errorDescription ?? e.message}`
      : ((e as Error)?.message ?? String(e));
  const firstLine = description.split('\n')[0];
  if (status !== undefined && (status === 429 || status >= 500)) {
    return new VendorError({
      code: status === 429 ? 'THROTTLED' : 'VENDOR_UNAVAILABLE',
      vendor: VENDOR,
      retryable: true,
      httpStatus: status,
      message: `Microsoft Entra token endpoint unavailable: ${firstLine}`,
    });
  }
  const aadsts = /AADSTS(\d+)/.exec(description)?.[0];
  if (!aadsts && /network_error|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|socket hang up|temporarily_unavailable/i.test(description)) {
    return new VendorError({
      code: 'VENDOR_UNAVAILABLE',
      vendor: VENDOR,
      retryable: true,
      message: `Microsoft Entra token endpoint unreachable: ${firstLine}`,
    });
  }
  const isAuth =
    e instanceof AuthenticationError || e instanceof AuthenticationRequiredError || e instanceof CredentialUnavailableError || !!aadsts;
  if (!isAuth) {
    return new VendorError({
      code: 'VENDOR_UNAVAILABLE',
      vendor: VENDOR,
      retryable: true,
      message: `Could not obtain a Microsoft Entra token: ${firstLine}`,
    });
  }
  const entry = aadsts ? catalog.lookup(VENDOR, aadsts, status ?? 400) : undefined;
  return new VendorError({
    code: entry?.code ?? 'AUTH_FAILED',
    vendor: VENDOR,
    retryable: entry?.retryable ?? false,
    httpStatus: status,
    vendorCode: aadsts,
    message: `Microsoft Entra refused the connection credentials: ${firstLine}`,
  });
}

export function unsupported(operation: string): VendorError {
  return new VendorError({
    code: 'UNSUPPORTED_BY_VENDOR',
    vendor: VENDOR,
    retryable: false,
    message: `Vendor ${VENDOR} does not support ${operation}`,
  });
}
