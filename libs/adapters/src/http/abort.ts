import type { CallContext } from '../port/port.types';
import { VendorError } from '../port/vendor-error';

/**
 * The caller aborted the call (`ctx.signal`): retryable VENDOR_UNAVAILABLE, since nothing is wrong with the
 * request itself. `sent` says whether a request had left already; if so a write may have been applied.
 */
export function abortedError(vendor: string, ctx: CallContext, call?: { method: string; sent: boolean }): VendorError {
  const reason = ctx.signal?.reason instanceof Error ? `: ${ctx.signal.reason.message}` : '';
  return new VendorError({
    code: 'VENDOR_UNAVAILABLE',
    vendor,
    retryable: true,
    message: `The call to ${vendor} was aborted by the caller${call?.sent ? ' while in flight' : ' before any request'}${reason}`,
    mayHaveApplied: call ? call.sent && call.method !== 'GET' : false,
  });
}

/** Throws `abortedError` (before any request) when the context's signal is already aborted. */
export function throwIfAborted(ctx: CallContext, vendor: string): void {
  if (ctx.signal?.aborted) throw abortedError(vendor, ctx);
}

/**
 * `ctx` without its signal: the same request id and call hook. For token requests, which are shared by every
 * concurrent call of the connection (one caller's abort must not fail the others; the aborted caller stops
 * at its own next request instead), and for clean-up that must run even when the call was aborted.
 */
export function withoutSignal(ctx: CallContext): CallContext {
  const rest = { ...ctx };
  delete rest.signal;
  return rest;
}
