import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ScopeRegistry, type FaultSpec, type SandboxScope, type VendorSandbox } from '../support';
import { AVEPOINT_MESSAGES as M, invalidParameter, reasonPhrase, sendEnvelope } from './avepoint.errors';
import { parseBackupFaults, scheduledBackupJobs, type ScheduledBackupJob } from './avepoint.backups';
import { AVEPOINT_LOCATIONS, AVEPOINT_PERMISSIONS, avepointFixtureScopes } from './avepoint.fixtures';
import { assertionClientId } from './avepoint.client-assertion';
import { issueToken, type IssuedToken } from './avepoint.identity';
import {
  backupJobView,
  createRestoreJob,
  isRunning,
  JOB_STATE_BY_FILTER,
  newTenantState,
  renderJob,
  restoreJobView,
  type AvePointTenantState,
  type JobView,
} from './avepoint.jobs';
import { validateRestoreRequest } from './avepoint.validation';

/**
 * Simulator of AvePoint Cloud Backup for Microsoft 365 (AvePoint Graph API), from seed 001 and
 * vendor-specs/avepoint. Mounted under /avepoint:
 *   POST /avepoint/identity/connect/token             AOS identity service (client credentials)
 *   POST /avepoint/api/backup/m365/restore/jobs         submit a restore job
 *   GET  /avepoint/api/backup/m365/cloudbackupjobs[/{jobId}]  list jobs / one job
 *
 * One scope per AvePoint tenant; the tenant is the token's client id. Behaviour switches
 * (scope.config, set with SandboxControl.configure):
 *   restoreDurationMs (60000)  sandbox time a restore job stays "In Progress"
 *   stuckJobs (false)          restore jobs submitted while set never finish
 *   forceFinalState            final state of jobs submitted while set ("Finished with Exception"...)
 *   tokenLifetimeSeconds (3600)
 *   grantedPermissions         the app registration's permissions (default: all Cloud Backup M365 ones)
 *   appCertificates            PEM certificates registered on the app, for certificate sign-in (default none)
 *   maxConcurrentJobs (3)      restore/export jobs running at once (seed 001 §Responses 429)
 *   runningExportJobs (0)      export jobs counted as running against that limit
 *   multiGeo                   the tenant's geo locations, primary first (e.g. ["NAM","EUR"]); unset = not Multi-Geo
 *   retentionDays (30)         days of backup jobs kept
 *   backupsPerDay (1)          scheduled backup jobs a day, the first at 02:00 UTC (backup-frequency.md §frequency)
 *   backupFaults ([])          per-object backup faults: fail, exception, stop, forced state (avepoint.backups.ts)
 *   requestsPerMinute          general throttling of API calls (429, no Retry-After: none is documented)
 */
export class AvePointSandbox implements VendorSandbox {
  readonly prefix = 'avepoint';
  readonly scopes = new ScopeRegistry<AvePointTenantState>((key) => newTenantState(key));
  private readonly tokens = new Map<string, IssuedToken>();

  scopeOf(req: FastifyRequest): string | undefined {
    if (req.url.startsWith(`/${this.prefix}/identity/`)) {
      return clientIdOf(req.body as Record<string, string> | undefined);
    }
    const token = bearer(req);
    return token ? this.tokens.get(token)?.tenantKey : undefined;
  }

  writeFault(reply: FastifyReply, fault: FaultSpec, req: FastifyRequest): void {
    const body = (fault.body ?? {}) as { message?: string; errors?: never[] };
    const scope = this.scopeOf(req);
    sendEnvelope(reply, {
      status: fault.status ?? 500,
      message: body.message ?? reasonPhrase(fault.status ?? 500),
      errors: body.errors,
      now: scope ? this.scopes.get(scope).clock.now() : new Date(),
    });
  }

  register(app: FastifyInstance): void {
    app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
      sendEnvelope(reply, { status, message: status === 500 ? M.internal : err.message, now: new Date() });
    });
    app.setNotFoundHandler((_req, reply) => {
      sendEnvelope(reply, { status: 404, now: new Date() });
    });

    app.post('/identity/connect/token', async (req, reply) => this.token(req, reply));

    app.get('/api/backup/m365/cloudbackupjobs', async (req, reply) => {
      const scope = this.authorize(req, reply, 'microsoft365backup.jobInfo.read.all');
      if (!scope) return reply;
      return this.listJobs(scope, req, reply);
    });
    app.get<{ Params: { jobId: string } }>('/api/backup/m365/cloudbackupjobs/:jobId', async (req, reply) => {
      const scope = this.authorize(req, reply, 'microsoft365backup.jobInfo.read.all');
      if (!scope) return reply;
      return this.getJob(scope, req, reply);
    });
    app.post('/api/backup/m365/restore/jobs', async (req, reply) => {
      const scope = this.authorize(req, reply, 'microsoft365backup.restore.readwrite.all');
      if (!scope) return reply;
      return this.submitRestore(scope, req, reply);
    });
  }

  private async token(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const form = (req.body ?? {}) as Record<string, string>;
    const isForm = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const clientId = isForm ? clientIdOf(form) : undefined;
    const scope = clientId ? this.scopes.get(clientId) : undefined;
    // The server's fault hook runs before the form is parsed, so token-endpoint faults fire here.
    const fault = scope?.faults.take('POST', '/identity/connect/token');
    if (fault?.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
    if (fault?.status) {
      if (fault.retryAfterSeconds !== undefined) reply.header('retry-after', String(fault.retryAfterSeconds));
      const err = (fault.body as { error?: string } | undefined)?.error ?? (fault.status >= 500 ? 'server_error' : 'invalid_request');
      return reply.code(fault.status).send({ error: err });
    }
    const result = issueToken({
      form,
      isForm,
      now: scope?.clock.now() ?? new Date(),
      lifetimeSeconds: num(scope?.config.tokenLifetimeSeconds, 3600),
      appPermissions: (scope?.config.grantedPermissions as string[] | undefined) ?? [...AVEPOINT_PERMISSIONS],
      appCertificates: (scope?.config.appCertificates as string[] | undefined) ?? [],
      tokenUrl: `https://${req.headers.host ?? 'localhost'}${req.url.split('?')[0]}`,
      seenJti: scope?.state.seenJti ?? new Set(),
    });
    // Keep the secret and the assertion out of the call log the server records from req.body.
    if (form.client_secret) form.client_secret = '***';
    // (The assertion keeps header and claims, which name the client the call is logged under; the signature goes.)
    if (form.client_assertion) form.client_assertion = form.client_assertion.replace(/\.[^.]*$/, '.***');
    if (!result.ok) return reply.code(result.status).header('cache-control', 'no-store').send(result.body);
    this.tokens.set(result.token, result.issued);
    return reply.code(200).header('cache-control', 'no-store').send(result.body);
  }

  /** Bearer token check (401), permission check (403), throttling (429). Returns the tenant's scope. */
  private authorize(req: FastifyRequest, reply: FastifyReply, permission: string): SandboxScope<AvePointTenantState> | undefined {
    const token = bearer(req);
    const issued = token ? this.tokens.get(token) : undefined;
    const scope = issued ? this.scopes.get(issued.tenantKey) : undefined;
    if (!issued || !scope || scope.clock.now().getTime() >= issued.expiresAt) {
      reply.header(
        'www-authenticate',
        token ? 'Bearer error="invalid_token", error_description="The token expired or is invalid"' : 'Bearer',
      );
      sendEnvelope(reply, { status: 401, now: scope?.clock.now() ?? new Date() });
      return undefined;
    }
    const now = scope.clock.now();
    if (!issued.permissions.includes(permission)) {
      sendEnvelope(reply, { status: 403, message: `The app lacks the permission ${permission}.`, now });
      return undefined;
    }
    const perMinute = scope.config.requestsPerMinute;
    if (typeof perMinute === 'number') {
      const since = now.getTime() - 60_000;
      scope.state.recentRequests = scope.state.recentRequests.filter((t) => t > since);
      if (scope.state.recentRequests.length >= perMinute) {
        sendEnvelope(reply, { status: 429, now });
        return undefined;
      }
      scope.state.recentRequests.push(now.getTime());
    }
    return scope;
  }

  /**
   * Resolves the `location` query parameter (m365 overview §Parameter: location). A Multi-Geo tenant
   * (config multiGeo) uses its primary geo when the parameter is absent; a tenant without Multi-Geo
   * accepts only PrimaryGeoLocation ("Available only for Multi-Geo tenants"). undefined = invalid.
   */
  private resolveLocation(
    scope: SandboxScope<AvePointTenantState>,
    raw: string | undefined,
  ): { geo: string; explicit: boolean } | undefined {
    const geos = geosOf(scope);
    if (raw === undefined || raw === '') return { geo: geos ? geos[0] : 'central', explicit: false };
    const known = AVEPOINT_LOCATIONS.find((l) => l.toLowerCase() === raw.toLowerCase());
    if (!known) return undefined;
    if (known === 'PrimaryGeoLocation') return { geo: geos ? geos[0] : 'central', explicit: true };
    if (!geos || !geos.includes(known)) return undefined;
    return { geo: known, explicit: true };
  }

  private submitRestore(scope: SandboxScope<AvePointTenantState>, req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const now = scope.clock.now();
    const q = lowerQuery(req.query);
    const loc = this.resolveLocation(scope, q.location);
    if (!loc) return sendEnvelope(reply, { status: 400, errors: [invalidParameter('Location', M.invalidValue('Location'))], now });
    const v = validateRestoreRequest(req.body);
    if ('errors' in v) return sendEnvelope(reply, { status: 400, errors: v.errors, now });
    const r = v.request;
    const geos = geosOf(scope);
    const oneDrive = r.serviceType === 2;
    const found = avepointFixtureScopes(scope.state.tenantKey).find(
      (s) => s.serviceType === r.serviceType && sameScopeKey(s.key, r.scopeKey) && (!geos || geos[s.geoIndex % geos.length] === loc.geo),
    );
    if (!found) {
      const field = oneDrive ? 'OneDriveRestoreScope.OneDriveUpn' : 'SiteRestoreScope.SiteUrl';
      return sendEnvelope(reply, {
        status: 400,
        errors: [invalidParameter(field, M.scopeNotFound(oneDrive ? 'OneDrive' : 'site', r.scopeKey))],
        now,
      });
    }
    // seed 001 §Responses: 429 when too many restore or export jobs are already running (sample: 3)
    const limit = num(scope.config.maxConcurrentJobs, 3);
    const running = scope.state.restoreJobs.filter((j) => isRunning(j, now)).length + num(scope.config.runningExportJobs, 0);
    if (running >= limit) return sendEnvelope(reply, { status: 429, message: M.concurrentJobs(limit), now });
    const job = createRestoreJob(scope.state, r, {
      now,
      location: loc.geo,
      durationMs: num(scope.config.restoreDurationMs, 60_000),
      stuck: scope.config.stuckJobs === true,
      backups: this.backups(scope, now),
      forceFinalState: scope.config.forceFinalState as string | undefined,
    });
    return sendEnvelope(reply, { status: 200, data: { jobId: job.id }, now });
  }

  private getJob(
    scope: SandboxScope<AvePointTenantState>,
    req: FastifyRequest<{ Params: { jobId: string } }>,
    reply: FastifyReply,
  ): FastifyReply {
    const now = scope.clock.now();
    const loc = this.resolveLocation(scope, lowerQuery(req.query).location);
    if (!loc) return sendEnvelope(reply, { status: 400, errors: [invalidParameter('Location', M.invalidValue('Location'))], now });
    // retrieve-job-details.md §location: without it the job is read from the central location only.
    const view = this.allJobs(scope, now).find((j) => j.id === req.params.jobId && (!j.location || j.location === loc.geo));
    if (!view) return sendEnvelope(reply, { status: 404, message: M.jobNotFound, now });
    return sendEnvelope(reply, { status: 200, data: renderJob(view, now, 'Number'), now });
  }

  private listJobs(scope: SandboxScope<AvePointTenantState>, req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const now = scope.clock.now();
    const q = lowerQuery(req.query);
    const errors = [];
    const jobType = intParam(q.jobtype, 0, 5);
    const objectType = intParam(q.objecttype, 0, 12);
    const jobState = intParam(q.jobstate, 0, 5);
    const pageIndex = intParam(q.pageindex, 0, Number.MAX_SAFE_INTEGER);
    const pageSize = intParam(q.pagesize, 1, Number.MAX_SAFE_INTEGER);
    const startTime = timeParam(q.starttime, false);
    const finishTime = timeParam(q.finishtime, true);
    if (jobType === null) errors.push(invalidParameter('JobType', M.invalidValue('Job Type')));
    if (objectType === null) errors.push(invalidParameter('ObjectType', M.invalidValue('Object Type')));
    if (jobState === null) errors.push(invalidParameter('JobState', M.invalidValue('Job State')));
    if (pageIndex === null) errors.push(invalidParameter('PageIndex', M.invalidValue('Page Index')));
    if (pageSize === null) errors.push(invalidParameter('PageSize', M.invalidValue('Page Size')));
    if (startTime === null) errors.push(invalidParameter('StartTime', M.invalidValue('Start Time')));
    if (finishTime === null) errors.push(invalidParameter('FinishTime', M.invalidValue('Finish Time')));
    // list-jobs.md §location: without it, jobs of all locations are listed.
    const loc = q.location === undefined ? undefined : this.resolveLocation(scope, q.location);
    if (q.location !== undefined && !loc) errors.push(invalidParameter('Location', M.invalidValue('Location')));
    if (errors.length) return sendEnvelope(reply, { status: 400, errors, now });

    const matches = this.allJobs(scope, now).filter(
      (j) =>
        (!jobType || j.jobType === jobType) &&
        (!objectType || j.objectTypes.includes(objectType)) &&
        (!jobState || j.state === JOB_STATE_BY_FILTER[jobState]) &&
        (!startTime || j.startTime.getTime() >= startTime.getTime()) &&
        (!finishTime || j.startTime.getTime() <= finishTime.getTime()) &&
        (!loc || !j.location || j.location === loc.geo),
    );
    const index = pageIndex ?? 0;
    const size = pageSize ?? 10;
    const page = matches.slice(index * size, (index + 1) * size);
    const more = (index + 1) * size < matches.length;
    return sendEnvelope(reply, {
      status: 200,
      now,
      data: page.map((j) => renderJob(j, now, 'Count')),
      // Docs table: totalNumber; docs sample: totalCount. The simulator follows the sample.
      metadata: { totalCount: matches.length, nextLink: more ? nextLink(req, index + 1) : '' },
    });
  }

  /** The tenant's scheduled backup jobs up to `now` (avepoint.backups.ts), oldest first. */
  private backups(scope: SandboxScope<AvePointTenantState>, now: Date): ScheduledBackupJob[] {
    return scheduledBackupJobs(now, {
      tenantKey: scope.state.tenantKey,
      retentionDays: num(scope.config.retentionDays, 30),
      backupsPerDay: num(scope.config.backupsPerDay, 1),
      faults: parseBackupFaults(scope.config.backupFaults),
    });
  }

  /** Backup jobs and restore jobs, newest first. */
  private allJobs(scope: SandboxScope<AvePointTenantState>, now: Date): JobView[] {
    const backups = this.backups(scope, now).map((b) => backupJobView(b, now));
    const restores = scope.state.restoreJobs.map((j) => restoreJobView(j, now));
    return [...backups, ...restores].sort((a, b) => b.startTime.getTime() - a.startTime.getTime() || b.id.localeCompare(a.id));
  }
}

/** The client a token request is for: its client_id, else the one its client assertion names. */
function clientIdOf(form: Record<string, string> | undefined): string | undefined {
  return form?.client_id || assertionClientId(form?.client_assertion);
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m?.[1];
}

function num(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

function geosOf(scope: SandboxScope<AvePointTenantState>): string[] | undefined {
  const g = scope.config.multiGeo;
  return Array.isArray(g) && g.length ? (g as string[]) : undefined;
}

/** ASP.NET binds query parameters case-insensitively (the docs' samples use Location=, PageSize=). */
function lowerQuery(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>))
    out[k.toLowerCase()] = Array.isArray(v) ? String(v[0]) : String(v);
  return out;
}

/** undefined = absent, null = invalid. */
function intParam(raw: string | undefined, min: number, max: number): number | undefined | null {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) return null;
  const n = Number(raw);
  return n >= min && n <= max ? n : null;
}

/** "2024-01-01" (a date; as an end bound it covers the whole day) or a full ISO time. */
function timeParam(raw: string | undefined, endOfDay: boolean): Date | undefined | null {
  if (raw === undefined || raw === '') return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(raw)) {
    const d = new Date(`${raw}T00:00:00Z`);
    if (Number.isNaN(d.getTime())) return null;
    return endOfDay ? new Date(d.getTime() + 24 * 3600 * 1000 - 1) : d;
  }
  const t = Date.parse(raw);
  return Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(raw) ? null : new Date(t);
}

function sameScopeKey(a: string, b: string): boolean {
  const n = (s: string) => s.trim().replace(/\/+$/, '').toLowerCase();
  return n(a) === n(b);
}

function nextLink(req: FastifyRequest, pageIndex: number): string {
  const url = new URL(req.url, `https://${req.headers.host ?? 'localhost'}`);
  for (const k of [...url.searchParams.keys()]) if (k.toLowerCase() === 'pageindex') url.searchParams.delete(k);
  url.searchParams.set('pageIndex', String(pageIndex));
  return url.toString();
}
