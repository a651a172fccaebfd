import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ScopeRegistry, type FaultSpec, type VendorSandbox } from '../support';
import { bearerToken, decodeClaims, GRAPH_RESOURCE, GraphTokenService, registerGraphLogin } from './graph.auth';
import { graphContext, setGraphContext } from './graph.context';
import { GRAPH_GENERAL_ERRORS, GraphHttpError, graphError, graphErrorBody } from './graph.errors';
import { GRAPH_SANDBOX_DIRECTORY_SIZE, GraphDirectory, graphSandboxSites, graphSandboxUsers } from './graph.fixtures';
import { checkRoles } from './graph.permissions';
import { registerPolicyRoutes } from './graph.policy.routes';
import { registerRestoreRoutes } from './graph.restore.routes';
import { registerRuleRoutes } from './graph.rule.routes';
import { advanceTenant, graphConfig, newGraphTenantState, type GraphTenantState } from './graph.state';

const API_ROOT = '/v1.0/solutions/backupRestore';
const REQUEST_IDS = new WeakMap<FastifyRequest, { requestId: string; clientRequestId: string }>();

/**
 * Simulator of Microsoft Graph Backup Storage (seeds 000 and 003, vendor-specs/graph), mounted under /graph:
 *   /graph/login/{tenant}/...            Entra ID: OIDC discovery + v2.0 token endpoint (client credentials)
 *   /graph/v1.0/solutions/backupRestore  protection policies, units, inclusion rules, restore points, restore sessions
 *
 * One scope per Entra tenant id (from the login path or the token). Scope config keys
 * (SandboxControl.configure), defaults in GRAPH_CONFIG_DEFAULTS:
 *   tokenLifetimeSeconds (3600)  access token lifetime (wall clock; 0 issues already-expired tokens)
 *   protectDelayMs (500)         protectRequested/unprotectRequested/removeRequested -> done, and policy `updating`
 *   backupIntervalMs (3600000)   one restore point per protected unit at protection, then one per interval
 *   activatingMs (300)           restore session `activating` time after activate
 *   restoreDurationMs (1500)     then `active` time before the terminal status
 *   stuckSessions (false)        while true, activated sessions stay `active`
 *   maxActiveRestoreSessions (25), maxFilterClauses (20)
 *   appRoles (all four Backup Controller roles)  app roles in issued tokens: a list, or { "<clientId>": [roles] }
 *   billingProfile ('available')  'notAvailable' / 'unreadable': POST /enable answers 402 / 403 (seed 000)
 *   ruleRunMs (500)              inclusion rule `active` time after run, before completed / completedWithErrors
 *   failOperations ([])          createPolicy / deleteSession / createRule answer their seed 000 transient 500
 * Fixtures: graph.fixtures.ts (300 sites, users/OneDrives, mailboxes; the last 10 of each fail at restore).
 */
export class GraphSandbox implements VendorSandbox {
  readonly prefix = 'graph';
  readonly scopes = new ScopeRegistry<GraphTenantState>((tenantId) => newGraphTenantState(tenantId));
  private readonly tokens = new GraphTokenService();
  private readonly directories = new Map<string, GraphDirectory>();

  scopeOf(req: FastifyRequest): string | undefined {
    const login = /^\/graph\/login\/([^/?]+)\//.exec(req.url);
    if (login) return login[1] === 'common' ? undefined : decodeURIComponent(login[1]);
    if (!req.url.startsWith('/graph/v1.0/')) return undefined;
    const token = bearerToken(req);
    return token ? decodeClaims(token)?.tid : undefined;
  }

  /** The first 10 of the tenant's 300 seeded sites and users (ids as Graph gives them); indexes 290-299 fail at restore. */
  seededDirectory(tenantId: string): Record<string, unknown> {
    return {
      size: GRAPH_SANDBOX_DIRECTORY_SIZE,
      sites: graphSandboxSites(tenantId, 10).map((s) => ({ id: s.siteId, webUrl: s.webUrl, name: s.name })),
      users: graphSandboxUsers(tenantId, 10).map((u) => ({ id: u.directoryObjectId, email: u.email, displayName: u.displayName })),
    };
  }

  writeFault(reply: FastifyReply, fault: FaultSpec, req: FastifyRequest): void {
    const status = fault.status ?? 500;
    const known =
      status === 429
        ? 'TooManyRequests'
        : status === 503
          ? 'serviceNotAvailable'
          : status === 500
            ? 'generalException'
            : status === 401
              ? 'InvalidAuthenticationToken'
              : undefined;
    const requestId = randomUUID();
    const clientRequestId = String(req.headers['client-request-id'] ?? requestId);
    reply
      .code(status)
      .header('request-id', requestId)
      .header('client-request-id', clientRequestId)
      .header('content-type', 'application/json');
    if (fault.body !== undefined && !known) {
      reply.send(fault.body);
      return;
    }
    const general = GRAPH_GENERAL_ERRORS[known ?? 'BadRequest'];
    const given = (fault.body ?? {}) as { error?: { code?: string; message?: string } };
    reply.send(
      graphErrorBody(given.error?.code ?? known ?? 'BadRequest', given.error?.message ?? general.message, requestId, clientRequestId),
    );
  }

  async register(app: FastifyInstance): Promise<void> {
    // Graph accepts actions (activate, deactivate) with an empty JSON body; Fastify's default parser would not.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      const text = String(body ?? '');
      if (!text.trim()) return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        done(
          new GraphHttpError(
            400,
            'BadRequest',
            'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
          ),
          undefined,
        );
      }
    });
    app.addHook('onRequest', async (req) => {
      const requestId = randomUUID();
      REQUEST_IDS.set(req, { requestId, clientRequestId: String(req.headers['client-request-id'] ?? requestId) });
    });
    app.addHook('onSend', async (req, reply, payload) => {
      const ids = REQUEST_IDS.get(req);
      if (ids && !reply.hasHeader('request-id')) reply.header('request-id', ids.requestId).header('client-request-id', ids.clientRequestId);
      if (req.url.startsWith('/graph/v1.0/') && String(reply.getHeader('content-type') ?? '').startsWith('application/json')) {
        reply.header('content-type', 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8');
      }
      return payload;
    });
    app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
      const ids = REQUEST_IDS.get(req) ?? { requestId: randomUUID(), clientRequestId: randomUUID() };
      const e =
        err instanceof GraphHttpError
          ? err
          : err.statusCode && err.statusCode >= 400 && err.statusCode < 500
            ? new GraphHttpError(400, 'BadRequest', err.message)
            : new GraphHttpError(500, 'generalException', GRAPH_GENERAL_ERRORS.generalException.message);
      for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
      reply.code(e.status).send(graphErrorBody(e.code, e.message, ids.requestId, ids.clientRequestId));
    });
    app.setNotFoundHandler((req, reply) => {
      const ids = REQUEST_IDS.get(req) ?? { requestId: randomUUID(), clientRequestId: randomUUID() };
      const segment = req.url.split('?')[0].split('/').filter(Boolean).pop() ?? '';
      reply
        .code(400)
        .send(graphErrorBody('BadRequest', `Resource not found for the segment '${segment}'.`, ids.requestId, ids.clientRequestId));
    });

    registerGraphLogin(app, this.tokens, (tenantId) => this.scopes.get(tenantId) as never);
    await app.register(
      async (api) => {
        api.addHook('preHandler', async (req) => this.authenticate(req));
        api.get('', async (req) => this.serviceRoot(req));
        api.post('/enable', async (req) => this.enable(req));
        registerPolicyRoutes(api);
        registerRestoreRoutes(api);
        registerRuleRoutes(api);
      },
      { prefix: API_ROOT },
    );
  }

  /** Checks the bearer token like Graph (401 InvalidAuthenticationToken) and attaches the tenant context. */
  private authenticate(req: FastifyRequest): void {
    const unauthorized = (message: string) =>
      new GraphHttpError(401, 'InvalidAuthenticationToken', message, {
        'www-authenticate':
          'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
      });
    const token = bearerToken(req);
    if (!token) throw unauthorized('Access token is empty.');
    const claims = this.tokens.verify(token);
    if (!claims) throw unauthorized('Access token validation failure. Invalid signature.');
    if (claims.aud !== GRAPH_RESOURCE) throw unauthorized('Access token validation failure. Invalid audience.');
    if (claims.exp * 1000 <= Date.now()) throw unauthorized('Lifetime validation failed, the token is expired.');
    checkRoles(req.method, req.url.split('?')[0].slice(`/graph${API_ROOT}`.length), claims.roles ?? []);
    const scope = this.scopes.get(claims.tid);
    const now = scope.clock.now().getTime();
    const config = graphConfig(scope.config);
    advanceTenant(scope.state, now, config);
    setGraphContext(req, {
      tenantId: claims.tid,
      appId: claims.appid,
      scope,
      now,
      config,
      state: scope.state,
      directory: this.directory(claims.tid),
      includeUnknown: /include-unknown-enum-members/i.test(String(req.headers.prefer ?? '')),
      base: `https://${req.headers.host}/graph/v1.0`,
    });
  }

  private directory(tenantId: string): GraphDirectory {
    let d = this.directories.get(tenantId);
    if (!d) {
      d = new GraphDirectory(tenantId);
      this.directories.set(tenantId, d);
    }
    return d;
  }

  private serviceRoot(req: FastifyRequest) {
    return {
      '@odata.context': `https://${req.headers.host}/graph/v1.0/$metadata#solutions/backupRestore/$entity`,
      id: 'backupRestore',
      serviceStatus: this.serviceStatus(req),
    };
  }

  /**
   * POST /enable (body `{"appOwnerTenantId"}`). Scope config `billingProfile`: `available` (default), `notAvailable`
   * (402 BillingProfileNotAvailable) or `unreadable` (403 UnableToReadBillingProfile), seed 000 §Enable service.
   */
  private enable(req: FastifyRequest) {
    const billing = String(graphContext(req).scope.config.billingProfile ?? 'available');
    if (billing === 'notAvailable') throw graphError('enable', 'BillingProfileNotAvailable');
    if (billing === 'unreadable') throw graphError('enable', 'UnableToReadBillingProfile');
    return this.serviceStatus(req);
  }

  private serviceStatus(_req: FastifyRequest) {
    return {
      status: 'enabled',
      backupServiceConsumer: 'thirdparty',
      disableReason: 'none',
      gracePeriodDateTime: null,
      restoreAllowedTillDateTime: null,
      lastModifiedDateTime: null,
      lastModifiedBy: null,
    };
  }
}
