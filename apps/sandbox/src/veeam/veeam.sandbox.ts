import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ScopeRegistry, type FaultSpec, type VendorSandbox } from '../support';
import { type AuthedRequest, bearerOf, registerAuth, serverKeyOfToken, serverKeyOfTokenRequest, TOKEN_PATH } from './veeam.auth';
import { errorCodeForStatus, exceptionInfo } from './veeam.errors';
import { registerJobRoutes } from './veeam.jobs';
import { advanceJobs, sitesOf } from './veeam.model';
import { registerOrganizationRoutes } from './veeam.organizations';
import { registerLicensingRoutes } from './veeam.licensing';
import { registerRepositoryRoutes } from './veeam.repositories';
import { registerRestoreRoutes } from './veeam.restore';
import { initialVeeamState, type VeeamServerState } from './veeam.state';

const FAULT_MESSAGES: Record<number, string> = {
  400: 'The request is invalid.',
  403: 'Access is denied.',
  404: 'The resource was not found.',
  409: 'The operation conflicts with the current state.',
  429: 'Too many requests.',
  500: 'An internal server error occurred.',
  502: 'Bad gateway.',
  503: 'The backup proxy is offline.',
  504: 'The operation timed out.',
};

/**
 * Simulated Veeam Backup for Microsoft 365 REST API v8, mounted under /veeam (so a connection's endpoint
 * is `${origin}/veeam` and the token URL `${origin}/veeam/v8/token`). One scope = one VB365 server,
 * keyed by the user name / client id in the access token. Written from seed 002 and the vendor's v8
 * OpenAPI (vendor-specs/veeam), never from the adapter.
 */
export class VeeamSandbox implements VendorSandbox {
  readonly prefix = 'veeam';
  readonly scopes = new ScopeRegistry<VeeamServerState>((key) => initialVeeamState(key));

  register(app: FastifyInstance): void {
    registerAuth(app, this.scopes, (reply, status, headers, body) => this.writeStatus(reply, status, headers ?? {}, body));
    app.addHook('preHandler', async (req) => {
      const scope = (req as FastifyRequest & AuthedRequest).veeamScope;
      if (scope) advanceJobs(scope);
    });
    registerOrganizationRoutes(app);
    registerRepositoryRoutes(app);
    registerLicensingRoutes(app);
    registerJobRoutes(app);
    registerRestoreRoutes(app);
  }

  scopeOf(req: FastifyRequest): string | undefined {
    const fromToken = serverKeyOfToken(bearerOf(req));
    if (fromToken) return fromToken;
    const path = req.url.split('?')[0].slice(this.prefix.length + 1);
    return path.toLowerCase() === TOKEN_PATH ? serverKeyOfTokenRequest(req.body) : undefined;
  }

  /** The organization's seeded SharePoint sites (the first 10; `siteCount` in the config sets how many exist). */
  seededDirectory(serverKey: string): Record<string, unknown> {
    const sites = sitesOf(this.scopes.get(serverKey));
    return { siteCount: sites.length, sites: sites.slice(0, 10).map((s) => ({ id: s.id, url: s.url, title: s.title })) };
  }

  writeFault(reply: FastifyReply, fault: FaultSpec): void {
    this.writeStatus(reply, fault.status ?? 500, {}, fault.body);
  }

  private writeStatus(reply: FastifyReply, status: number, headers: Record<string, string>, body: unknown): void {
    for (const [k, v] of Object.entries(headers)) reply.header(k, v);
    reply.code(status).send(body ?? exceptionInfo(errorCodeForStatus(status), FAULT_MESSAGES[status] ?? 'The operation failed.'));
  }
}
