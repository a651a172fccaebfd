import type { Clock, ErrorCatalog } from '@bg/domain';
import { throwIfAborted, withoutSignal } from '../http/abort';
import { type RequestOptions, type VendorResponse, VendorHttp } from '../http/vendor-http';
import type { AdapterConfig, CallContext } from '../port/port.types';
import { VendorError } from '../port/vendor-error';
import { VEEAM_PAGE_SIZE, VEEAM_TOKEN_REFRESH_SKEW_MS } from './veeam.capabilities';
import { type VeeamCredentials, veeamTls } from './veeam.credentials';
import { VEEAM, veeamError } from './veeam.errors';
import type {
  OAuthTokenResponse,
  PageOf,
  RESTAsyncRestoreResponse,
  RESTBackupRepository,
  RESTBackupRepositoryStorageUsageInfo,
  RESTCreateBackupJob,
  RESTEditBackupJob,
  RESTExchangeFolder,
  RESTExchangeMailbox,
  RESTExploreOptions,
  RESTItemComposed,
  RESTJob,
  RESTJobItemComposed,
  RESTJobSession,
  RESTJobSessionStatusFilter,
  RESTLogItem,
  RESTOneDrive,
  RESTRestorePoint,
  RESTRestoreSession,
  RESTRestoreSessionEvent,
  RESTSharePointSite,
  RESTSite,
  RESTStartJobOptions,
  RESTUser,
  RestOrganizationComposed,
} from './veeam.types';

/** Where a restore-session collection lives: the spec spells Exchange's "organization" in lower case. */
export const SESSION_COLLECTION = {
  site: 'Organization/Sites',
  oneDrive: 'Organization/OneDrives',
  mailbox: 'organization/mailboxes',
} as const;
export type SessionCollection = keyof typeof SESSION_COLLECTION;

interface Token {
  access: string;
  refresh: string;
  expiresAt: number;
}

const enc = encodeURIComponent;

/**
 * Typed calls to the VB365 REST API v8, one method per endpoint, and its auth: POST /v8/token (password
 * or jwt-bearer grant, refresh_token to renew), `Authorization: Bearer`, refresh shortly before expiry
 * and once after a 401. No mapping to the domain here; every non-2xx becomes a VendorError.
 */
export class VeeamClient {
  private readonly http: VendorHttp;
  private readonly clock: Clock;
  private readonly catalog: ErrorCatalog;
  private token?: Token;
  private pendingToken?: Promise<string>;

  constructor(
    config: AdapterConfig,
    private readonly creds: VeeamCredentials,
  ) {
    this.clock = config.clock;
    this.catalog = config.catalog;
    this.http = new VendorHttp({
      vendor: VEEAM,
      baseUrl: config.endpoint,
      clock: config.clock,
      timeoutMs: config.timeoutMs,
      tls: veeamTls(config, creds),
      // The v8 spec names no request-id header; x-request-id is the common convention.
      clientRequestIdHeader: 'x-request-id',
    });
  }

  private get deps(): { catalog: ErrorCatalog; clock: Clock } {
    return { catalog: this.catalog, clock: this.clock };
  }

  // ---- auth --------------------------------------------------------------------------------------

  private async tokenRequest(ctx: CallContext, form: Record<string, string>, what: string): Promise<Token> {
    // Server-to-server client: no browser cookie to carry an antiforgery token (spec /v8/token disable_antiforgery_token).
    const res = await this.http.send<OAuthTokenResponse>(ctx, 'POST', 'v8/token', { form: { ...form, disable_antiforgery_token: 'true' } });
    if (res.status !== 200) {
      const e = veeamError(res, this.deps, { method: 'POST', what });
      // The token endpoint refuses credentials with RESTExceptionInfo (spec operationId token, `default`), whose
      // errorCode says nothing of sign-in (none, or ParameterValidationFailure): any 4xx but 429 from it is a
      // refused sign-in or refresh, whatever the body. Throttling (429) and outages (5xx) keep their codes.
      if (res.status >= 400 && res.status < 500 && res.status !== 429)
        throw new VendorError({
          code: 'AUTH_FAILED',
          retryable: false,
          vendor: VEEAM,
          vendorCode: e.vendorCode,
          httpStatus: e.httpStatus,
          vendorRequestId: e.vendorRequestId,
          message: e.message,
        });
      throw e;
    }
    const b = res.body;
    if (!b || typeof b.access_token !== 'string' || typeof b.expires_in !== 'number') {
      throw new VendorError({
        code: 'VENDOR_ERROR',
        vendor: VEEAM,
        retryable: true,
        message: 'Veeam token response lacks access_token / expires_in',
      });
    }
    return { access: b.access_token, refresh: b.refresh_token, expiresAt: this.clock.now().getTime() + b.expires_in * 1000 };
  }

  private login(ctx: CallContext): Promise<Token> {
    const g = this.creds.grant;
    return g.kind === 'password'
      ? this.tokenRequest(ctx, { grant_type: 'password', username: g.username, password: g.password }, 'sign-in (password grant)')
      : this.tokenRequest(
          ctx,
          { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', client_id: g.clientId, assertion: g.assertion },
          'sign-in (jwt-bearer grant)',
        );
  }

  private async renew(ctx: CallContext): Promise<string> {
    const old = this.token;
    if (old?.refresh) {
      try {
        this.token = await this.tokenRequest(ctx, { grant_type: 'refresh_token', refresh_token: old.refresh }, 'token refresh');
        return this.token.access;
      } catch (e) {
        // A refused refresh (expired, revoked or already used refresh token: AUTH_FAILED above) means signing
        // in again; throttling or outages do not.
        if (!(e instanceof VendorError) || e.code !== 'AUTH_FAILED') throw e;
      }
    }
    this.token = await this.login(ctx);
    return this.token.access;
  }

  /** A valid access token: cached, renewed shortly before expiry, or renewed now when `stale` was refused. */
  private async accessToken(ctx: CallContext, stale?: string): Promise<string> {
    const t = this.token;
    const fresh = t && t.access !== stale && t.expiresAt - VEEAM_TOKEN_REFRESH_SKEW_MS > this.clock.now().getTime();
    if (fresh) return t.access;
    // One token request at a time; concurrent callers share it, so it ignores their signals.
    this.pendingToken ??= this.renew(withoutSignal(ctx)).finally(() => {
      this.pendingToken = undefined;
    });
    return this.pendingToken;
  }

  // ---- plumbing ----------------------------------------------------------------------------------

  /** One authenticated call; a 401 renews the token once and repeats the call. */
  async call<T>(ctx: CallContext, method: string, path: string, what: string, opts: RequestOptions = {}): Promise<VendorResponse<T>> {
    throwIfAborted(ctx, VEEAM);
    let token = await this.accessToken(ctx);
    let res = await this.http.send<T>(ctx, method, path, { ...opts, headers: { ...opts.headers, authorization: `Bearer ${token}` } });
    if (res.status === 401) {
      token = await this.accessToken(ctx, token);
      res = await this.http.send<T>(ctx, method, path, { ...opts, headers: { ...opts.headers, authorization: `Bearer ${token}` } });
    }
    if (res.status >= 300) throw veeamError(res, this.deps, { method, what });
    return res;
  }

  async json<T>(ctx: CallContext, method: string, path: string, what: string, opts: RequestOptions = {}): Promise<T> {
    return (await this.call<T>(ctx, method, path, what, opts)).body;
  }

  /** One page (limit/offset, seed 002: default 30, max 10,000). */
  page<T>(
    ctx: CallContext,
    path: string,
    what: string,
    paging: { offset?: number; limit?: number },
    query: RequestOptions['query'] = {},
  ): Promise<PageOf<T>> {
    return this.json<PageOf<T>>(ctx, 'GET', path, what, {
      query: { ...query, offset: paging.offset ?? 0, limit: paging.limit ?? VEEAM_PAGE_SIZE.default },
    });
  }

  /** Every item of a collection: pages of the documented maximum, followed to the end. */
  async all<T>(
    ctx: CallContext,
    path: string,
    what: string,
    query: RequestOptions['query'] = {},
    limit: number = VEEAM_PAGE_SIZE.max,
  ): Promise<T[]> {
    const out: T[] = [];
    for (let offset = 0; ;) {
      const p = await this.page<T>(ctx, path, what, { offset, limit }, query);
      out.push(...p.results);
      const more = nextOffset(p, limit);
      if (more === undefined) return out;
      offset = more;
    }
  }

  // ---- organizations, directory, repositories -----------------------------------------------------

  listOrganizations(ctx: CallContext, paging: { limit?: number }) {
    return this.page<RestOrganizationComposed>(ctx, 'v8/Organizations', 'list organizations', paging);
  }
  listRepositories(ctx: CallContext, organizationId?: string) {
    return this.page<RESTBackupRepository>(
      ctx,
      'v8/BackupRepositories',
      'list backup repositories',
      { limit: VEEAM_PAGE_SIZE.default },
      { organizationId },
    );
  }
  /** seed 002 §Get Backup Repositories, every page, with its filters. */
  allRepositories(ctx: CallContext, filter: { proxyId?: string; proxyPoolId?: string; organizationId?: string; longTerm?: boolean }) {
    const { longTerm, ...ids } = filter;
    return this.all<RESTBackupRepository>(ctx, 'v8/BackupRepositories', 'list backup repositories', {
      ...ids,
      longTerm: longTerm === undefined ? undefined : String(longTerm),
    });
  }
  getRepository(ctx: CallContext, repositoryId: string) {
    return this.json<RESTBackupRepository>(ctx, 'GET', `v8/BackupRepositories/${enc(repositoryId)}`, 'get backup repository');
  }
  /** Licensed users (seed 002 "Licensed Users"; GET /v8/LicensedUsers?organizationId=): every page. */
  allLicensedUsers(ctx: CallContext, organizationId: string) {
    return this.all<{ id: string; name?: string; licenseState?: string; isBackedUp?: boolean }>(
      ctx,
      'v8/LicensedUsers',
      'list licensed users',
      { organizationId },
    );
  }
  /** seed 002 §Get Backed-Up Organizations: space each organization's backups use in the repository. */
  backedUpOrganizations(ctx: CallContext, repositoryId: string) {
    return this.all<RESTBackupRepositoryStorageUsageInfo>(
      ctx,
      `v8/BackupRepositories/${enc(repositoryId)}/backedupOrganizations`,
      'get backed-up organizations',
    );
  }
  getUser(ctx: CallContext, orgId: string, userId: string) {
    return this.json<RESTUser>(ctx, 'GET', `v8/Organizations/${enc(orgId)}/Users/${enc(userId)}`, 'get organization user');
  }
  getUserOneDrives(ctx: CallContext, orgId: string, userId: string) {
    return this.all<RESTOneDrive>(ctx, `v8/Organizations/${enc(orgId)}/Users/${enc(userId)}/OneDrives`, 'get user OneDrives');
  }
  getSite(ctx: CallContext, orgId: string, siteId: string) {
    return this.json<RESTSite>(ctx, 'GET', `v8/Organizations/${enc(orgId)}/Sites/${enc(siteId)}`, 'get organization site');
  }

  // ---- backup jobs --------------------------------------------------------------------------------

  listJobs(ctx: CallContext, paging: { offset?: number; limit?: number }, organizationId?: string) {
    return this.page<RESTJob>(ctx, 'v8/Jobs', 'list backup jobs', paging, { organizationId });
  }
  getJob(ctx: CallContext, jobId: string) {
    return this.json<RESTJob>(ctx, 'GET', `v8/Jobs/${enc(jobId)}`, 'get backup job');
  }
  createJob(ctx: CallContext, body: RESTCreateBackupJob) {
    return this.json<RESTJob>(ctx, 'POST', 'v8/Jobs', 'create backup job', { body });
  }
  async editJob(ctx: CallContext, jobId: string, body: RESTEditBackupJob): Promise<void> {
    await this.call(ctx, 'PUT', `v8/Jobs/${enc(jobId)}`, 'edit backup job', { body });
  }
  async deleteJob(ctx: CallContext, jobId: string): Promise<void> {
    await this.call(ctx, 'DELETE', `v8/Jobs/${enc(jobId)}`, 'remove backup job');
  }
  async setJobEnabled(ctx: CallContext, jobId: string, enabled: boolean): Promise<void> {
    await this.call(ctx, 'POST', `v8/Jobs/${enc(jobId)}/${enabled ? 'enable' : 'disable'}`, `${enabled ? 'enable' : 'disable'} backup job`);
  }
  listSelectedItems(ctx: CallContext, jobId: string, paging: { offset?: number; limit?: number }) {
    return this.page<RESTJobItemComposed>(ctx, `v8/Jobs/${enc(jobId)}/SelectedItems`, 'get backup job items', paging);
  }
  allSelectedItems(ctx: CallContext, jobId: string) {
    return this.all<RESTJobItemComposed>(ctx, `v8/Jobs/${enc(jobId)}/SelectedItems`, 'get backup job items');
  }
  allExcludedItems(ctx: CallContext, jobId: string) {
    return this.all<RESTJobItemComposed>(ctx, `v8/Jobs/${enc(jobId)}/ExcludedItems`, 'get excluded items');
  }
  async addSelectedItems(ctx: CallContext, jobId: string, items: RESTJobItemComposed[]): Promise<void> {
    await this.call(ctx, 'POST', `v8/Jobs/${enc(jobId)}/SelectedItems`, 'add items to backup job', { body: items });
  }
  /** spec DELETE /v8/Jobs/{jobId}/SelectedItems: `ids` in the query, "To specify multiple items, use comma." */
  async removeSelectedItems(ctx: CallContext, jobId: string, ids: string[]): Promise<void> {
    await this.call(ctx, 'DELETE', `v8/Jobs/${enc(jobId)}/SelectedItems`, 'remove backup job items', { query: { ids: ids.join(',') } });
  }

  // ---- job sessions ------------------------------------------------------------------------------

  /** spec JobSession_Get: one page of sessions, with the spec's filters. */
  listJobSessions(
    ctx: CallContext,
    filter: { jobId?: string; jobType?: 'Backup' | 'Copy'; status?: RESTJobSessionStatusFilter; endTimeLowerBound?: string },
    paging: { offset?: number; limit?: number },
  ) {
    return this.page<RESTJobSession>(ctx, 'v8/JobSessions', 'get job sessions', paging, filter);
  }
  getJobSession(ctx: CallContext, id: string) {
    return this.json<RESTJobSession>(ctx, 'GET', `v8/JobSessions/${enc(id)}`, 'get job session');
  }
  /** spec JobSessionLog_GetBatchBySessionId, every page, oldest first. */
  allLogItems(ctx: CallContext, sessionId: string) {
    return this.all<RESTLogItem>(ctx, `v8/JobSessions/${enc(sessionId)}/LogItems`, 'get job session log items', { orderAsc: 'true' });
  }
  /** spec Job_StartAction: v8 answers 200 RESTJobSession (v7 answered 204: then the body is empty). */
  async startJob(ctx: CallContext, jobId: string, body: RESTStartJobOptions): Promise<RESTJobSession | undefined> {
    const res = await this.call<RESTJobSession | undefined>(ctx, 'POST', `v8/Jobs/${enc(jobId)}/start`, 'start backup job', { body });
    return res.body && typeof res.body === 'object' && typeof res.body.id === 'string' ? res.body : undefined;
  }

  // ---- restore points and restore sessions ---------------------------------------------------------

  listRestorePoints(ctx: CallContext, query: RequestOptions['query'], paging: { offset?: number; limit?: number }) {
    return this.page<RESTRestorePoint>(ctx, 'v8/RestorePoints', 'list restore points', paging, query);
  }
  getRestorePoint(ctx: CallContext, id: string) {
    return this.json<RESTRestorePoint>(ctx, 'GET', `v8/RestorePoints/${enc(id)}`, 'get restore point');
  }
  exploreJob(ctx: CallContext, jobId: string, body: RESTExploreOptions) {
    return this.json<RESTRestoreSession>(ctx, 'POST', `v8/Jobs/${enc(jobId)}/explore`, 'create restore session', { body });
  }
  getRestoreSession(ctx: CallContext, id: string) {
    return this.json<RESTRestoreSession>(ctx, 'GET', `v8/RestoreSessions/${enc(id)}`, 'get restore session');
  }
  /** spec RestoreSession_GetPage; `startTimeFrom`: sessions that started after that time. */
  listRestoreSessions(ctx: CallContext, query: { startTimeFrom?: string }) {
    return this.all<RESTRestoreSession>(ctx, 'v8/RestoreSessions', 'get restore sessions', { ...query, orderAsc: 'true' });
  }
  restoreSessionEvents(ctx: CallContext, id: string) {
    return this.all<RESTRestoreSessionEvent>(ctx, `v8/RestoreSessions/${enc(id)}/Events`, 'get restore session events');
  }
  async stopRestoreSession(ctx: CallContext, id: string): Promise<void> {
    await this.call(ctx, 'POST', `v8/RestoreSessions/${enc(id)}/Stop`, 'stop restore session');
  }
  sessionEntities<T extends RESTSharePointSite | RESTOneDrive | RESTExchangeMailbox>(
    ctx: CallContext,
    sessionId: string,
    kind: SessionCollection,
  ) {
    return this.all<T>(ctx, `v8/RestoreSessions/${enc(sessionId)}/${SESSION_COLLECTION[kind]}`, `browse restore session ${kind}s`);
  }
  /** Folders or documents under `parentId` (root when absent) of a site / OneDrive in a restore session. */
  sessionChildren(
    ctx: CallContext,
    sessionId: string,
    kind: 'site' | 'oneDrive',
    entityId: string,
    what: 'Folders' | 'Documents',
    parentId?: string,
  ) {
    return this.all<RESTItemComposed>(
      ctx,
      `v8/RestoreSessions/${enc(sessionId)}/${SESSION_COLLECTION[kind]}/${enc(entityId)}/${what}`,
      `browse ${what.toLowerCase()}`,
      { parentId },
    );
  }
  mailboxFolders(ctx: CallContext, sessionId: string, mailboxId: string, name: string) {
    return this.all<RESTExchangeFolder>(
      ctx,
      `v8/RestoreSessions/${enc(sessionId)}/${SESSION_COLLECTION.mailbox}/${enc(mailboxId)}/folders`,
      'browse mailbox folders',
      { name },
    );
  }
  /** Any restore action under a session entity, e.g. `restore`, `restoreTo`, `Documents/restore`, `folders/{id}/restoreTo`. */
  restoreAction(
    ctx: CallContext,
    sessionId: string,
    kind: SessionCollection,
    entityId: string,
    action: string,
    body: Record<string, unknown>,
  ) {
    return this.json<RESTAsyncRestoreResponse>(
      ctx,
      'POST',
      `v8/RestoreSessions/${enc(sessionId)}/${SESSION_COLLECTION[kind]}/${enc(entityId)}/${action}`,
      `restore (${kind} ${action})`,
      { body },
    );
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

/**
 * The offset of the next page, or undefined on the last. Veeam pages by offset + limit (seed 002 §Get Backup
 * Repositories); its `_links` are an open HAL dictionary (spec RESTLinkHALDictionary) that promises no `next`,
 * so they are not read: a full page means there may be more, a short (or empty) page is the last.
 */
export function nextOffset<T>(p: PageOf<T>, requestedLimit: number): number | undefined {
  const limit = p.limit > 0 ? Math.min(p.limit, requestedLimit) : requestedLimit;
  return p.results.length > 0 && p.results.length >= limit ? p.offset + p.results.length : undefined;
}
