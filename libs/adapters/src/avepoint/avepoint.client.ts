import type { Clock, ErrorCatalog } from '@bg/domain';
import { throwIfAborted, withoutSignal } from '../http/abort';
import { VendorHttp, type RequestOptions, type VendorResponse } from '../http/vendor-http';
import type { AdapterConfig, CallContext } from '../port/port.types';
import { VendorError } from '../port/vendor-error';
import { AVEPOINT_SCOPES, parseAvePointCredentials, type AvePointCredentials } from './avepoint.credentials';
import { clientAssertion, JWT_BEARER_ASSERTION_TYPE } from './avepoint.assertion';
import { avepointResponseError, avepointTokenError, type AvePointCall } from './avepoint.errors';
import type { Envelope, Job, ListJobsQuery, RestoreJobCreated, RestoreJobRequest, TokenResponse } from './avepoint.types';

/** Refresh a cached token this long before it expires. */
const TOKEN_SKEW_MS = 60_000;

export interface JobsPage {
  jobs: Job[];
  /** The vendor's nextLink; '' (or absent) on the last page. */
  nextLink: string;
  total?: number;
}

/**
 * Typed HTTP client of the AvePoint Graph API (Cloud Backup for Microsoft 365): one method per endpoint,
 * the AOS client-credentials token, the Multi-Geo `location` parameter; no mapping.
 */
export class AvePointClient {
  private readonly http: VendorHttp;
  private readonly creds: AvePointCredentials;
  private readonly catalog: ErrorCatalog;
  private readonly clock: Clock;
  private cached?: { token: string; expiresAt: number };
  private inflight?: Promise<string>;

  constructor(config: AdapterConfig) {
    this.creds = parseAvePointCredentials(config.credentials);
    this.catalog = config.catalog;
    this.clock = config.clock;
    this.http = new VendorHttp({
      vendor: 'avepoint',
      baseUrl: config.endpoint,
      clock: config.clock,
      timeoutMs: config.timeoutMs,
      tls: config.tls,
      requestIdHeaders: ['request-id', 'x-request-id'],
      // The spec names no request-id request header (its envelope carries the vendor's own requestId).
      clientRequestIdHeader: 'x-request-id',
    });
  }

  get location(): string | undefined {
    return this.creds.location;
  }

  /** POST /backup/m365/restore/jobs -> {jobId} (seed 001). */
  async createRestoreJob(ctx: CallContext, body: RestoreJobRequest): Promise<RestoreJobCreated> {
    const env = await this.call<RestoreJobCreated>(
      ctx,
      'POST',
      'backup/m365/restore/jobs',
      { body },
      'restore job submission',
      'restoreSubmission',
    );
    if (!env.data?.jobId) throw this.malformed('restore job submission', 'no data.jobId', true);
    return env.data;
  }

  /** GET /backup/m365/cloudbackupjobs/{jobId} (retrieve-job-details.md). */
  async getJob(ctx: CallContext, jobId: string): Promise<Job> {
    const env = await this.call<Job>(ctx, 'GET', `backup/m365/cloudbackupjobs/${encodeURIComponent(jobId)}`, {}, `job ${jobId}`);
    if (!env.data?.id) throw this.malformed(`job ${jobId}`, 'no data.id');
    return env.data;
  }

  /** GET /backup/m365/cloudbackupjobs (list-jobs.md), one page. */
  async listJobs(ctx: CallContext, query: ListJobsQuery): Promise<JobsPage> {
    const env = await this.call<Job[]>(ctx, 'GET', 'backup/m365/cloudbackupjobs', { query: { ...query } }, 'job list');
    if (!Array.isArray(env.data)) throw this.malformed('job list', 'data is not a list');
    return { jobs: env.data, nextLink: env.metadata?.nextLink ?? '', total: env.metadata?.totalNumber ?? env.metadata?.totalCount };
  }

  /**
   * One API call with the bearer token and ?location=; a 401 drops the cached token and retries once
   * with a fresh one (the port allows exactly this retry). Any other non-2xx becomes a VendorError.
   */
  private async call<T>(
    ctx: CallContext,
    method: string,
    path: string,
    opts: RequestOptions,
    context: string,
    kind: AvePointCall = 'other',
  ): Promise<Envelope<T>> {
    throwIfAborted(ctx, 'avepoint');
    const query = { ...opts.query, location: this.creds.location };
    let res = await this.send<T>(ctx, method, path, { ...opts, query });
    if (res.status === 401) {
      this.cached = undefined;
      res = await this.send<T>(ctx, method, path, { ...opts, query });
    }
    if (res.status < 200 || res.status >= 300) throw avepointResponseError(res, this.catalog, this.clock, method, context, kind);
    if (!res.body || typeof res.body !== 'object') throw this.malformed(context, 'the body is not a JSON envelope', method !== 'GET');
    return res.body;
  }

  private async send<T>(ctx: CallContext, method: string, path: string, opts: RequestOptions): Promise<VendorResponse<Envelope<T>>> {
    const token = await this.token(ctx);
    return this.http.send<Envelope<T>>(ctx, method, path, { ...opts, headers: { ...opts.headers, authorization: `Bearer ${token}` } });
  }

  /** The cached AOS token, or a new one (concurrent callers share one request, which ignores their signals). */
  async token(ctx: CallContext): Promise<string> {
    if (this.cached && this.cached.expiresAt - TOKEN_SKEW_MS > this.clock.now().getTime()) return this.cached.token;
    this.inflight ??= this.fetchToken(withoutSignal(ctx)).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /**
   * register-app.md §Client Secret: form-encoded client_id, client_secret, scope, grant_type; or
   * §Certificate: client_assertion_type (jwt-bearer) + client_assertion (a JWT signed with the app
   * certificate), scope, grant_type, and no client_id, exactly as the docs' sample sends it.
   */
  private async fetchToken(ctx: CallContext): Promise<string> {
    const scope = AVEPOINT_SCOPES.join(' ');
    const { certificate, clientId, clientSecret, tokenUrl } = this.creds;
    const form: Record<string, string> = certificate
      ? {
          grant_type: 'client_credentials',
          client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
          client_assertion: clientAssertion(certificate, clientId, tokenUrl, this.clock.now()),
          scope,
        }
      : { client_id: clientId, client_secret: clientSecret ?? '', scope, grant_type: 'client_credentials' };
    const res = await this.http.send<TokenResponse>(ctx, 'POST', tokenUrl, { form });
    if (res.status !== 200) throw avepointTokenError(res, this.catalog, this.clock);
    const body = res.body;
    if (!body?.access_token) throw this.malformed('token request', 'no access_token');
    const lifetimeMs = (Number(body.expires_in) || 3600) * 1000;
    this.cached = { token: body.access_token, expiresAt: this.clock.now().getTime() + lifetimeMs };
    return body.access_token;
  }

  /** A 2xx the docs do not describe. After a write it may have been applied: not retried blindly. */
  private malformed(context: string, what: string, write = false): VendorError {
    return new VendorError({
      code: 'VENDOR_ERROR',
      vendor: 'avepoint',
      retryable: !write,
      mayHaveApplied: write,
      message: `AvePoint ${context}: unexpected response (${what})`,
    });
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
