import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { aggregateItemStatuses, isTerminal, type RestoreJobStatus, type VendorId } from '@bg/domain';
import { QUEUES, TenantDb, loadRestoreJob, recordRestoreJobEvent, updateRestoreJob, type RestoreJobRow, type TenantTx } from '@bg/platform';
import { type BackupVendorPort, type RestoreProgress, type VendorOperationRef, isVendorError, vendorDescriptor } from '@bg/adapters';
import { AdapterCache } from '../common/adapter-cache.service';
import { ConnectionThrottle } from '../common/connection-throttle';
import { itemStatusFor, mergeItems, storedRef, toRestoreRequest } from './restore-job.request';

const POLL_MIN_MS = 1000;
const POLL_MAX_MS = 60_000;
/** Poll ticks are per connection and per second: every job of a connection due in that second shares one. */
const POLL_TICK_MS = 1000;
/** At most this many jobs polled by one tick (more due: another tick at once), this many vendor calls at a time. */
const POLL_BATCH = 200;
const POLL_PARALLEL = 16;
const ACTIVE = `('submitting', 'running', 'cancelling')`;

/** Next poll delay: adaptive — quick at first, backing off while a vendor job runs long. */
export function nextPollDelay(attempt: number, hintMs?: number): number {
  const backoff = Math.min(POLL_MAX_MS, POLL_MIN_MS * 1.5 ** attempt);
  return Math.max(hintMs ?? 0, Math.round(backoff));
}

/**
 * Carries a restore job through the vendor: submit (prepare, checkpoint, start, checkpoint), poll to a
 * terminal state, cancel. Every handler is idempotent: it reloads the job, and after a crash between a
 * vendor call and its checkpoint it asks the vendor (findRestore/getRestore) before acting again.
 */
@Injectable()
export class RestoreJobRunner {
  constructor(
    private readonly db: TenantDb,
    private readonly adapters: AdapterCache,
    private readonly throttle: ConnectionThrottle,
    @InjectQueue(QUEUES.restoreJobs) private readonly queue: Queue,
  ) {}

  /** Returns false when the job must wait for a vendor slot (the caller delays it). */
  async submit(tenantId: string, jobId: string): Promise<'done' | 'wait'> {
    const { job, adapter } = await this.load(tenantId, jobId);
    if (isTerminal(job.status) || job.status === 'running') return 'done';
    if (job.status === 'cancelling' && job.submit_phase !== 'starting') return this.cancelUnsubmitted(tenantId, job);
    if (job.status === 'queued') {
      const admitted = await this.admit(tenantId, job);
      if (!admitted) return 'wait';
    }
    const req = toRestoreRequest(job);
    let current = await this.reload(tenantId, jobId);
    if (current.submit_phase === 'starting') {
      // A previous attempt may have reached the vendor: its truth decides, never a blind repeat.
      const found = await adapter.findRestore({}, req, current.vendor_ref ? storedRef(current) : undefined);
      if (found) return this.started(tenantId, jobId, found.ref, found.progress, 'reconciled after an interrupted submission');
    }
    if (!current.vendor_ref && current.submit_phase !== 'prepared') {
      const ref = await adapter.prepareRestore({}, req);
      const prepared = await this.checkpoint(tenantId, jobId, 'prepared', ref, 'vendor_prepared');
      if (!prepared) return this.discard(tenantId, jobId, adapter, ref);
      current = prepared;
    }
    // The last moment a cancel can win without the vendor: once `starting` is recorded, the vendor decides.
    const starting = await this.checkpoint(tenantId, jobId, 'starting', storedRef(current), 'vendor_start_requested');
    if (!starting) return this.discard(tenantId, jobId, adapter, storedRef(current));
    const { ref, progress } = await adapter.startRestore({}, storedRef(current), req);
    return this.started(tenantId, jobId, ref, progress, 'vendor accepted the restore');
  }

  /**
   * One poll tick of a connection: polls every job of it whose next_poll_at is due (a bounded batch, a
   * few vendor calls at a time), then schedules the next tick for the earliest due job. 10,000 running
   * jobs therefore cost one queue job per connection per tick, and each job's own adaptive interval
   * (backing off to a minute while a vendor job runs long) bounds the vendor calls.
   */
  async pollConnection(tenantId: string, connectionId: string): Promise<{ polled: number }> {
    const due: Array<{ id: string }> = await this.db.run(tenantId, (tx) => tx.query(
      `SELECT id FROM restore_jobs WHERE connection_id = $1 AND status IN ${ACTIVE} AND next_poll_at <= now() ORDER BY next_poll_at LIMIT ${POLL_BATCH}`,
      [connectionId]));
    // A pool of POLL_PARALLEL lanes, each taking the next due job: one slow vendor answer holds one lane only.
    let freed = false;
    let next = 0;
    const lane = async () => {
      while (next < due.length && !(await this.throttle.pausedUntil(connectionId))) {
        const outcome = await this.pollOne(tenantId, connectionId, due[next++].id);
        freed ||= outcome === 'terminal';
      }
    };
    await Promise.all(Array.from({ length: Math.min(POLL_PARALLEL, due.length) }, lane));
    if (freed) await this.wakeWaiting(tenantId, connectionId);
    await this.scheduleNextTick(tenantId, connectionId, due.length === POLL_BATCH);
    return { polled: due.length };
  }

  /** Polls one job; a vendor failure is this job's alone (the tick goes on with the others). */
  private async pollOne(tenantId: string, connectionId: string, jobId: string): Promise<'terminal' | 'active'> {
    const { job, adapter } = await this.load(tenantId, jobId);
    if (isTerminal(job.status)) return 'terminal';
    try {
      if (!job.vendor_ref && job.submit_phase !== 'started') {
        // Not at the vendor yet (the submission owns it): look again later.
        await this.setNextPoll(tenantId, jobId, job.poll_attempt + 1);
        return 'active';
      }
      const progress = await adapter.getRestore({}, storedRef(job));
      // The outcome and the next poll in one transaction.
      const after = await this.db.run(tenantId, async (tx) => {
        const updated = await this.applyProgressTx(tx, await loadRestoreJob(tx, jobId, true), progress);
        if (!isTerminal(updated.status)) await this.setNextPollTx(tx, jobId, job.poll_attempt + 1, progress.retryAfterMs);
        return updated;
      });
      return isTerminal(after.status) ? 'terminal' : 'active';
    } catch (e) {
      if (isVendorError(e) && !e.retryable) {
        await this.fail(tenantId, jobId, e);
        return 'terminal';
      }
      await this.throttle.noteError(connectionId, e);
      await this.setNextPoll(tenantId, jobId, job.poll_attempt + 1, isVendorError(e) ? e.retryAfterMs : undefined);
      return 'active';
    }
  }

  async cancel(tenantId: string, jobId: string): Promise<void> {
    const { job, adapter } = await this.load(tenantId, jobId);
    if (isTerminal(job.status)) return;
    if (!job.vendor_ref && job.submit_phase !== 'starting') {
      await this.cancelUnsubmitted(tenantId, job);
      return;
    }
    try {
      const progress = await adapter.cancelRestore({}, storedRef(job));
      await this.db.run(tenantId, (tx) => recordRestoreJobEvent(tx, jobId, 'vendor_cancel_requested', job.status, job.status, { vendorStatus: progress.vendorStatus }));
      await this.applyProgress(tenantId, jobId, progress);
    } catch (e) {
      if (!isVendorError(e) || e.retryable) throw e;
      // The vendor cannot cancel this restore now: say so, and let polling record how it ends.
      await this.db.run(tenantId, async (tx) => {
        const j = await loadRestoreJob(tx, jobId, true);
        await tx.query('UPDATE restore_jobs SET status_reason = $2 WHERE id = $1', [jobId, `The vendor could not cancel: ${e.message}. The restore continues at the vendor; its outcome will be recorded.`]);
        await recordRestoreJobEvent(tx, jobId, 'vendor_cancel_refused', j.status, j.status, { code: e.code, vendorCode: e.vendorCode, message: e.message });
      });
    }
    await this.schedulePoll(tenantId, jobId, 0);
  }

  /** Ends a job failed with the vendor's normalized error. */
  async fail(tenantId: string, jobId: string, err: unknown): Promise<void> {
    const detail = isVendorError(err)
      ? { vendor: err.vendor, vendorCode: err.vendorCode ?? null, retryable: err.retryable, vendorRequestId: err.vendorRequestId ?? null, httpStatus: err.httpStatus ?? null }
      : {};
    const code = isVendorError(err) ? err.code : (err as { code?: string })?.code && typeof (err as { code?: string }).code === 'string' ? (err as { code: string }).code : 'INTERNAL';
    const message = err instanceof Error ? err.message : String(err);
    const connectionId = await this.db.run(tenantId, async (tx) => {
      const job = await loadRestoreJob(tx, jobId, true);
      if (isTerminal(job.status)) return null;
      await updateRestoreJob(tx, job, 'failed', {
        error_code: code, error_message: message, error_detail: detail,
        items: job.items.map((i) => (i.status === 'succeeded' ? i : { ...i, status: 'failed', errorCode: code })),
      }, { code, message, ...detail });
      return job.connection_id;
    });
    if (connectionId) await this.wakeWaiting(tenantId, connectionId);
  }

  /** Puts a job on its connection's poll schedule (attempt 0: soon) and makes sure a tick is coming. */
  async schedulePoll(tenantId: string, jobId: string, attempt: number, hintMs?: number): Promise<void> {
    const connectionId = await this.setNextPoll(tenantId, jobId, attempt, hintMs);
    await this.scheduleTick(tenantId, connectionId, nextPollDelay(attempt, hintMs));
  }

  private setNextPoll(tenantId: string, jobId: string, attempt: number, hintMs?: number): Promise<string> {
    return this.db.run(tenantId, (tx) => this.setNextPollTx(tx, jobId, attempt, hintMs));
  }

  private async setNextPollTx(tx: TenantTx, jobId: string, attempt: number, hintMs?: number): Promise<string> {
    const [rows] = await tx.query(
      'UPDATE restore_jobs SET next_poll_at = now() + make_interval(secs => $2), poll_attempt = $3 WHERE id = $1 RETURNING connection_id',
      [jobId, nextPollDelay(attempt, hintMs) / 1000, attempt]);
    return rows[0].connection_id;
  }

  /** The next tick of a connection: at the earliest due job (or at once when a full batch was due). */
  private async scheduleNextTick(tenantId: string, connectionId: string, more: boolean): Promise<void> {
    const [{ next }] = await this.db.run(tenantId, (tx) => tx.query(
      `SELECT min(next_poll_at) AS next FROM restore_jobs WHERE connection_id = $1 AND status IN ${ACTIVE}`, [connectionId]));
    if (!next) return;
    const pause = (await this.throttle.pausedUntil(connectionId)) ?? 0;
    await this.scheduleTick(tenantId, connectionId, Math.max(more ? 0 : new Date(next).getTime() - Date.now(), pause - Date.now(), 0));
  }

  /**
   * One queue job per connection per tick second (the job id dedups). A tick never reuses the id of the
   * second it runs in, so a tick can always schedule its successor.
   */
  private async scheduleTick(tenantId: string, connectionId: string, delayMs: number): Promise<void> {
    const now = Date.now();
    const slot = Math.max(Math.ceil((now + delayMs) / POLL_TICK_MS), Math.floor(now / POLL_TICK_MS) + 1);
    await this.queue.add('restore-job.poll', { tenantId, connectionId }, {
      jobId: `restore-job.poll_${connectionId}_${slot}`, delay: slot * POLL_TICK_MS - now, removeOnComplete: true, removeOnFail: { count: 1000 },
    });
  }

  /**
   * A slot freed on a gated connection: the oldest waiting jobs get it at once (their delayed submit
   * jobs are promoted) instead of waiting for their next periodic check.
   */
  async wakeWaiting(tenantId: string, connectionId: string): Promise<number> {
    const [conn] = await this.db.run(tenantId, (tx) => tx.query('SELECT vendor FROM connections WHERE id = $1', [connectionId]));
    const limit = conn && vendorDescriptor(conn.vendor as VendorId).capabilities.limits.concurrentRestoreJobs;
    if (!limit) return 0;
    const waiting: Array<{ id: string }> = await this.db.run(tenantId, (tx) => tx.query(
      `SELECT id FROM restore_jobs WHERE connection_id = $1 AND status = 'queued' ORDER BY id
        LIMIT GREATEST(0, $2 - (SELECT count(*) FROM restore_jobs WHERE connection_id = $1 AND status IN ${ACTIVE}))`,
      [connectionId, limit]));
    let woken = 0;
    for (const w of waiting) {
      const job = await this.queue.getJob(`restore-job.submit_${w.id}`);
      if (job && (await job.isDelayed())) {
        await job.promote().catch(() => undefined);
        woken++;
      }
    }
    return woken;
  }

  /** Concurrency gate per connection: at most the vendor's documented number of restores running. */
  private async admit(tenantId: string, job: RestoreJobRow): Promise<boolean> {
    const limit = vendorDescriptor(job.vendor as VendorId).capabilities.limits.concurrentRestoreJobs;
    return this.db.run(tenantId, async (tx) => {
      const j = await loadRestoreJob(tx, job.id, true);
      if (j.status !== 'queued') return true;
      if (limit) {
        // Serialize admissions per connection so two workers cannot both take the last slot.
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [j.connection_id]);
        const [{ n }] = await tx.query(`SELECT count(*)::int AS n FROM restore_jobs WHERE connection_id = $1 AND status IN ('submitting', 'running', 'cancelling') AND id <> $2`, [j.connection_id, j.id]);
        if (n >= limit) {
          const reason = `waiting for a vendor slot: ${j.vendor} allows ${limit} restores at once on this connection (${n} running)`;
          if (j.status_reason !== reason) await tx.query('UPDATE restore_jobs SET status_reason = $2, updated_at = now() WHERE id = $1', [j.id, reason]);
          return false;
        }
      }
      await updateRestoreJob(tx, j, 'submitting', { submit_phase: 'preparing', status_reason: null }, { reason: 'picked up by worker' });
      return true;
    });
  }

  /**
   * Records a submission phase, unless the job was cancelled meanwhile (cancel requested or already
   * ended): then it returns null and the submission stops before its next vendor call.
   */
  private async checkpoint(tenantId: string, jobId: string, phase: string, ref: VendorOperationRef, event: string): Promise<RestoreJobRow | null> {
    return this.db.run(tenantId, async (tx) => {
      const job = await loadRestoreJob(tx, jobId, true);
      if (isTerminal(job.status) || job.cancel_requested) return null;
      const updated = await updateRestoreJob(tx, job, job.status, { submit_phase: phase, vendor_ref: ref.vendorRef || null, vendor_extra: ref.extra ?? null });
      await recordRestoreJobEvent(tx, jobId, event, job.status, job.status, { vendorRef: ref.vendorRef || null });
      return updated;
    });
  }

  /**
   * A cancel won the race with the submission: whatever the vendor prepared (a Graph draft session) is
   * discarded, and the job ends cancelled without ever being started at the vendor.
   */
  private async discard(tenantId: string, jobId: string, adapter: BackupVendorPort, ref: VendorOperationRef): Promise<'done'> {
    let detail: Record<string, unknown> = { vendorRef: ref.vendorRef || null };
    if (ref.vendorRef) {
      try {
        detail = { ...detail, vendorStatus: (await adapter.cancelRestore({}, ref)).vendorStatus };
      } catch (e) {
        detail = { ...detail, discardError: isVendorError(e) ? e.code : 'INTERNAL', message: (e as Error).message };
      }
    }
    await this.db.run(tenantId, async (tx) => {
      const job = await loadRestoreJob(tx, jobId, true);
      await recordRestoreJobEvent(tx, jobId, 'vendor_prepared_discarded', job.status, job.status, detail);
      if (!isTerminal(job.status)) {
        await updateRestoreJob(tx, job, 'cancelled', { items: job.items.map((i) => ({ ...i, status: 'cancelled' })) }, { reason: 'cancelled before the vendor started it' });
      }
    });
    return 'done';
  }

  private async started(tenantId: string, jobId: string, ref: VendorOperationRef, progress: RestoreProgress, note: string): Promise<'done'> {
    await this.db.run(tenantId, async (tx) => {
      const job = await loadRestoreJob(tx, jobId, true);
      const patched = await updateRestoreJob(tx, job, job.status, { submit_phase: 'started', vendor_ref: ref.vendorRef || null, vendor_extra: ref.extra ?? null });
      await recordRestoreJobEvent(tx, jobId, 'vendor_started', job.status, job.status, { vendorRef: ref.vendorRef, vendorStatus: progress.vendorStatus, note });
      await this.applyProgressTx(tx, patched, progress);
    });
    const after = await this.reload(tenantId, jobId);
    if (!isTerminal(after.status)) await this.schedulePoll(tenantId, jobId, 0, progress.retryAfterMs);
    else await this.wakeWaiting(tenantId, after.connection_id);
    return 'done';
  }

  private async applyProgress(tenantId: string, jobId: string, progress: RestoreProgress): Promise<RestoreJobRow> {
    return this.db.run(tenantId, async (tx) => this.applyProgressTx(tx, await loadRestoreJob(tx, jobId, true), progress));
  }

  private async applyProgressTx(tx: TenantTx, job: RestoreJobRow, progress: RestoreProgress): Promise<RestoreJobRow> {
    if (isTerminal(job.status)) return job;
    const items = mergeItems(job.items, progress, itemStatusFor(progress.state));
    let to: RestoreJobStatus = job.status;
    if (progress.state === 'running' || progress.state === 'pending') to = job.status === 'submitting' ? 'running' : job.status;
    else if (progress.state === 'cancelled') to = 'cancelled';
    else if (progress.state === 'failed') to = 'failed';
    else to = progress.items?.length ? aggregateItemStatuses(items) : progress.state;
    const changed = to !== job.status || progress.vendorStatus !== job.vendor_status || JSON.stringify(items) !== JSON.stringify(job.items);
    if (!changed) return job;
    const error = to === 'failed' ? progress.error ?? { code: 'RESTORE_FAILED', message: 'The vendor reported the restore failed.' } : undefined;
    return updateRestoreJob(tx, job, to, {
      items, vendor_status: progress.vendorStatus,
      ...(error ? { error_code: error.code, error_message: error.message, error_detail: { vendorCode: error.vendorCode ?? null } } : {}),
      ...(to !== job.status && to === 'running' ? { status_reason: null } : {}),
    }, { vendorStatus: progress.vendorStatus });
  }

  private async cancelUnsubmitted(tenantId: string, job: RestoreJobRow): Promise<'done'> {
    await this.db.run(tenantId, async (tx) => {
      const j = await loadRestoreJob(tx, job.id, true);
      if (!isTerminal(j.status)) await updateRestoreJob(tx, j, 'cancelled', { items: j.items.map((i) => ({ ...i, status: 'cancelled' })) }, { reason: 'cancelled before reaching the vendor' });
    });
    return 'done';
  }

  private async load(tenantId: string, jobId: string): Promise<{ job: RestoreJobRow; adapter: BackupVendorPort }> {
    return this.db.run(tenantId, async (tx) => {
      const job = await loadRestoreJob(tx, jobId);
      const { adapter } = await this.adapters.forConnection(tx, job.connection_id);
      return { job, adapter };
    });
  }

  async connectionOf(tenantId: string, jobId: string): Promise<string> {
    return (await this.reload(tenantId, jobId)).connection_id;
  }

  private reload(tenantId: string, jobId: string): Promise<RestoreJobRow> {
    return this.db.run(tenantId, (tx) => loadRestoreJob(tx, jobId));
  }
}
