import type { Clock, ErrorCatalog, ErrorCode } from '@bg/domain';
import { fallbackForStatus } from '../http/status-fallback';
import { parseRetryAfterMs } from '../http/retry-after';
import type { VendorResponse } from '../http/vendor-http';
import { VendorError } from '../port/vendor-error';
import type { Envelope, OAuthErrorBody } from './avepoint.types';

const VENDOR = 'avepoint';

/**
 * The vendor code of a 429 that refuses a restore because of running jobs. The seed gives this refusal
 * no code, only its status on its endpoint (seed 001 §Responses: "If too many restore or export jobs are
 * running, the API returns 429 Too Many Requests"; no other 429 and no rate limit is documented), so a
 * 429 answering POST /backup/m365/restore/jobs is this refusal whatever its message says, and the
 * adapter names it to give it its own catalog row. A 429 of any other call is `Http429` (THROTTLED).
 */
export const RUNNING_JOBS_CODE = 'TooManyRunningJobs';

/** Which call an error answers: the restore submission has a documented 429 of its own. */
export type AvePointCall = 'restoreSubmission' | 'other';

/** Vendor code of a response without errors[].code: `Http<status>` (catalog rows use the same names). */
export function statusCode(status: number): string {
  return `Http${status}`;
}

/** Reads the envelope of an error response; tolerant of non-JSON gateway bodies. */
export function parseAvePointError(
  status: number,
  body: unknown,
  call: AvePointCall = 'other',
): { vendorCode: string; message?: string; requestId?: string; field?: string } {
  if (!body || typeof body !== 'object') {
    const vendorCode = status === 429 && call === 'restoreSubmission' ? RUNNING_JOBS_CODE : statusCode(status);
    return { vendorCode, message: typeof body === 'string' && body ? body.slice(0, 500) : undefined };
  }
  const env = body as Envelope<unknown>;
  const first = env.errors?.find((e) => e?.code);
  const details = (env.errors ?? []).map((e) => [e.field, e.message].filter(Boolean).join(': ')).filter(Boolean);
  const message = [env.message, ...details].filter(Boolean).join('; ') || undefined;
  let vendorCode = first?.code ?? statusCode(status);
  if (!first && status === 429 && call === 'restoreSubmission') vendorCode = RUNNING_JOBS_CODE;
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
  call: AvePointCall = 'other',
): VendorError {
  const parsed = parseAvePointError(res.status, res.body, call);
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
