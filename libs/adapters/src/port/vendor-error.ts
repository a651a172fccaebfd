import type { ErrorCode } from '@bg/domain';

/**
 * A vendor call failed. `code` is the normalized code (from the error catalog), `retryable` decides
 * whether the worker tries again, `retryAfterMs` (from Retry-After) is the earliest time it may.
 */
export class VendorError extends Error {
  readonly code: ErrorCode;
  readonly vendor: string;
  readonly vendorCode?: string;
  readonly httpStatus?: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly vendorRequestId?: string;
  /** True when the request may have reached the vendor and changed state (do not blindly repeat). */
  readonly mayHaveApplied: boolean;

  constructor(init: {
    code: ErrorCode;
    vendor: string;
    message: string;
    vendorCode?: string;
    httpStatus?: number;
    retryable: boolean;
    retryAfterMs?: number;
    vendorRequestId?: string;
    mayHaveApplied?: boolean;
  }) {
    super(init.message);
    this.name = 'VendorError';
    this.code = init.code;
    this.vendor = init.vendor;
    this.vendorCode = init.vendorCode;
    this.httpStatus = init.httpStatus;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
    this.vendorRequestId = init.vendorRequestId;
    this.mayHaveApplied = init.mayHaveApplied ?? false;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      vendor: this.vendor,
      vendorCode: this.vendorCode,
      httpStatus: this.httpStatus,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      vendorRequestId: this.vendorRequestId,
      message: this.message,
    };
  }
}

export function isVendorError(e: unknown): e is VendorError {
  return e instanceof VendorError;
}
