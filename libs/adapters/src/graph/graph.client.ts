import type { Clock, ErrorCatalog } from '@bg/domain';
import { VendorHttp, type RequestOptions, type VendorResponse } from '../http/vendor-http';
import { throwIfAborted } from '../http/abort';
import { EntraTokenSource } from '../http/entra-token';
import type { AdapterConfig, CallContext } from '../port/port.types';
import { GRAPH_SCOPE, parseGraphCredentials, type GraphCredentials } from './graph.credentials';
import { graphResponseError, identityError } from './graph.errors';
import type { GraphWorkloadResources } from './graph.mapping';
import { GRAPH_NIL_ID, type GraphPermissionCheck } from './graph.permissions';
import type {
  BackupRestoreRoot,
  ODataCollection,
  ProtectionPolicyBase,
  ProtectionRuleBase,
  ProtectionUnitBase,
  ProtectionUnitDelta,
  ProtectionUnitDeltaResult,
  RestoreArtifactBase,
  RestoreArtifactCreate,
  RestorePoint,
  RestorePointSearchRequest,
  RestorePointSearchResponse,
  RestoreSessionBase,
} from './graph.types';

const ROOT = 'solutions/backupRestore';

/**
 * Typed HTTP client of Microsoft Graph Backup Storage: one method per endpoint, auth, no mapping.
 *
 * Why not @microsoft/microsoft-graph-client: each connection needs its own base URL and TLS trust
 * (VendorHttp), the SDK's global middleware chain retries on its own while here the worker owns every
 * retry decision, and we use about a dozen endpoints — a small typed client is easier to audit.
 */
export class GraphClient {
  private readonly entra: EntraTokenSource;
  private readonly http: VendorHttp;
  private readonly creds: GraphCredentials;
  private readonly catalog: ErrorCatalog;
  private readonly clock: Clock;

  constructor(config: AdapterConfig) {
    this.creds = parseGraphCredentials(config.credentials);
    this.catalog = config.catalog;
    this.clock = config.clock;
    this.http = new VendorHttp({
      vendor: 'graph',
      baseUrl: config.endpoint,
      clock: config.clock,
      timeoutMs: config.timeoutMs,
      tls: config.tls,
      requestIdHeaders: ['request-id', 'client-request-id'],
      clientRequestIdHeader: 'client-request-id',
    });
    this.entra = new EntraTokenSource(this.creds, GRAPH_SCOPE, identityError);
  }

  /**
   * Sends with a bearer token and `Prefer: include-unknown-enum-members` (SOURCE.md §Evolvable enums: without
   * it, restoreSessionStatus `failed` comes back as unknownFutureValue). On a 401 the cached token is dropped
   * (a new credential has an empty cache), a fresh one obtained, and the request repeated once.
   */
  async send<T>(ctx: CallContext, method: string, path: string, options: RequestOptions = {}): Promise<VendorResponse<T>> {
    throwIfAborted(ctx, 'graph');
    const attempt = async (): Promise<VendorResponse<T>> => {
      const token = await this.entra.token(ctx);
      return this.http.send<T>(ctx, method, path, {
        ...options,
        headers: { ...options.headers, authorization: `Bearer ${token}`, prefer: 'include-unknown-enum-members' },
      });
    };
    let res = await attempt();
    if (res.status === 401) {
      this.entra.reset();
      res = await attempt();
    }
    return res;
  }

  /** Sends and returns the body of a 2xx; any other status becomes a VendorError. */
  async call<T>(ctx: CallContext, method: string, path: string, options: RequestOptions = {}, context?: string): Promise<T> {
    const res = await this.send<T>(ctx, method, path, options);
    if (res.status < 200 || res.status >= 300) throw graphResponseError(res, this.catalog, this.clock, method, context);
    return res.body;
  }

  // --- root ---------------------------------------------------------------------------------------

  getRoot(ctx: CallContext): Promise<BackupRestoreRoot> {
    return this.call(ctx, 'GET', ROOT);
  }

  /**
   * One permission probe of `verify` (graph.permissions.ts), raw: a 403 says the permission is missing, anything
   * else that it is granted. None changes anything: deletes and searches of the nil id.
   */
  probePermission(ctx: CallContext, probe: GraphPermissionCheck['probe']): Promise<VendorResponse> {
    switch (probe) {
      case 'root':
        return this.send(ctx, 'GET', ROOT);
      case 'deletePolicy':
        return this.send(ctx, 'DELETE', `${ROOT}/protectionPolicies/${GRAPH_NIL_ID}`);
      case 'deleteRestoreSession':
        return this.send(ctx, 'DELETE', `${ROOT}/restoreSessions/${GRAPH_NIL_ID}`);
      case 'searchRestorePoints':
        return this.send(ctx, 'POST', `${ROOT}/restorePoints/search`, {
          body: { protectionUnitIds: [GRAPH_NIL_ID], protectionTimePeriod: { startDateTime: new Date(0).toISOString() } },
        });
    }
  }

  /** Forgets the cached access token: the next call gets a new one (with the app roles consented by then). */
  dropToken(): void {
    this.entra.reset();
  }

  /** A non-2xx response as VendorError (catalog code, Retry-After, request id). */
  responseError(res: VendorResponse, method: string, context?: string): Error {
    return graphResponseError(res, this.catalog, this.clock, method, context);
  }

  // --- protection policies ------------------------------------------------------------------------

  /** `GET /protectionPolicies` (all workloads; items carry `@odata.type`), or the nextLink as given. */
  listPolicies(ctx: CallContext, nextLink?: string): Promise<ODataCollection<ProtectionPolicyBase>> {
    return this.call(ctx, 'GET', nextLink ?? `${ROOT}/protectionPolicies`);
  }

  getPolicy(ctx: CallContext, policyId: string): Promise<ProtectionPolicyBase> {
    return this.call(ctx, 'GET', `${ROOT}/protectionPolicies/${enc(policyId)}`);
  }

  /** `GET /<workload>ProtectionPolicies/{id}`: raw response, used to find a policy's workload by probing. */
  probeWorkloadPolicy(ctx: CallContext, r: GraphWorkloadResources, policyId: string): Promise<VendorResponse<ProtectionPolicyBase>> {
    return this.send(ctx, 'GET', `${ROOT}/${r.policies}/${enc(policyId)}`);
  }

  createPolicy(
    ctx: CallContext,
    r: GraphWorkloadResources,
    displayName: string,
    units: ProtectionUnitDelta[],
  ): Promise<ProtectionPolicyBase> {
    return this.call(ctx, 'POST', `${ROOT}/${r.policies}`, { body: { displayName, [r.units]: units } });
  }

  /** `PATCH /<workload>ProtectionPolicies/{id}` with displayName and/or `<units>@delta`. */
  patchPolicy(
    ctx: CallContext,
    r: GraphWorkloadResources,
    policyId: string,
    patch: { displayName?: string; delta?: ProtectionUnitDelta[] },
  ): Promise<ProtectionPolicyBase & Record<string, ProtectionUnitDeltaResult[] | unknown>> {
    const body: Record<string, unknown> = {};
    if (patch.displayName !== undefined) body.displayName = patch.displayName;
    if (patch.delta) body[`${r.units}@delta`] = patch.delta;
    return this.call(ctx, 'PATCH', `${ROOT}/${r.policies}/${enc(policyId)}`, { body });
  }

  async deletePolicy(ctx: CallContext, policyId: string): Promise<void> {
    await this.call(ctx, 'DELETE', `${ROOT}/protectionPolicies/${enc(policyId)}`);
  }

  activatePolicy(ctx: CallContext, policyId: string): Promise<ProtectionPolicyBase> {
    return this.call(ctx, 'POST', `${ROOT}/protectionPolicies/${enc(policyId)}/activate`);
  }

  deactivatePolicy(ctx: CallContext, policyId: string): Promise<ProtectionPolicyBase> {
    return this.call(ctx, 'POST', `${ROOT}/protectionPolicies/${enc(policyId)}/deactivate`);
  }

  // --- protection units ---------------------------------------------------------------------------

  listUnits(
    ctx: CallContext,
    r: GraphWorkloadResources,
    policyId: string,
    nextLink?: string,
  ): Promise<ODataCollection<ProtectionUnitBase>> {
    return this.call(ctx, 'GET', nextLink ?? `${ROOT}/${r.policies}/${enc(policyId)}/${r.units}`);
  }

  // --- inclusion rules (dynamic protection) -----------------------------------------------------

  /** `GET /<policies>/{id}/<rules>`: the policy's inclusion rules. */
  listPolicyRules(ctx: CallContext, r: GraphWorkloadResources, policyId: string): Promise<ODataCollection<ProtectionRuleBase>> {
    return this.call(ctx, 'GET', `${ROOT}/${r.policies}/${enc(policyId)}/${r.rules}`);
  }

  /** `POST /<policies>/{id}/<rules>` (Graph docs, Create protectionRuleBase): a rule of that policy. */
  createPolicyRule(ctx: CallContext, r: GraphWorkloadResources, policyId: string, expression: string): Promise<ProtectionRuleBase> {
    return this.call(ctx, 'POST', `${ROOT}/${r.policies}/${enc(policyId)}/${r.rules}`, { body: { [r.ruleExpression]: expression } });
  }

  /** `POST /<rules>/{id}/run` (action run): starts applying the rule. */
  runRule(ctx: CallContext, r: GraphWorkloadResources, ruleId: string): Promise<ProtectionRuleBase> {
    return this.call(ctx, 'POST', `${ROOT}/${r.rules}/${enc(ruleId)}/run`);
  }

  getRule(ctx: CallContext, r: GraphWorkloadResources, ruleId: string): Promise<ProtectionRuleBase> {
    return this.call(ctx, 'GET', `${ROOT}/${r.rules}/${enc(ruleId)}`);
  }

  /** Raw response: a rule already gone (404 ProtectionRuleNotFound) is an answer for delete. */
  deleteRule(ctx: CallContext, r: GraphWorkloadResources, ruleId: string): Promise<VendorResponse> {
    return this.send(ctx, 'DELETE', `${ROOT}/${r.rules}/${enc(ruleId)}`);
  }

  // --- restore points -----------------------------------------------------------------------------

  /** `GET /restorePoints` with the documented `$expand` + `$filter` (at most five points, no nextLink). */
  listRestorePoints(ctx: CallContext, query: Record<string, string>): Promise<ODataCollection<RestorePoint>> {
    return this.call(ctx, 'GET', `${ROOT}/restorePoints`, { query });
  }

  /** `POST /restorePoints/search`: per unit, the latest (or oldest) point of a period. */
  searchRestorePoints(ctx: CallContext, body: RestorePointSearchRequest): Promise<RestorePointSearchResponse> {
    return this.call(ctx, 'POST', `${ROOT}/restorePoints/search`, { body });
  }

  // --- restore sessions ---------------------------------------------------------------------------

  createRestoreSession(
    ctx: CallContext,
    r: GraphWorkloadResources,
    body: Record<string, RestoreArtifactCreate[]>,
  ): Promise<RestoreSessionBase> {
    return this.call(ctx, 'POST', `${ROOT}/${r.restoreSessions}`, { body });
  }

  /** `GET /<restoreSessions>?$filter=…`, one page (`nextLink` for the next). */
  listRestoreSessions(
    ctx: CallContext,
    r: GraphWorkloadResources,
    filter: string,
    nextLink?: string,
  ): Promise<ODataCollection<RestoreSessionBase>> {
    return nextLink
      ? this.call(ctx, 'GET', nextLink)
      : this.call(ctx, 'GET', `${ROOT}/${r.restoreSessions}`, { query: { $filter: filter } });
  }

  /** Raw response: a missing session is an answer (404) for reconciliation, not only an error. */
  getRestoreSession(ctx: CallContext, sessionId: string): Promise<VendorResponse<RestoreSessionBase>> {
    return this.send(ctx, 'GET', `${ROOT}/restoreSessions/${enc(sessionId)}`);
  }

  restoreSessionError(res: VendorResponse, method: string, context?: string): Error {
    return graphResponseError(res, this.catalog, this.clock, method, context);
  }

  activateRestoreSession(ctx: CallContext, sessionId: string): Promise<RestoreSessionBase> {
    return this.call(ctx, 'POST', `${ROOT}/restoreSessions/${enc(sessionId)}/activate`);
  }

  async deleteRestoreSession(ctx: CallContext, sessionId: string): Promise<void> {
    await this.call(ctx, 'DELETE', `${ROOT}/restoreSessions/${enc(sessionId)}`);
  }

  /** `restorePoint` is a navigation property: `$expand` it so each artifact names its restore point. */
  listRestoreArtifacts(
    ctx: CallContext,
    r: GraphWorkloadResources,
    sessionId: string,
    nextLink?: string,
  ): Promise<ODataCollection<RestoreArtifactBase>> {
    return nextLink
      ? this.call(ctx, 'GET', nextLink)
      : this.call(ctx, 'GET', `${ROOT}/${r.restoreSessions}/${enc(sessionId)}/${r.artifacts}`, { query: { $expand: 'restorePoint' } });
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

function enc(id: string): string {
  return encodeURIComponent(id);
}
