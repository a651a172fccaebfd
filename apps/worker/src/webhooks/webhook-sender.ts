import { isIP } from 'node:net';
import type { OnApplicationShutdown } from '@nestjs/common';
import { Agent, request } from 'undici';
import { parseRetryAfterMs } from '@bg/adapters';
import { WebhookAddressRefused, blockedReason, guardedLookup, type LookupAll } from '@bg/platform';

/** What one POST to a webhook URL gave: a status (any), or an error (refused, timed out, network). */
export interface SendResult {
  statusCode?: number;
  durationMs: number;
  error?: string;
  /** The address check refused the host (SSRF guard); nothing was sent. */
  refused?: boolean;
  excerpt?: string;
  retryAfterMs?: number;
}

const EXCERPT_BYTES = 1024;
const EXCERPT_CHARS = 500;

function refusalIn(err: unknown): WebhookAddressRefused | undefined {
  for (let e = err as { cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e instanceof WebhookAddressRefused || (e as { code?: string }).code === 'WEBHOOK_ADDRESS_REFUSED')
      return e as WebhookAddressRefused;
  }
  return undefined;
}

function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || /TIMEOUT/.test(e?.code ?? '')) return `timed out after ${timeoutMs} ms`;
  return `${e?.code ? `${e.code}: ` : ''}${e?.message ?? String(err)}`.slice(0, 1000);
}

/**
 * POSTs webhook messages. Connections go through an undici Agent whose `lookup` refuses loopback,
 * private, link-local and metadata addresses unless local URLs are allowed, so the address checked is
 * the address connected to (DNS rebinding gets nowhere); an IP literal host is checked here, since
 * connecting to one does not call lookup. Redirects are not followed. One timeout covers connect,
 * response headers and the body excerpt.
 */
export class WebhookSender implements OnApplicationShutdown {
  private readonly agent: Agent;

  constructor(private readonly opts: { allowLocal: boolean; timeoutMs: number; lookupAll?: LookupAll }) {
    const lookup = guardedLookup(opts.allowLocal, opts.lookupAll);
    this.agent = new Agent({
      connect: { lookup, timeout: opts.timeoutMs } as unknown as Agent.Options['connect'],
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      keepAliveTimeout: 10_000,
    });
  }

  async send(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const literalReason = !this.opts.allowLocal && isIP(host) ? blockedReason(host) : undefined;
    if (literalReason) return { durationMs: 0, refused: true, error: `refused: ${host} (${literalReason})` };
    try {
      const res = await request(url, {
        method: 'POST',
        body,
        headers,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      const excerpt = await this.excerpt(res.body);
      return {
        statusCode: res.statusCode,
        durationMs: elapsed(),
        excerpt,
        retryAfterMs: parseRetryAfterMs(res.headers as Record<string, string | string[] | undefined>, new Date()),
      };
    } catch (e) {
      const refusal = refusalIn(e);
      if (refusal) return { durationMs: elapsed(), refused: true, error: refusal.message };
      return { durationMs: elapsed(), error: describe(e, this.opts.timeoutMs) };
    }
  }

  /** The start of the response body (for the attempt record); the rest is discarded. */
  private async excerpt(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of body) {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= EXCERPT_BYTES) break;
      }
    } catch {
      // A body cut short still leaves the status; the excerpt is best effort.
    } finally {
      body.destroy();
    }
    const text = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8').slice(0, EXCERPT_CHARS);
    return text || undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    // Idempotent: a second shutdown (or a destroyed agent) is not an error.
    if (!this.agent.closed && !this.agent.destroyed) await this.agent.close();
  }
}
