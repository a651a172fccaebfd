import type { Clock, ErrorCatalog, ErrorCode } from '@bg/domain';
import { fallbackForStatus } from '../http/status-fallback';
import { parseRetryAfterMs } from '../http/retry-after';
import type { VendorResponse } from '../http/vendor-http';
import { VendorError } from '../port/vendor-error';
import type { Envelope, OAuthErrorBody } from './avepoint.types';

const VENDOR = 'avepoint';

/**
 * The vendor code of a 429 that refuses a restore because of running jobs. The seed gives this refusal
 * no code, only a message (seed 001 §Responses: "There are already 3 restore/export jobs running,
 * cannot start new restore job."), so the adapter names it to give it its own catalog row.
 */
export const RUNNING_JOBS_CODE = 'TooManyRunningJobs';
const RUNNING_JOBS_MESSAGE = /restore\/export jobs running/i;

/** Vendor code of a response without errors[].code: `Http<status>` (catalog rows use the same names). */
export function statusCode(status: number): string {
  return `Http${status}`;
}

/** Reads the envelope of an error response; tolerant of non-JSON gateway bodies. */
export function parseAvePointError(
  status: number,
  body: unknown,
): { vendorCode: string; message?: string; requestId?: string; field?: string } {
  if (!body || typeof body !== 'object') {
    return { vendorCode: statusCode(status), message: typeof body === 'string' && body ? body.slice(0, 500) : undefined };
  }
  const env = body as Envelope<unknown>;
  const first = env.errors?.find((e) => e?.code);
  const details = (env.errors ?? []).map((e) => [e.field, e.message].filter(Boolean).join(': ')).filter(Boolean);
  const message = [env.message, ...details].filter(Boolean).join('; ') || undefined;
  let vendorCode = first?.code ?? statusCode(status);
  if (!first && status === 429 && RUNNING_JOBS_MESSAGE.test(env.message ?? '')) vendorCode = RUNNING_JOBS_CODE;
  return { vendorCode, message, requestId: env.requestId, field: first?.field };
}

export function classifyAvePointCode(catalog: ErrorCatalog, vendorCode: string, status: number): { code: ErrorCode; retryable: boolean } {
  const row = catalog.lookup(VENDOR, vendorCode, status);
  return row ? { code: row.code, retryable: row.retryable } : fallbackForStatus(status);
}

/** A non-2xx API response as VendorError: catalog code (else status fallback), Retry-After, request id. */
export function avepointResponseError(
  res: VendorResponse,
  catalog: ErrorCatalog,
  clock: Clock,
  method: string,
  context: string,
): VendorError {
  const parsed = parseAvePointError(res.status, res.body);
  const { code, retryable } = classifyAvePointCode(catalog, parsed.vendorCode, res.status);
  return new VendorError({
    code,
    vendor: VENDOR,
    retryable,
    vendorCode: parsed.vendorCode,
    httpStatus: res.status,
    // No Retry-After is documented (SOURCE.md §Rate limiting); honoured when a gateway sends one.
    retryAfterMs: parseRetryAfterMs(res.headers, clock.now()),
    vendorRequestId: parsed.requestId ?? res.requestId,
    message: `AvePoint ${context}: ${parsed.message ?? `HTTP ${res.status}`}`,
    mayHaveApplied: method !== 'GET' && res.status >= 500,
  });
}

/** A refusal of the AOS identity service ({error, error_description}) as VendorError. */
export function avepointTokenError(res: VendorResponse, catalog: ErrorCatalog, clock: Clock): VendorError {
  const body = (res.body && typeof res.body === 'object' ? res.body : {}) as OAuthErrorBody;
  const vendorCode = body.error ?? statusCode(res.status);
  const row = catalog.lookup(VENDOR, vendorCode, res.status);
  // The identity service's 4xx is a refusal of the credentials unless the catalog says otherwise.
  const { code, retryable } = row
    ? { code: row.code, retryable: row.retryable }
    : res.status < 500 && res.status !== 429
      ? { code: 'AUTH_FAILED' as ErrorCode, retryable: false }
      : fallbackForStatus(res.status);
  return new VendorError({
    code,
    vendor: VENDOR,
    retryable,
    vendorCode,
    httpStatus: res.status,
    retryAfterMs: parseRetryAfterMs(res.headers, clock.now()),
    message: `AvePoint identity service refused the token request: ${body.error_description ?? body.error ?? `HTTP ${res.status}`}`,
  });
}
