import { setMaxListeners } from 'node:events';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import {
  applyProgress,
  itemsToRetry,
  cancelNeedsVendor,
  isTerminal,
  restoreJobIds,
  settleItems,
  type RestoreJob,
  type RestoreJobError,
  type RestoreJobStatus,
  type VendorId,
} from '@bg/domain';
import {
  APP_CONFIG,
  PICKED,
  QUEUES,
  TenantDb,
  restoreJobRepository,
  type AppConfig,
  type HistoryEntry,
  type RestoreJobPatch,
  type TenantTx,
} from '@bg/platform';
import {
  type BackupVendorPort,
  type CallContext,
  type ReconcileOptions,
  type RestoreProgress,
  type VendorError,
  type VendorOperationRef,
  isVendorError,
  vendorDescriptor,
} from '@bg/adapters';
import { AdapterCache } from '../common/adapter-cache.service';
import { ConnectionThrottle } from '../common/connection-throttle';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { storedRef, toRestoreRequest } from './restore-job.request';

const POLL_MIN_MS = 1000;
const POLL_MAX_MS = 60_000;
/** Poll ticks are per connection and per second: every job of a connection due in that second shares one. */
const POLL_TICK_MS = 1000;
/** At most this many jobs polled by one tick (more due: another tick at once), this many vendor calls at a time. */
const POLL_BATCH = 200;
const POLL_PARALLEL = 16;
/** Waiting jobs woken at once when a restore ends on a connection gated only by one restore per item. */
const WAKE_BATCH = 16;

/** Next poll delay: adaptive — quick at first, backing off while a vendor job runs long. */
export function nextPollDelay(attempt: number, hintMs?: number): number {
  const backoff = Math.min(POLL_MAX_MS, POLL_MIN_MS * 1.5 ** attempt);
  return Math.max(hintMs ?? 0, Math.round(backoff));
}

/** What a submission or cancellation job carries (JobPayloads). */
export interface RestoreJobWork {
  tenantId: string;
  restoreJobId: string;
  /** Known: a job of a vendor without admission gate is picked lock-free. */
  vendor?: VendorId;
  requestId?: string;
}

/** What a vendor's progress report changes of a job (see RestoreJobRunner.progressChange). */
interface ProgressChange {
  to: RestoreJobStatus;
  patch: RestoreJobPatch;
  detail: Record<string, unknown>;
  entries: HistoryEntry[];
}

/**
 * The repository with its two transition writes wrapped: a change that moved a job into a terminal state
 * is told to `moved` (after the statement, in the caller's transaction: a rollback after it still counts).
 */
function countingTerminalMoves(repo: typeof restoreJobRepository, moved: (state: RestoreJobStatus) => void): typeof restoreJobRepository {
  const counted = Object.create(repo) as typeof restoreJobRepository;
  const note = (before: RestoreJob, after: RestoreJob | null) => {
    if (after && after.status !== before.status && isTerminal(after.status)) moved(after.status);
    return after;
  };
  counted.update = async (tx, job, ...rest) => note(job, await repo.update(tx, job, ...rest))!;
  counted.updateIfUnchanged = async (db, job, ...rest) => note(job, await repo.updateIfUnchanged(db, job, ...rest));
  return counted;
}

/** A lock-free write applies while the job is still as it was read: same status, phase, poll attempt, no cancel asked. */
const AS_READ = ['status', 'submitPhase', 'cancelRequested', 'pollAttempt'] as const;

/** Whether a vendor's restores pass an admission gate (a limit of restores at once, or one restore per item). */
const gated = (vendor: VendorId): boolean => {
  const { concurrentRestoreJobs, oneRestorePerItem, serialRestoreStarts } = vendorDescriptor(vendor).capabilities.limits;
  return Boolean(concurrentRestoreJobs || oneRestorePerItem || serialRestoreStarts);
};

/** Whether a vendor's restores are started one at a time per connection (see Capabilities.limits.serialRestoreStarts). */
const serialStarts = (vendor: VendorId): boolean => Boolean(vendorDescriptor(vendor).capabilities.limits.serialRestoreStarts);

/**
 * Carries a restore job through the vendor: submit, poll to a terminal state, cancel. Every handler is
 * idempotent: after a crash between a vendor call and its checkpoint it asks the vendor
 * (findRestore/getRestore) before acting again.
 *
 * A submission costs three transactions: (1) load + connection + admission through the vendor gate,
 * (2) after the vendor's prepare: the `prepared` and `starting` checkpoints together (the last moment a
 * cancel wins without the vendor), (3) after the start: `started`, the first progress and the first poll.
 * Each is one lock-free statement while nothing else touched the job (an optimistic guard on what was
 * read: status, phase, poll attempt, no cancel): (1) for vendors without admission gate, (2), (3) and
 * each poll's outcome. When the guard finds the job changed, the step takes the locking transaction.
 * Every vendor call gets a CallContext: the API request's id (polls: the job's id) for the vendor's
 * request-id header, and an AbortSignal that worker shutdown aborts (and a cancel, for in-flight polls).
 */
@Injectable()
export class RestoreJobRunner implements BeforeApplicationShutdown {
  private readonly log = new Logger('RestoreJobRunner');
  private readonly shutdown = new AbortController();
  /** In-flight polls per restore job, so a cancel can abort them. */
  private readonly polling = new Map<string, AbortController>();
  /** The job repository, counting each move to a terminal state (bg_restore_jobs_total). */
  private readonly jobs: typeof restoreJobRepository;

  constructor(
    private readonly db: TenantDb,
    private readonly adapters: AdapterCache,
    private readonly throttle: ConnectionThrottle,
    @InjectQueue(QUEUES.restoreJobs) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: WorkerMetrics,
  ) {
    this.jobs = countingTerminalMoves(restoreJobRepository, (state) => metrics.restoreJobs.inc({ state }));
    // Every in-flight vendor call listens on it (one listener per call, removed when the call ends).
    setMaxListeners(0, this.shutdown.signal);
  }

  /**
   * Before the queue workers close (they wait for their active jobs): in-flight vendor calls are aborted,
   * so active jobs end at once with a retryable error and resume from their last checkpoint elsewhere.
   */
  beforeApplicationShutdown(): void {
    this.shutdown.abort(new Error('worker shutting down'));
  }

  private context(requestId: string | undefined, own?: AbortController): CallContext {
    return { requestId, signal: own ? AbortSignal.any([this.shutdown.signal, own.signal]) : this.shutdown.signal };
  }

  /** What an adapter may ask while reconciling this job: which vendor ids other jobs of its connection hold. */
  private reconcile(tenantId: string, job: RestoreJob): ReconcileOptions {
    return {
      heldByOthers: (ids, since) => this.db.run(tenantId, (tx) => this.jobs.vendorIdsHeld(tx, job.connectionId, job.id, ids, since)),
    };
  }

  /** Returns 'wait' when the job must wait for a vendor slot (the caller delays it). */
  async submit(work: RestoreJobWork): Promise<'done' | 'wait'> {
    const { tenantId, restoreJobId: jobId } = work;
    const ctx = this.context(work.requestId ?? jobId);
    const first = (await this.pick(work)) ?? (await this.load(tenantId, jobId));
    if (first.decision !== 'go') return first.decision;
    const { job, adapter } = first;
    const req = toRestoreRequest(job);
    const reconcile = this.reconcile(tenantId, job);
    if (job.submitPhase === 'starting') {
      // A previous attempt may have reached the vendor: its truth decides, never a blind repeat. A vendor
      // without a draft step has no vendorRef yet, only what its prepare recorded in vendorExtra.
      const found = await adapter.findRestore(ctx, req, job.vendorRef || job.vendorExtra ? storedRef(job) : undefined, reconcile);
      if (found) return this.started(tenantId, job, found.ref, found.progress, 'reconciled after an interrupted submission');
    }
    // An earlier attempt picked the job and stopped before recording what its prepare made at the vendor
    // (a draft without client reference): adopt that instead of preparing a second one.
    const adopted =
      first.resumed && job.submitPhase === 'preparing' && !job.vendorRef && adapter.findPrepared
        ? await adapter.findPrepared(ctx, req, job.createdAt, reconcile)
        : undefined;
    const prepared = adopted ?? (!job.vendorRef && job.submitPhase !== 'prepared' ? await adapter.prepareRestore(ctx, req) : undefined);
    const ref = prepared ?? storedRef(job);
    // `prepared` (when the vendor just prepared) and `starting` together: nothing happens between them.
    // The last moment a cancel can win without the vendor: once `starting` is recorded, the vendor decides.
    const vendorRef = ref.vendorRef || null;
    const starting: RestoreJobPatch = { submitPhase: 'starting', vendorRef, vendorExtra: ref.extra ?? null };
    const entries = [
      ...(prepared
        ? [{ type: 'vendor_prepared', detail: adopted ? { vendorRef, note: 'adopted after an interrupted prepare' } : { vendorRef } }]
        : []),
      { type: 'vendor_start_requested', detail: { vendorRef } },
    ];
    const checkpointed =
      (job.cancelRequested ? null : await this.jobs.updateIfUnchanged(this.db, job, AS_READ, job.status, starting, {}, entries)) ??
      (await this.db.run(tenantId, async (tx) => {
        const current = await this.jobs.get(tx, jobId, { forUpdate: true });
        if (isTerminal(current.status) || current.cancelRequested) return null;
        return this.jobs.update(tx, current, current.status, starting, {}, entries);
      }));
    if (!checkpointed) return this.discard(tenantId, jobId, adapter, ref, ctx);
    // Resuming when an earlier attempt recorded `starting`: that start may have reached the vendor.
    const { ref: startedRef, progress } = await adapter.startRestore(ctx, ref, req, {
      resuming: job.submitPhase === 'starting',
      ...reconcile,
    });
    return this.started(tenantId, checkpointed, startedRef, progress, 'vendor accepted the restore');
  }

  /**
   * Step (1) lock-free: a queued job of a vendor without admission gate moves to submitting in one
   * statement that also answers its connection's version, so a cached adapter needs no read. Undefined
   * when the job is not (or no longer) simply queued: the locking path decides.
   */
  private async pick(
    work: RestoreJobWork,
  ): Promise<{ decision: 'go'; job: RestoreJob; adapter: BackupVendorPort; resumed?: boolean } | undefined> {
    if (!work.vendor || gated(work.vendor)) return undefined;
    const picked = await this.jobs.pickQueued(this.db, work.tenantId, work.restoreJobId);
    if (!picked) return undefined;
    const { job } = picked;
    const adapter =
      this.adapters.cached({ id: job.connectionId, ...picked.connection }) ??
      (await this.db.run(work.tenantId, (tx) => this.adapters.forConnection(tx, job.connectionId))).adapter;
    return { decision: 'go', job, adapter };
  }

  /** Step (1) with the job locked: load, connection, admission through the vendor gate (or the end of a cancelled job). */
  private load(tenantId: string, jobId: string) {
    return this.db.run(tenantId, async (tx) => {
      const job = await this.jobs.get(tx, jobId, { forUpdate: true });
      if (isTerminal(job.status) || job.status === 'running') return { decision: 'done' as const };
      if (job.status === 'cancelling' && job.submitPhase !== 'starting') {
        await this.endCancelled(tx, job, 'cancelled before reaching the vendor');
        return { decision: 'done' as const };
      }
      const { adapter } = await this.adapters.forConnection(tx, job.connectionId);
      // Already picked: an earlier attempt was interrupted after it moved the job to submitting.
      if (job.status !== 'queued') return { decision: 'go' as const, job, adapter, resumed: true };
      const admitted = await this.admit(tx, job);
      return admitted ? { decision: 'go' as const, job: admitted, adapter } : { decision: 'wait' as const };
    });
  }

  /**
   * One poll tick of a connection: polls every job of it whose next_poll_at is due (a bounded batch, a
   * few vendor calls at a time), then schedules the next tick for the earliest due job. The jobs and the
   * connection's adapter are loaded once per tick; each job then costs its vendor call and one
   * transaction (outcome + next poll).
   */
  async pollConnection(tenantId: string, connectionId: string): Promise<{ polled: number }> {
    const { due, adapter } = await this.db.run(tenantId, async (tx) => {
      const found = await this.jobs.dueForPoll(tx, connectionId, POLL_BATCH);
      return { due: found, adapter: found.length ? (await this.adapters.forConnection(tx, connectionId)).adapter : undefined };
    });
    // A pool of POLL_PARALLEL lanes, each taking the next due job: one slow vendor answer holds one lane only.
    // The connection's pause (a vendor Retry-After, shared across workers) is read at the start of the
    // tick and again after a failed poll, not before every job.
    let paused = due.length > 0 && Boolean(await this.throttle.pausedUntil(connectionId));
    let freed = false;
    let next = 0;
    const lane = async () => {
      while (adapter && !paused && next < due.length && !this.shutdown.signal.aborted) {
        const outcome = await this.pollOne(tenantId, connectionId, adapter, due[next++]);
        freed ||= outcome === 'terminal';
        if (outcome === 'retry') paused = Boolean(await this.throttle.pausedUntil(connectionId));
      }
    };
    await Promise.all(Array.from({ length: Math.min(POLL_PARALLEL, due.length) }, lane));
    if (freed && due[0]) await this.wakeWaiting(tenantId, connectionId, due[0].vendor);
    await this.scheduleNextTick(tenantId, connectionId, due.length === POLL_BATCH);
    return { polled: due.length };
  }

  /** Polls one job; a vendor failure is this job's alone (the tick goes on with the others). */
  private async pollOne(
    tenantId: string,
    connectionId: string,
    adapter: BackupVendorPort,
    job: RestoreJob,
  ): Promise<'terminal' | 'active' | 'retry'> {
    const attempt = job.pollAttempt + 1;
    if (!job.vendorRef && job.submitPhase !== 'started') {
      // Not at the vendor yet (the submission owns it): look again later.
      await this.db.run(tenantId, (tx) => this.jobs.setNextPoll(tx, job.id, nextPollDelay(attempt), attempt));
      return 'active';
    }
    const own = new AbortController();
    this.polling.set(job.id, own);
    try {
      const progress = await adapter.getRestore(this.context(job.id, own), storedRef(job));
      // The outcome and the next poll in one statement (a transaction with the job locked when it changed meanwhile).
      const nextPoll = { delayMs: nextPollDelay(attempt, progress.retryAfterMs), attempt };
      const after =
        (await this.applyProgressIfUnchanged(job, progress, nextPoll)) ??
        (await this.db.run(tenantId, async (tx) =>
          this.applyProgressTx(tx, await this.jobs.get(tx, job.id, { forUpdate: true }), progress, nextPoll),
        ));
      if (await this.queueResubmit(tenantId, after)) return 'active';
      return isTerminal(after.status) ? 'terminal' : 'active';
    } catch (e) {
      if (isVendorError(e) && !e.retryable) {
        await this.fail(tenantId, job.id, e);
        return 'terminal';
      }
      await this.throttle.noteError(connectionId, e);
      const delayMs = nextPollDelay(attempt, isVendorError(e) ? e.retryAfterMs : undefined);
      await this.db.run(tenantId, (tx) => this.jobs.setNextPoll(tx, job.id, delayMs, attempt));
      return 'retry';
    } finally {
      if (this.polling.get(job.id) === own) this.polling.delete(job.id);
    }
  }

  async cancel(work: RestoreJobWork): Promise<void> {
    const { tenantId, restoreJobId: jobId } = work;
    const { job, adapter } = await this.db.run(tenantId, async (tx) => {
      const found = await this.jobs.get(tx, jobId);
      return {
        job: found,
        adapter: isTerminal(found.status) ? undefined : (await this.adapters.forConnection(tx, found.connectionId)).adapter,
      };
    });
    if (!adapter || isTerminal(job.status)) return;
    if (!cancelNeedsVendor(job)) {
      await this.db.run(tenantId, async (tx) => {
        const j = await this.jobs.get(tx, jobId, { forUpdate: true });
        if (!isTerminal(j.status)) await this.endCancelled(tx, j, 'cancelled before reaching the vendor');
      });
      return;
    }
    // A poll of this job in flight answers nothing the cancel needs.
    this.polling.get(jobId)?.abort(new Error('restore job cancelled'));
    const firstPoll = { delayMs: nextPollDelay(0), attempt: 0 };
    try {
      const progress = await adapter.cancelRestore(this.context(work.requestId ?? jobId), storedRef(job), this.reconcile(tenantId, job));
      await this.db.run(tenantId, async (tx) => {
        const j = await this.jobs.get(tx, jobId, { forUpdate: true });
        await this.applyProgressTx(tx, j, progress, firstPoll, {}, [
          { type: 'vendor_cancel_requested', detail: { vendorStatus: progress.vendorStatus } },
        ]);
      });
    } catch (e) {
      if (!isVendorError(e) || e.retryable) throw e;
      // The vendor cannot cancel this restore now: say so, and let polling record how it ends.
      await this.db.run(tenantId, async (tx) => {
        const j = await this.jobs.get(tx, jobId, { forUpdate: true });
        await this.jobs.update(
          tx,
          j,
          j.status,
          {
            statusReason: `The vendor could not cancel: ${e.message}. The restore continues at the vendor; its outcome will be recorded.`,
            nextPoll: firstPoll,
          },
          {},
          [{ type: 'vendor_cancel_refused', detail: { code: e.code, vendorCode: e.vendorCode, message: e.message } }],
        );
      });
    }
    await this.scheduleTick(tenantId, job.connectionId, firstPoll.delayMs);
  }

  /**
   * A retryable vendor refusal of the submission (throttling, a vendor limit, a transient error): the job is not
   * failed; it records why it waits and is tried again after `delayMs` (the runner asks the vendor first whether an
   * earlier try reached it). Its deadline still bounds it: the reconciler ends it TIMED_OUT once past. False when
   * the job has ended meanwhile.
   */
  async noteRetryWait(tenantId: string, jobId: string, err: VendorError, delayMs: number, attempt: number): Promise<boolean> {
    return this.db.run(tenantId, async (tx) => {
      const job = await this.jobs.get(tx, jobId, { forUpdate: true });
      if (isTerminal(job.status)) return false;
      await this.jobs.update(
        tx,
        job,
        job.status,
        { statusReason: `The vendor refused for now (${err.code}): ${err.message}. Trying again in ${Math.ceil(delayMs / 1000)} s.` },
        {},
        [
          {
            type: 'vendor_retry_wait',
            detail: { code: err.code, vendorCode: err.vendorCode ?? null, message: err.message, delayMs, attempt },
          },
        ],
      );
      return true;
    });
  }

  /** Ends a job failed with the vendor's normalized error. */
  async fail(tenantId: string, jobId: string, err: unknown): Promise<void> {
    const detail = isVendorError(err)
      ? {
          vendor: err.vendor,
          vendorCode: err.vendorCode ?? null,
          retryable: err.retryable,
          vendorRequestId: err.vendorRequestId ?? null,
          httpStatus: err.httpStatus ?? null,
        }
      : {};
    const ownCode = (err as { code?: unknown })?.code;
    const code = isVendorError(err) ? err.code : typeof ownCode === 'string' && ownCode ? ownCode : 'INTERNAL';
    const message = err instanceof Error ? err.message : String(err);
    const error: RestoreJobError = { code, message, detail };
    const failed = await this.db.run(tenantId, async (tx) => {
      const job = await this.jobs.get(tx, jobId, { forUpdate: true });
      if (isTerminal(job.status)) return null;
      return this.jobs.update(tx, job, 'failed', { error, items: settleItems(job.items, 'failed', code) }, { code, message, ...detail });
    });
    if (failed) await this.wakeWaiting(tenantId, failed.connectionId, failed.vendor);
  }

  /** Puts a job on its connection's poll schedule (attempt 0: soon) and makes sure a tick is coming. */
  async schedulePoll(tenantId: string, jobId: string, attempt: number, hintMs?: number): Promise<void> {
    const delayMs = nextPollDelay(attempt, hintMs);
    const connectionId = await this.db.run(tenantId, (tx) => this.jobs.setNextPoll(tx, jobId, delayMs, attempt));
    await this.scheduleTick(tenantId, connectionId, delayMs);
  }

  /** The next tick of a connection: at the earliest due job (or at once when a full batch was due). */
  private async scheduleNextTick(tenantId: string, connectionId: string, more: boolean): Promise<void> {
    const next = await this.db.run(tenantId, (tx) => this.jobs.earliestPoll(tx, connectionId));
    if (!next) return;
    const pause = (await this.throttle.pausedUntil(connectionId)) ?? 0;
    await this.scheduleTick(tenantId, connectionId, Math.max(more ? 0 : next.getTime() - Date.now(), pause - Date.now(), 0));
  }

  /**
   * One queue job per connection per tick second (the job id dedups). A tick never reuses the id of the
   * second it runs in, so a tick can always schedule its successor.
   */
  private async scheduleTick(tenantId: string, connectionId: string, delayMs: number): Promise<void> {
    const now = Date.now();
    const slot = Math.max(Math.ceil((now + delayMs) / POLL_TICK_MS), Math.floor(now / POLL_TICK_MS) + 1);
    await this.queue.add(
      'restore-job.poll',
      { tenantId, connectionId },
      {
        jobId: restoreJobIds.pollTick(connectionId, slot),
        delay: slot * POLL_TICK_MS - now,
        removeOnComplete: true,
        removeOnFail: { count: 1000 },
      },
    );
  }

  /**
   * A slot freed on a gated connection: the oldest waiting jobs get it at once (their delayed submit
   * jobs are promoted) instead of waiting for their next periodic check.
   */
  async wakeWaiting(tenantId: string, connectionId: string, vendor: VendorId): Promise<number> {
    if (!gated(vendor)) return 0;
    // Without a slot limit (only one restore per item), the oldest waiting jobs are woken a batch at a time.
    const slots = vendorDescriptor(vendor).capabilities.limits.concurrentRestoreJobs ?? WAKE_BATCH;
    const waiting = await this.db.run(tenantId, (tx) => this.jobs.waitingForSlot(tx, connectionId, slots));
    let woken = 0;
    for (const id of waiting) {
      const job = await this.queue.getJob(restoreJobIds.submit(id));
      if (job && (await job.isDelayed())) {
        await job.promote().catch(() => undefined);
        woken++;
      }
    }
    return woken;
  }

  /**
   * Admission gate per connection, in the caller's transaction with the job row locked: at most the
   * vendor's documented number of restores running, and — where the vendor refuses a second restore of
   * an item being restored (oneRestorePerItem) — no item of this job in another active job. Returns the
   * admitted job, or null when it must wait (queued, with the reason).
   */
  private async admit(tx: TenantTx, job: RestoreJob): Promise<RestoreJob | null> {
    const { concurrentRestoreJobs: limit, oneRestorePerItem } = vendorDescriptor(job.vendor).capabilities.limits;
    if (limit || oneRestorePerItem) {
      // Serialize admissions per connection so two workers cannot both take the last slot (or the same item).
      await this.jobs.lockAdmissions(tx, job.connectionId);
      const items = oneRestorePerItem ? [...new Set(job.items.map((i) => i.protectedItemId))] : [];
      const { active, sameItem, unrecorded } = await this.jobs.activeOn(tx, job.connectionId, job.id, items);
      const reason =
        limit && active >= limit
          ? `waiting for a vendor slot: ${job.vendor} allows ${limit} restores at once on this connection (${active} running)`
          : sameItem
            ? `waiting for restore job ${sameItem} to end: ${job.vendor} restores an item only once at a time, and it restores an item of this job`
            : serialStarts(job.vendor) && unrecorded
              ? `waiting for restore job ${unrecorded} to be recorded at the vendor: ${job.vendor} restores carry no client reference, so they are started one at a time per connection`
              : null;
      if (reason) {
        if (job.statusReason !== reason) await this.jobs.setStatusReason(tx, job.id, reason);
        return null;
      }
    }
    return this.jobs.update(tx, job, 'submitting', PICKED.patch, PICKED.detail);
  }

  /**
   * A cancel won the race with the submission: whatever the vendor prepared (a Graph draft session) is
   * discarded, and the job ends cancelled without ever being started at the vendor.
   */
  private async discard(
    tenantId: string,
    jobId: string,
    adapter: BackupVendorPort,
    ref: VendorOperationRef,
    ctx: CallContext,
  ): Promise<'done'> {
    let detail: Record<string, unknown> = { vendorRef: ref.vendorRef || null };
    if (ref.vendorRef) {
      try {
        detail = { ...detail, vendorStatus: (await adapter.cancelRestore(ctx, ref)).vendorStatus };
      } catch (e) {
        detail = { ...detail, discardError: isVendorError(e) ? e.code : 'INTERNAL', message: (e as Error).message };
      }
    }
    await this.db.run(tenantId, async (tx) => {
      const job = await this.jobs.get(tx, jobId, { forUpdate: true });
      const discarded = [{ type: 'vendor_prepared_discarded', detail }];
      if (isTerminal(job.status)) await this.jobs.recordEvents(tx, jobId, job.status, job.status, discarded);
      else await this.endCancelled(tx, job, 'cancelled before the vendor started it', discarded);
    });
    return 'done';
  }

  /** Ends a job cancelled without the vendor: every unfinished item cancelled, the reason in its history. */
  private endCancelled(tx: TenantTx, job: RestoreJob, reason: string, entries: HistoryEntry[] = []): Promise<RestoreJob> {
    return this.jobs.update(tx, job, 'cancelled', { items: settleItems(job.items, 'cancelled') }, { reason }, entries);
  }

  /**
   * The vendor accepted (or already had) the restore: record it, its first progress and its first poll, in
   * one statement (a transaction with the job locked when it changed since `submitted` was read).
   */
  private async started(
    tenantId: string,
    submitted: RestoreJob,
    ref: VendorOperationRef,
    progress: RestoreProgress,
    note: string,
  ): Promise<'done'> {
    const firstPoll = { delayMs: nextPollDelay(0, progress.retryAfterMs), attempt: 0 };
    const started = { type: 'vendor_started', detail: { vendorRef: ref.vendorRef, vendorStatus: progress.vendorStatus, note } };
    const at = { submitPhase: 'started' as const, vendorRef: ref.vendorRef || null, vendorExtra: ref.extra ?? null };
    const after =
      (await this.applyProgressIfUnchanged(submitted, progress, firstPoll, at, [started])) ??
      (await this.db.run(tenantId, async (tx) =>
        this.applyProgressTx(tx, await this.jobs.get(tx, submitted.id, { forUpdate: true }), progress, firstPoll, at, [started]),
      ));
    if (await this.queueResubmit(tenantId, after)) return 'done';
    if (!isTerminal(after.status)) await this.scheduleTick(tenantId, after.connectionId, firstPoll.delayMs);
    // The next start of a serial vendor may go now that this one's ref is recorded.
    if (isTerminal(after.status) || serialStarts(after.vendor)) await this.wakeWaiting(tenantId, after.connectionId, after.vendor);
    return 'done';
  }

  /**
   * What a vendor's progress report changes (the domain's progress -> status rule) and, while the job is
   * not terminal, its next poll; `also` and `entries` are recorded with it. Null: nothing to write.
   */
  private progressChange(
    job: RestoreJob,
    progress: RestoreProgress,
    nextPoll?: RestoreJobPatch['nextPoll'],
    also: RestoreJobPatch = {},
    entries: HistoryEntry[] = [],
  ): ProgressChange | null {
    const extra = Object.keys(also).length > 0 || entries.length > 0;
    if (isTerminal(job.status)) return extra ? { to: job.status, patch: also, detail: {}, entries } : null;
    const outcome = applyProgress(job, progress);
    const retry =
      isTerminal(outcome.status) && outcome.status !== 'cancelled' && !job.cancelRequested
        ? itemsToRetry(outcome.items, progress)
        : undefined;
    if (retry) return this.resubmission(progress, retry, also, entries);
    const poll = isTerminal(outcome.status) ? undefined : nextPoll;
    if (!outcome.changed) {
      if (extra) return { to: job.status, patch: { ...also, nextPoll: poll }, detail: {}, entries };
      // Only the poll schedule moves: updated_at stays (it says when the job last changed).
      return poll ? { to: job.status, patch: { nextPoll: poll, touch: false }, detail: {}, entries: [] } : null;
    }
    const { error } = outcome;
    return {
      to: outcome.status,
      patch: {
        ...also,
        items: outcome.items,
        vendorStatus: progress.vendorStatus,
        nextPoll: poll,
        ...(error ? { error: { code: error.code, message: error.message, detail: { vendorCode: error.vendorCode ?? null } } } : {}),
        ...(outcome.status !== job.status && outcome.status === 'running' ? { statusReason: null } : {}),
      },
      detail: { vendorStatus: progress.vendorStatus },
      entries,
    };
  }

  /**
   * The vendor ended the restore but refused some items for now (itemsToRetry): the job goes back to submitting with
   * those items pending, off the poll schedule; the caller queues the new submission (queueResubmit).
   */
  private resubmission(
    progress: RestoreProgress,
    retry: NonNullable<ReturnType<typeof itemsToRetry>>,
    also: RestoreJobPatch,
    entries: HistoryEntry[],
  ): ProgressChange {
    const codes = [...new Set(retry.retried.map((i) => i.vendorCode ?? 'unknown'))].join(', ');
    return {
      to: 'submitting',
      patch: {
        ...also,
        items: retry.items,
        vendorStatus: progress.vendorStatus,
        vendorRef: null,
        vendorExtra: null,
        submitPhase: 'preparing',
        statusReason: `The vendor refused ${retry.retried.length} item(s) for now (${codes}); they are restored again shortly.`,
      },
      detail: { vendorStatus: progress.vendorStatus },
      entries: [
        ...entries,
        {
          type: 'vendor_item_retry',
          detail: {
            items: retry.retried.map((i) => ({
              restorePointId: i.restorePointId,
              vendorCode: i.vendorCode ?? null,
              message: i.errorMessage ?? null,
              retry: i.retries,
            })),
          },
        },
      ],
    };
  }

  /**
   * After a change: a job sent back to submitting by resubmission() gets its new submission, after
   * RESTORE_ITEM_RETRY_MS (30 s) doubling with each round, so a vendor that asks to wait for another restore is given time.
   */
  private async queueResubmit(tenantId: string, after: RestoreJob): Promise<boolean> {
    if (after.status !== 'submitting' || after.vendorRef || after.submitPhase !== 'preparing') return false;
    const round = Math.max(0, ...after.items.map((i) => i.retries ?? 0));
    await this.queue.add(
      'restore-job.submit',
      { tenantId, restoreJobId: after.id, connectionId: after.connectionId, vendor: after.vendor },
      { jobId: `${restoreJobIds.submit(after.id)}_retry${round}`, delay: this.config.RESTORE_ITEM_RETRY_MS * 2 ** Math.max(0, round - 1) },
    );
    return true;
  }

  /** Applies a progress report (progressChange) in the caller's transaction, the job locked. */
  private async applyProgressTx(
    tx: TenantTx,
    job: RestoreJob,
    progress: RestoreProgress,
    nextPoll?: RestoreJobPatch['nextPoll'],
    also: RestoreJobPatch = {},
    entries: HistoryEntry[] = [],
  ): Promise<RestoreJob> {
    const change = this.progressChange(job, progress, nextPoll, also, entries);
    return change ? this.jobs.update(tx, job, change.to, change.patch, change.detail, change.entries) : job;
  }

  /**
   * Applies a progress report lock-free, in one statement, while the job is as `job` was read (AS_READ).
   * Null when it changed meanwhile (or a cancel was asked): the caller takes applyProgressTx on the locked row.
   */
  private async applyProgressIfUnchanged(
    job: RestoreJob,
    progress: RestoreProgress,
    nextPoll?: RestoreJobPatch['nextPoll'],
    also: RestoreJobPatch = {},
    entries: HistoryEntry[] = [],
  ): Promise<RestoreJob | null> {
    if (job.cancelRequested) return null;
    const change = this.progressChange(job, progress, nextPoll, also, entries);
    if (!change) return job;
    return this.jobs.updateIfUnchanged(this.db, job, AS_READ, change.to, change.patch, change.detail, change.entries);
  }

  /** Fallback for queue jobs written before their payload carried the connection. */
  async connectionOf(tenantId: string, jobId: string): Promise<string> {
    this.log.debug(`looking up the connection of restore job ${jobId}`);
    return (await this.db.run(tenantId, (tx) => this.jobs.get(tx, jobId))).connectionId;
  }
}
