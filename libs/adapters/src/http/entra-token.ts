import { AsyncLocalStorage } from 'node:async_hooks';
import { ClientSecretCredential } from '@azure/identity';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { CallContext } from '../port/port.types';

export interface EntraClientCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
}

/**
 * Microsoft Entra client-credentials tokens for one connection (Graph and Azure Resource Manager):
 * one ClientSecretCredential (MSAL caches the token), identity retries off (the worker decides), and a
 * pipeline policy reporting each Entra call through the CallContext of the token() that caused it.
 * The token request ignores `ctx.signal` (see CallContext): the vendor request after it honours it.
 */
export class EntraTokenSource {
  private credential: ClientSecretCredential;
  private readonly tokenCtx = new AsyncLocalStorage<CallContext>();

  constructor(
    private readonly creds: EntraClientCredentials,
    private readonly scope: string,
    /** Turns an @azure/identity failure into the vendor's VendorError. */
    private readonly mapError: (e: unknown) => Error,
  ) {
    this.credential = this.newCredential();
  }

  async token(ctx: CallContext): Promise<string> {
    try {
      const t = await this.tokenCtx.run(ctx, () => this.credential.getToken(this.scope));
      if (!t?.token) throw new Error('Microsoft Entra returned no access token');
      return t.token;
    } catch (e) {
      throw this.mapError(e);
    }
  }

  /** Drops the cached token (after a 401): @azure/identity cannot force a refresh, a new credential starts empty. */
  reset(): void {
    this.credential = this.newCredential();
  }

  private newCredential(): ClientSecretCredential {
    const report: PipelinePolicy = {
      name: 'bgReportEntraCall',
      sendRequest: async (request, next) => {
        const ctx = this.tokenCtx.getStore();
        const started = Date.now();
        const path = new URL(request.url).pathname;
        try {
          const res = await next(request);
          ctx?.onVendorCall?.({ method: request.method, path, status: res.status, durationMs: Date.now() - started });
          return res;
        } catch (e) {
          ctx?.onVendorCall?.({ method: request.method, path, status: 0, durationMs: Date.now() - started });
          throw e;
        }
      },
    };
    return new ClientSecretCredential(this.creds.tenantId, this.creds.clientId, this.creds.clientSecret, {
      authorityHost: this.creds.authorityHost,
      disableInstanceDiscovery: true,
      retryOptions: { maxRetries: 0 },
      additionalPolicies: [{ policy: report, position: 'perCall' }],
    });
  }
}
