import type { Clock } from '@bg/domain';
import type { BackupVendorPort, ReconcileOptions } from '../port/backup-vendor.port';
import type {
  AdapterConfig,
  BackupRunQuery,
  CallContext,
  ItemSpec,
  Page,
  PolicySpec,
  RestorePointQuery,
  RestoreProgress,
  RestoreRequest,
  VendorBackupRun,
  VendorOperationRef,
  VendorPolicy,
  VendorProtectedItem,
  VendorRestorePoint,
  VerifyResult,
} from '../port/port.types';
import { VendorError } from '../port/vendor-error';
import type { VendorDescriptor } from '../port/vendor-descriptor';
import { AVEPOINT_CAPABILITIES, AVEPOINT_LIMITS } from './avepoint.capabilities';
import { AvePointClient } from './avepoint.client';
import { AVEPOINT_CREDENTIAL_FIELDS, AVEPOINT_DEFAULT_ENDPOINT } from './avepoint.credentials';
import {
  backupJobToRestorePoints,
  backupJobToRun,
  formatDate,
  JOB_TYPE,
  jobToProgress,
  OBJECT_TYPE_OF_SERVICE,
  objectTypeOfItemRef,
  toRestoreJobRequest,
} from './avepoint.mapping';
import type { Job } from './avepoint.types';

/** How far around `preparedAt` a vendor job may have started and still be ours (clock skew between us and AvePoint). */
const RECONCILE_SKEW_MS = 2 * 60_000;
/**
 * How long after `preparedAt` our POST can have reached AvePoint: the worker records `preparedAt`, checkpoints
 * and sends the POST in the same attempt (a retried attempt prepares again, with a new `preparedAt`).
 */
const RECONCILE_SUBMIT_WINDOW_MS = 5 * 60_000;
/** Pages of the job list findRestore reads at most. */
const RECONCILE_MAX_PAGES = 10;

/**
 * AvePoint Cloud Backup for Microsoft 365 behind the port. AvePoint's API restores files and folders
 * and reports jobs; it has no policy, protected-item or cancel endpoints (those raise UNSUPPORTED_BY_VENDOR).
 */
export class AvePointAdapter implements BackupVendorPort {
  readonly capabilities = AVEPOINT_CAPABILITIES;
  private readonly client: AvePointClient;
  private readonly clock: Clock;

  constructor(config: AdapterConfig) {
    this.client = new AvePointClient(config);
    this.clock = config.clock;
  }

  async verify(ctx: CallContext): Promise<VerifyResult> {
    const page = await this.client.listJobs(ctx, { pageIndex: 0, pageSize: 1 });
    const where = this.client.location ? ` (location ${this.client.location})` : '';
    return { ok: true, detail: `AvePoint Graph API reachable${where}; ${page.total ?? page.jobs.length} jobs visible` };
  }

  async listPolicies(_ctx: CallContext, _page?: string): Promise<Page<VendorPolicy>> {
    return unsupported('policy.list');
  }
  async getPolicy(_ctx: CallContext, _policyRef: string): Promise<VendorPolicy> {
    return unsupported('policy.get');
  }
  async createPolicy(_ctx: CallContext, _spec: PolicySpec): Promise<{ policy: VendorPolicy; items: VendorProtectedItem[] }> {
    return unsupported('policy.create');
  }
  async updatePolicy(_ctx: CallContext, _policyRef: string, _patch: { displayName?: string }): Promise<VendorPolicy> {
    return unsupported('policy.update');
  }
  async deletePolicy(_ctx: CallContext, _policyRef: string): Promise<void> {
    return unsupported('policy.delete');
  }
  async activatePolicy(_ctx: CallContext, _policyRef: string): Promise<VendorPolicy> {
    return unsupported('policy.activate');
  }
  async deactivatePolicy(_ctx: CallContext, _policyRef: string): Promise<VendorPolicy> {
    return unsupported('policy.deactivate');
  }
  async listProtectedItems(_ctx: CallContext, _policyRef: string, _page?: string): Promise<Page<VendorProtectedItem>> {
    return unsupported('protectedItem.list');
  }
  async addProtectedItems(_ctx: CallContext, _policyRef: string, _items: ItemSpec[]): Promise<VendorProtectedItem[]> {
    return unsupported('protectedItem.add');
  }
  async removeProtectedItems(_ctx: CallContext, _policyRef: string, _itemRefs: string[]): Promise<void> {
    return unsupported('protectedItem.remove');
  }

  /**
   * AvePoint has no restore-point API: a restore names a point in time (recoveryDateTime) and the vendor
   * uses the latest backup before it. The finished backup jobs of the tenant (jobType 1) are therefore
   * the points in time, listed for each requested site / OneDrive. The page token is the vendor pageIndex.
   */
  async listRestorePoints(ctx: CallContext, query: RestorePointQuery, page?: string): Promise<Page<VendorRestorePoint>> {
    const refs = query.protectedItemRefs;
    if (!refs.length) return { items: [] };
    const kinds = new Set(refs.map(objectTypeOfItemRef));
    const pageIndex = pageIndexOf(page, 'restore point');
    const res = await this.client.listJobs(ctx, {
      jobType: JOB_TYPE.backup,
      objectType: kinds.size === 1 ? [...kinds][0] : 0,
      // list-jobs.md takes dates; the range is widened by a day and then filtered exactly below.
      startTime: query.from ? formatDate(new Date(query.from.getTime() - 86_400_000)) : undefined,
      finishTime: query.to ? formatDate(new Date(query.to.getTime() + 86_400_000)) : undefined,
      pageIndex,
      pageSize: AVEPOINT_LIMITS.pageSize.max,
    });
    const items = res.jobs
      .flatMap((job) => backupJobToRestorePoints(job, refs))
      .filter((p) => (!query.from || p.pointInTime >= query.from) && (!query.to || p.pointInTime <= query.to));
    return { items, next: res.nextLink ? String(pageIndex + 1) : undefined };
  }

  /**
   * The tenant's backup jobs (list-jobs.md, jobType 1) started at or after `since`, newest first, one vendor page
   * (pageIndex = the page token) for the whole policy: never a call per item. AvePoint backs the tenant up by
   * service on its own schedule and a job names none of its objects, so each run counts for every item of the
   * policy (no `items`, no `policyRef`: AvePoint has no policies). The objectType filter narrows to the items'
   * service when they share one.
   */
  async listBackupRuns(ctx: CallContext, query: BackupRunQuery, page?: string): Promise<Page<VendorBackupRun>> {
    const kinds = new Set(query.itemRefs.map(objectTypeOfItemRef));
    const pageIndex = pageIndexOf(page, 'backup run');
    const since = query.since?.getTime();
    const res = await this.client.listJobs(ctx, {
      jobType: JOB_TYPE.backup,
      objectType: kinds.size === 1 ? [...kinds][0] : 0,
      // list-jobs.md §startTime is a date (UTC): the day of `since`, filtered exactly below.
      startTime: query.since ? formatDate(query.since) : undefined,
      pageIndex,
      pageSize: AVEPOINT_LIMITS.pageSize.max,
    });
    const items = res.jobs.map(backupJobToRun).filter((r) => since === undefined || !r.startedAt || r.startedAt.getTime() >= since);
    return { items, next: res.nextLink ? String(pageIndex + 1) : undefined };
  }

  /**
   * AvePoint has no draft step. Every documented rule is checked here, before anything is sent, and the
   * time is recorded so findRestore can tell our job from older ones after a crash.
   */
  async prepareRestore(_ctx: CallContext, req: RestoreRequest): Promise<VendorOperationRef> {
    toRestoreJobRequest(req);
    return { vendorRef: '', extra: this.extraFor(req, this.clock.now().toISOString()) };
  }

  async startRestore(
    ctx: CallContext,
    ref: VendorOperationRef,
    req: RestoreRequest,
  ): Promise<{ ref: VendorOperationRef; progress: RestoreProgress }> {
    const body = toRestoreJobRequest(req);
    const preparedAt = ref.extra?.preparedAt ?? this.clock.now().toISOString();
    const created = await this.client.createRestoreJob(ctx, body);
    // seed 001: the job exists from here on and is polled through GET /backup/m365/cloudbackupjobs/{jobId}.
    return {
      ref: { vendorRef: created.jobId, extra: this.extraFor(req, preparedAt) },
      progress: { state: 'running', vendorStatus: 'In Progress' },
    };
  }

  /**
   * Reconciliation after a crash around the POST. AvePoint answers the POST with the job id and takes no
   * client reference, and its job records carry no scope, paths or recoveryDateTime (list-jobs.md §Job
   * summary: id, state, start/finish time, object counters, errors); the counters count objects, not
   * paths (retrieve-job-details.md: sample totalNumber 16), so they say nothing about which job is ours.
   *
   * - With a job id the vendor accepted the job: it is read by id and never submitted again. Should the
   *   read answer 404 (a status the docs do not list), the documented job list is searched for that id;
   *   when it is not there either the NOT_FOUND is raised, so the job fails visibly instead of being sent twice.
   * - Without one, a job matches when it is a restore (jobType 2) of the request's service (objectType),
   *   in the connection's location, started in our submission window (from `preparedAt` minus the clock
   *   skew to `preparedAt` plus the submit window and skew) and not held by another job of the connection
   *   (`opts.heldByOthers`). The worker starts one restore at a time per connection
   *   (capabilities.limits.serialRestoreStarts): no other start of ours can be unrecorded while this one is, so
   *   exactly one match left is ours; none returns undefined (the worker submits), several too (only a
   *   restore started outside the gateway makes that: an in-place restore of the same paths is harmless
   *   to repeat; claiming someone else's job is not).
   */
  async findRestore(
    ctx: CallContext,
    req: RestoreRequest,
    ref?: VendorOperationRef,
    opts?: ReconcileOptions,
  ): Promise<{ ref: VendorOperationRef; progress: RestoreProgress } | undefined> {
    const preparedAt = ref?.extra?.preparedAt;
    if (ref?.vendorRef) {
      try {
        return { ref, progress: await this.getRestore(ctx, ref) };
      } catch (e) {
        if (!(e instanceof VendorError) || e.code !== 'NOT_FOUND') throw e;
        const listed = (await this.submittedJobs(ctx, req, preparedAt)).find((j) => j.id === ref.vendorRef);
        if (!listed) throw e;
        return { ref, progress: jobToProgress(listed, ref.extra?.restorePointRef ?? '') };
      }
    }
    if (!preparedAt) return undefined;
    const at = Date.parse(preparedAt);
    const inWindow = (await this.submittedJobs(ctx, req, preparedAt)).filter((job) => {
      const started = job.startTime ? Date.parse(job.startTime) : NaN;
      return started >= at - RECONCILE_SKEW_MS && started <= at + RECONCILE_SUBMIT_WINDOW_MS + RECONCILE_SKEW_MS;
    });
    const held =
      inWindow.length && opts?.heldByOthers
        ? await opts.heldByOthers(
            inWindow.map((j) => j.id),
            new Date(at - RECONCILE_SKEW_MS),
          )
        : new Set<string>();
    const candidates = inWindow.filter((j) => !held.has(j.id));
    if (candidates.length !== 1) return undefined;
    const found: VendorOperationRef = { vendorRef: candidates[0].id, extra: this.extraFor(req, preparedAt) };
    return { ref: found, progress: jobToProgress(candidates[0], found.extra!.restorePointRef) };
  }

  /** Restore jobs of the request's service (list-jobs.md jobType 2, objectType), started since `preparedAt` less the skew. */
  private async submittedJobs(ctx: CallContext, req: RestoreRequest, preparedAt: string | undefined): Promise<Job[]> {
    const body = toRestoreJobRequest(req);
    const since = preparedAt ? Date.parse(preparedAt) - RECONCILE_SKEW_MS : NaN;
    const jobs: Job[] = [];
    for (let pageIndex = 0; pageIndex < RECONCILE_MAX_PAGES; pageIndex++) {
      const res = await this.client.listJobs(ctx, {
        jobType: JOB_TYPE.restore,
        objectType: OBJECT_TYPE_OF_SERVICE[body.serviceType],
        // list-jobs.md §startTime takes a date: the day is filtered exactly by the caller.
        startTime: Number.isNaN(since) ? undefined : formatDate(new Date(since)),
        pageIndex,
        pageSize: AVEPOINT_LIMITS.pageSize.max,
      });
      jobs.push(...res.jobs);
      if (!res.nextLink) break;
    }
    return jobs;
  }

  async getRestore(ctx: CallContext, ref: VendorOperationRef): Promise<RestoreProgress> {
    if (!ref.vendorRef) {
      throw new VendorError({
        code: 'NOT_FOUND',
        vendor: 'avepoint',
        retryable: false,
        message: 'AvePoint restore has no job id yet (not started)',
      });
    }
    const job = await this.client.getJob(ctx, ref.vendorRef);
    return jobToProgress(job, ref.extra?.restorePointRef ?? '');
  }

  /** The AvePoint Graph API documents no way to stop a restore job. */
  async cancelRestore(_ctx: CallContext, _ref: VendorOperationRef): Promise<RestoreProgress> {
    return unsupported('restoreJob.cancel');
  }

  private extraFor(req: RestoreRequest, preparedAt: string): Record<string, string> {
    const extra: Record<string, string> = { preparedAt, restorePointRef: req.items[0]?.restorePointRef ?? '' };
    if (this.client.location) extra.location = this.client.location;
    return extra;
  }
}

/** The page token of the job-list reads: the vendor's pageIndex. */
function pageIndexOf(page: string | undefined, what: string): number {
  const pageIndex = page ? Number(page) : 0;
  if (!Number.isInteger(pageIndex) || pageIndex < 0) {
    throw new VendorError({
      code: 'INVALID_REQUEST',
      vendor: 'avepoint',
      retryable: false,
      message: `Invalid ${what} page token "${page}"`,
    });
  }
  return pageIndex;
}

function unsupported(operation: string): never {
  throw new VendorError({
    code: 'UNSUPPORTED_BY_VENDOR',
    vendor: 'avepoint',
    retryable: false,
    message: `Vendor avepoint does not support ${operation}`,
  });
}

/** The registry entry of AvePoint Cloud Backup for Microsoft 365. */
export const avepointDescriptor: VendorDescriptor = {
  capabilities: AVEPOINT_CAPABILITIES,
  defaultEndpoint: AVEPOINT_DEFAULT_ENDPOINT,
  credentialFields: AVEPOINT_CREDENTIAL_FIELDS,
  create: (config) => new AvePointAdapter(config),
};
