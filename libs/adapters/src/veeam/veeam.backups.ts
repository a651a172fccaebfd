import type {
  BackupRunQuery,
  BackupTarget,
  CallContext,
  Page,
  StartedBackup,
  VendorBackupRun,
  VendorOperationRef,
} from '../port/port.types';
import { VendorError } from '../port/vendor-error';
import { VEEAM_PAGE_SIZE } from './veeam.capabilities';
import { nextOffset, type VeeamClient } from './veeam.client';
import { VEEAM, veeamRefusal } from './veeam.errors';
import { type JobObject, jobObjects, objectOutcomes, runStatusOf, toBackupRun } from './veeam.mapping';
import type { RESTJobSession } from './veeam.types';

/**
 * Backup runs = job sessions of the policy's backup job (spec /v8/JobSessions), per-object outcomes from the
 * session's log (/v8/JobSessions/{id}/LogItems), on-demand backup = POST /v8/Jobs/{jobId}/start of the whole job.
 */
export class VeeamBackups {
  constructor(private readonly client: VeeamClient) {}

  /**
   * One page of the job's sessions in the window. The page token is the offset of the bounded list (paged by
   * offset + limit until a short page; `_links` promise no `next`, SOURCE.md §Pagination).
   *
   * The window: the spec's `endTimeLowerBound` is named for the end time but described as "created after the
   * specified date and time" (JobSession_Get). Read by end time, a session still running (no endTime) would be left
   * out, so the first page also asks for the job's Running sessions (spec `status` filter) and adds those the bounded
   * list lacks; they come first, so a later page listing the same session ended overrides it. What the server
   * returns is also kept only if it is this job's backup session and overlaps the window (started or ended at or
   * after `since`, or not ended), whichever reading the server has.
   */
  async list(ctx: CallContext, query: BackupRunQuery, page?: string): Promise<Page<VendorBackupRun>> {
    if (page !== undefined && page !== '' && !/^\d+$/.test(page)) throw veeamRefusal('INVALID_REQUEST', `Not a Veeam page token: ${page}`);
    const offset = page ? Number(page) : 0;
    const jobId = query.policyRef;
    const since = query.since?.toISOString();
    const limit = VEEAM_PAGE_SIZE.default;
    const bounded = await this.client.listJobSessions(ctx, { jobId, jobType: 'Backup', endTimeLowerBound: since }, { offset, limit });
    let sessions = bounded.results;
    if (offset === 0 && since) {
      const running = await this.client.listJobSessions(ctx, { jobId, status: 'Running' }, { offset: 0, limit: VEEAM_PAGE_SIZE.max });
      const listed = new Set(sessions.map((s) => s.id));
      sessions = [...running.results.filter((s) => !listed.has(s.id)), ...sessions];
    }
    const from = query.since?.getTime() ?? -Infinity;
    const overlaps = (s: RESTJobSession) =>
      !s.endTime || Date.parse(s.creationTime) >= from || Date.parse(s.endTime) >= from || Number.isNaN(Date.parse(s.endTime));
    sessions = sessions.filter((s) => (!s.jobId || s.jobId === jobId) && s.jobType !== 'Copy' && overlaps(s));
    const objects = this.lazyObjects(ctx, jobId);
    const items: VendorBackupRun[] = [];
    // One at a time: a page can need a log read per session, and VB365 documents no concurrency limit to lean on.
    for (const s of sessions) items.push(await this.runOf(ctx, s, objects));
    const next = nextOffset(bounded, limit);
    return { items, ...(next !== undefined ? { next: String(next) } : {}) };
  }

  /**
   * Starts the whole job (onDemandBackup 'policy': VB365 starts jobs, not objects). The job already running, or
   * disabled, is OperationConflict: NOT_ALLOWED_IN_STATE (error catalog), whatever the catalog says here.
   */
  async start(ctx: CallContext, target: BackupTarget): Promise<StartedBackup> {
    let session: RESTJobSession | undefined;
    try {
      session = await this.client.startJob(ctx, target.policyRef, {});
    } catch (e) {
      if (e instanceof VendorError && e.vendorCode === 'OperationConflict' && e.code !== 'NOT_ALLOWED_IN_STATE')
        throw new VendorError({
          code: 'NOT_ALLOWED_IN_STATE',
          vendor: VEEAM,
          vendorCode: e.vendorCode,
          httpStatus: e.httpStatus,
          retryable: false,
          vendorRequestId: e.vendorRequestId,
          message: e.message,
        });
      throw e;
    }
    // v7 answered 204 without the session (SOURCE.md §Jobs): then it is the job's running session.
    session ??= (await this.client.listJobSessions(ctx, { jobId: target.policyRef, status: 'Running' }, { limit: 1 })).results[0];
    if (!session)
      throw new VendorError({
        code: 'VENDOR_ERROR',
        vendor: VEEAM,
        retryable: false,
        mayHaveApplied: true,
        message: 'Veeam started the job but shows no session of it',
      });
    return { ref: { vendorRef: session.id }, run: await this.runOf(ctx, session, this.lazyObjects(ctx, target.policyRef)) };
  }

  /** The started session, by its id (ref.vendorRef). NOT_FOUND once the server no longer has it. */
  async get(ctx: CallContext, ref: VendorOperationRef): Promise<VendorBackupRun> {
    if (!ref.vendorRef) throw veeamRefusal('INVALID_REQUEST', 'A Veeam backup run ref is a job session id');
    const session = await this.client.getJobSession(ctx, ref.vendorRef);
    return this.runOf(ctx, session, this.lazyObjects(ctx, session.jobId));
  }

  /**
   * A session as our run, with per-object outcomes where they are worth a call:
   * - running or queued: none (the run counts for the policy's items as running);
   * - Success with `progress` ("Number of processed objects", spec RESTJobSession) covering every object the job
   *   selects: each of them succeeded, no log read (Veeam ends a session Success only when every object was
   *   processed cleanly);
   * - otherwise ended (Warning, Failed, Stopped, Success with fewer objects processed, unknown): the log, read once.
   */
  private async runOf(ctx: CallContext, s: RESTJobSession, objects: () => Promise<JobObject[]>): Promise<VendorBackupRun> {
    const status = runStatusOf(s);
    if (status === 'running' || status === 'queued') return toBackupRun(s);
    const all = await objects();
    if (all.length === 0) return toBackupRun(s);
    if (s.status === 'Success' && typeof s.progress === 'number' && s.progress >= all.length)
      return toBackupRun(
        s,
        all.map((o) => ({ itemRef: o.itemRef, status: 'succeeded' })),
      );
    return toBackupRun(s, objectOutcomes(all, await this.client.allLogItems(ctx, s.id), true));
  }

  /** The job's selected objects, read at most once per call and only when a session needs them. */
  private lazyObjects(ctx: CallContext, jobId: string): () => Promise<JobObject[]> {
    let read: Promise<JobObject[]> | undefined;
    return () => (read ??= this.client.allSelectedItems(ctx, jobId).then((items) => jobObjects(jobId, items)));
  }
}
