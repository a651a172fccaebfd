import { createHash, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import type { Clock } from '@bg/domain';
import type { CallContext } from '../port/port.types';
import { VendorError } from '../port/vendor-error';
import { abortedError, throwIfAborted } from './abort';

export interface VendorResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  /** The vendor's request id header, when it sends one. */
  requestId?: string;
}

export interface VendorHttpOptions {
  vendor: string;
  baseUrl: string;
  clock: Clock;
  timeoutMs?: number;
  tls?: { caCertPem?: string; pinnedSha256?: string };
  /** Header names carrying the vendor's request id, in order of preference. */
  requestIdHeaders?: string[];
  /** The request header that carries `CallContext.requestId` to the vendor (default `x-request-id`). */
  clientRequestIdHeader?: string;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Raw form body (token endpoints). */
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

function normalizeFingerprint(fp: string): string {
  return fp.replace(/[^a-fA-F0-9]/g, '').toLowerCase();
}

/**
 * Plain HTTP plumbing shared by adapters: base URL, per-connection TLS trust, timeouts, JSON, our request
 * id out and the vendor's back, the caller's AbortSignal, and one VendorCallRecord per call. It never
 * retries and never maps vendor error bodies (that is each vendor's errors.ts); it returns every status
 * to the caller. An aborted `ctx.signal` rejects with `abortedError` (retryable VENDOR_UNAVAILABLE).
 */
export class VendorHttp {
  private readonly dispatcher: Agent;
  private readonly base: URL;

  constructor(private readonly opts: VendorHttpOptions) {
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
    const pinned = opts.tls?.pinnedSha256 ? normalizeFingerprint(opts.tls.pinnedSha256) : undefined;
    this.dispatcher = new Agent({
      connect: pinned ? pinnedConnector(opts.tls?.caCertPem, pinned) : { ca: opts.tls?.caCertPem },
      keepAliveTimeout: 30_000,
      connections: 64,
    });
  }

  /** Resolves a path (relative to the base URL) or an absolute URL the vendor returned (nextLink, Location). */
  url(pathOrUrl: string, query?: RequestOptions['query']): URL {
    const u = /^https?:\/\//.test(pathOrUrl) ? new URL(pathOrUrl) : new URL(pathOrUrl.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  }

  async send<T = unknown>(ctx: CallContext, method: string, pathOrUrl: string, options: RequestOptions = {}): Promise<VendorResponse<T>> {
    const vendor = this.opts.vendor;
    throwIfAborted(ctx, vendor);
    if (ctx.beforeVendorCall) {
      await ctx.beforeVendorCall();
      throwIfAborted(ctx, vendor);
    }
    const url = this.url(pathOrUrl, options.query);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (ctx.requestId) headers[this.opts.clientRequestIdHeader ?? 'x-request-id'] ??= ctx.requestId;
    let body: string | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const started = Date.now();
    const report = (status: number, vendorRequestId?: string) =>
      ctx.onVendorCall?.({ method, path: url.pathname, status, durationMs: Date.now() - started, vendorRequestId });
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        dispatcher: this.dispatcher,
        signal: ctx.signal,
        headersTimeout: this.opts.timeoutMs ?? 30_000,
        bodyTimeout: this.opts.timeoutMs ?? 30_000,
      });
    } catch (e) {
      report(0);
      if (ctx.signal?.aborted) throw abortedError(vendor, ctx, { method, sent: true });
      if (e instanceof TlsPinMismatch) {
        // A wrong pin is configuration, not a transient outage: retrying cannot help.
        throw new VendorError({
          code: 'VENDOR_ERROR',
          vendor,
          retryable: false,
          message: `TLS certificate of ${vendor} at ${url.origin} does not match the connection's pinned SHA-256 fingerprint (${e.actual})`,
        });
      }
      throw new VendorError({
        code: 'VENDOR_UNAVAILABLE',
        vendor,
        retryable: true,
        message: `Could not reach ${vendor} at ${url.origin}: ${(e as Error).message}`,
        mayHaveApplied: method !== 'GET',
      });
    }
    const requestId = this.requestId(res.headers);
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      // The vendor answered (its status line came) but the body did not arrive: the request was applied if it was a write.
      report(res.statusCode, requestId);
      if (ctx.signal?.aborted) throw abortedError(vendor, ctx, { method, sent: true });
      throw new VendorError({
        code: 'VENDOR_UNAVAILABLE',
        vendor,
        retryable: true,
        httpStatus: res.statusCode,
        vendorRequestId: requestId,
        message: `The response of ${vendor} at ${url.origin} broke off: ${(e as Error).message}`,
        mayHaveApplied: method !== 'GET',
      });
    }
    let parsed: unknown = text;
    const ctype = String(res.headers['content-type'] ?? '');
    if (text && (ctype.includes('json') || /^[[{]/.test(text.trim()))) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    } else if (!text) parsed = undefined;
    report(res.statusCode, requestId);
    return { status: res.statusCode, headers: res.headers, body: parsed as T, requestId };
  }

  private requestId(headers: Record<string, string | string[] | undefined>): string | undefined {
    for (const name of this.opts.requestIdHeaders ?? ['request-id', 'x-request-id', 'x-ms-request-id', 'client-request-id']) {
      const v = headers[name];
      if (v) return Array.isArray(v) ? v[0] : v;
    }
    return undefined;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** The server certificate's SHA-256 differs from the connection's pinned fingerprint. */
export class TlsPinMismatch extends Error {
  constructor(readonly actual: string) {
    super('TLS certificate does not match the pinned SHA-256 fingerprint');
    this.name = 'TlsPinMismatch';
  }
}

/**
 * A connector for a pinned certificate (self-signed Veeam servers): chain validation is replaced, for
 * this connection only, by an exact SHA-256 match of the leaf certificate, checked on every new TLS
 * socket before any request is written. (Node ignores a `checkServerIdentity` error when
 * `rejectUnauthorized` is false, so the pin is checked here instead.)
 */
function pinnedConnector(ca: string | undefined, pinned: string): buildConnector.connector {
  // No TLS session resumption: a resumed session shows no peer certificate to check.
  const base = buildConnector({ ca, rejectUnauthorized: false, maxCachedSessions: 0 });
  return (options, callback) =>
    base(options, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('TLS connection failed'), null);
      const cert = (socket as TLSSocket).getPeerCertificate?.(true);
      const actual = cert?.raw ? createHash('sha256').update(cert.raw).digest('hex') : '';
      if (actual !== pinned) {
        socket.destroy();
        return callback(new TlsPinMismatch(actual), null);
      }
      return callback(null, socket);
    });
}

/** SHA-256 fingerprint (hex) of a PEM certificate, for users pinning a Veeam server certificate. */
export function certificateSha256(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}
