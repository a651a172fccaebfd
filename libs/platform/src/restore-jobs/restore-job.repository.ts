import {
  ACTIVE_RESTORE_STATUSES,
  NotFound,
  UNFINISHED_RESTORE_STATUSES,
  assertTransition,
  isTerminal,
  type RestoreDestination,
  type RestoreJob,
  type RestoreJobError,
  type RestoreJobEvent,
  type RestoreJobItem,
  type RestoreJobStatus,
  type SubmitPhase,
  type VendorId,
  type Workload,
} from '@bg/domain';
import { toDate as date, toDateOrNull as dateOrNull } from '../database/dates';
import { rowsOf } from '../database/rows';
import { outboxInsertCtes, outboxParams, type OutboxMessage } from '../outbox/outbox';
import { isUuid, type SqlTx, type TenantDb, type TenantTx } from '../tenancy/tenant-db';

/** A restore_jobs row as Postgres returns it (timestamps may also be ISO strings, in event snapshots). */
export interface RestoreJobRow {
  id: string;
  tenant_id: string;
  connection_id: string;
  vendor: string;
  workload: string;
  destination: string;
  target: Record<string, string> | null;
  status: RestoreJobStatus;
  status_reason: string | null;
  items: RestoreJobItem[];
  vendor_ref: string | null;
  vendor_extra: Record<string, string> | null;
  vendor_status: string | null;
  submit_phase: string;
  error_code: string | null;
  error_message: string | null;
  error_detail: Record<string, unknown> | null;
  cancel_requested: boolean;
  created_at: Date | string;
  updated_at: Date | string;
  completed_at: Date | string | null;
  deadline_at: Date | string;
  next_poll_at: Date | string | null;
  poll_attempt: number;
}

interface RestoreJobEventRow {
  id: string;
  restore_job_id: string;
  type: string;
  from_status: RestoreJobStatus | null;
  to_status: RestoreJobStatus | null;
  detail: Record<string, unknown>;
  created_at: Date | string;
}

export function restoreJobFromRow(r: RestoreJobRow): RestoreJob {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    connectionId: r.connection_id,
    vendor: r.vendor as VendorId,
    workload: r.workload as Workload,
    destination: r.destination as RestoreDestination,
    target: r.target,
    status: r.status,
    statusReason: r.status_reason,
    items: r.items,
    vendorRef: r.vendor_ref,
    vendorExtra: r.vendor_extra,
    vendorStatus: r.vendor_status,
    submitPhase: r.submit_phase as SubmitPhase,
    error: r.error_code ? { code: r.error_code, message: r.error_message, detail: r.error_detail } : null,
    cancelRequested: r.cancel_requested,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    completedAt: dateOrNull(r.completed_at),
    deadlineAt: date(r.deadline_at),
    nextPollAt: dateOrNull(r.next_poll_at),
    pollAttempt: r.poll_attempt ?? 0,
  };
}

function eventFromRow(r: RestoreJobEventRow): RestoreJobEvent {
  return {
    id: String(r.id),
    restoreJobId: r.restore_job_id,
    type: r.type,
    fromStatus: r.from_status,
    toStatus: r.to_status,
    detail: r.detail,
    createdAt: date(r.created_at),
  };
}

/** A restore point resolved for a new job: our ids, the vendor's refs, and its item's workload and vendor. */
export interface RestorePointForJob {
  id: string;
  connectionId: string;
  protectedItemId: string;
  vendorRef: string;
  pointInTime: Date;
  externalId: string;
  itemVendorRef: string;
  workload: Workload;
  vendor: VendorId;
}

export interface NewRestoreJob {
  id: string;
  connectionId: string;
  vendor: VendorId;
  workload: Workload;
  destination: RestoreDestination;
  target: Record<string, string> | null;
  items: RestoreJobItem[];
  deadlineMinutes: number;
}

/** What a transition may change besides the status (camelCase; absent = unchanged). */
export interface RestoreJobPatch {
  statusReason?: string | null;
  items?: RestoreJobItem[];
  vendorRef?: string | null;
  vendorExtra?: Record<string, string> | null;
  vendorStatus?: string | null;
  submitPhase?: SubmitPhase;
  error?: RestoreJobError | null;
  cancelRequested?: boolean;
  /** Put the job on its connection's poll schedule: next poll after delayMs, as poll attempt `attempt`. */
  nextPoll?: { delayMs: number; attempt: number };
  /** false: updated_at stays (only the poll schedule changed); by default a change sets it. */
  touch?: boolean;
}

/** An unfinished job the reconciler should look at. */
export interface StalledRestoreJob {
  id: string;
  tenantId: string;
  status: RestoreJobStatus;
  expired: boolean;
}

/** A history entry recorded with a change (at the job's status before the change). */
export interface HistoryEntry {
  type: string;
  detail: Record<string, unknown>;
}

const TRANSITION = 'SELECT * FROM bg_restore_job_transition($1, $2, $3, $4, $5)';

/** What a worker's pick-up changes (the first move of a submission). */
export const PICKED = {
  patch: { submitPhase: 'preparing', statusReason: null },
  detail: { reason: 'picked up by worker' },
} as const satisfies {
  patch: RestoreJobPatch;
  detail: Record<string, unknown>;
};

/**
 * A change of a job as bg_restore_job_transition takes it: the columns to set (JSON keyed by column;
 * absent = unchanged) and the history entries (JSON, in order). Moving to another status checks the
 * state machine and adds the `status_changed` entry after `entries`.
 */
function changeOf(
  from: RestoreJobStatus,
  to: RestoreJobStatus,
  patch: RestoreJobPatch,
  detail: Record<string, unknown> = {},
  entries: HistoryEntry[] = [],
): [set: string, history: string] {
  const moving = to !== from;
  if (moving) assertTransition(from, to);
  const set: Record<string, unknown> = {
    status: to,
    status_reason: patch.statusReason,
    items: patch.items,
    vendor_ref: patch.vendorRef,
    vendor_extra: patch.vendorExtra,
    vendor_status: patch.vendorStatus,
    submit_phase: patch.submitPhase,
    cancel_requested: patch.cancelRequested,
    ...(patch.error !== undefined
      ? { error_code: patch.error?.code ?? null, error_message: patch.error?.message ?? null, error_detail: patch.error?.detail ?? null }
      : {}),
    ...(patch.nextPoll ? { next_poll_secs: patch.nextPoll.delayMs / 1000, poll_attempt: patch.nextPoll.attempt } : {}),
    ...(moving && isTerminal(to) ? { completed: true } : {}),
    touch: patch.touch,
  };
  const history = [
    ...entries.map((e) => ({ type: e.type, from_status: from, to_status: from, detail: e.detail })),
    ...(moving ? [{ type: 'status_changed', from_status: from, to_status: to, detail }] : []),
  ];
  // JSON.stringify leaves out undefined values: those columns stay as they are.
  return [JSON.stringify(set), JSON.stringify(history)];
}

const ACTIVE = `(${ACTIVE_RESTORE_STATUSES.map((s) => `'${s}'`).join(', ')})`;
const UNFINISHED = `(${UNFINISHED_RESTORE_STATUSES.map((s) => `'${s}'`).join(', ')})`;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
/** BullMQ's lowest priority (2^21 - 1). */
const MAX_PRIORITY = 2 ** 21 - 1;

/**
 * The one writer of restore_jobs and restore_job_events: every statement on them is here. Methods take
 * the caller's tenant transaction (TenantDb.run), so row-level security confines them to one tenant;
 * the system-wide scans (reconciler, fair ranks) take the owner's EntityManager and say so.
 */
export class RestoreJobRepository {
  /** Stores a new job (queued), its `created` history entry and its outbox message: one statement. */
  async insert(tx: TenantTx, job: NewRestoreJob, outbox: OutboxMessage): Promise<RestoreJob> {
    const [row]: RestoreJobRow[] = await tx.query(
      `WITH job AS (
         INSERT INTO restore_jobs (id, tenant_id, connection_id, vendor, workload, destination, target, status, items, deadline_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, now() + make_interval(mins => $9)) RETURNING *),
       created AS (INSERT INTO restore_job_events (tenant_id, restore_job_id, type, from_status, to_status, detail)
         SELECT $2, job.id, 'created', NULL, 'queued', $10::jsonb FROM job),
       ${outboxInsertCtes(2, 11)}
       SELECT job.* FROM job, outbox_wake`,
      [
        job.id,
        tx.tenantId,
        job.connectionId,
        job.vendor,
        job.workload,
        job.destination,
        job.target ? JSON.stringify(job.target) : null,
        JSON.stringify(job.items),
        job.deadlineMinutes,
        JSON.stringify({ items: job.items.length, destination: job.destination }),
        ...outboxParams(outbox),
      ],
    );
    return restoreJobFromRow(row);
  }

  /** The restore points a new job names (those of deleted connections excluded), in no particular order. */
  async pointsForRestore(tx: TenantTx, ids: string[]): Promise<RestorePointForJob[]> {
    const rows: Array<{
      id: string;
      connection_id: string;
      protected_item_id: string;
      vendor_ref: string;
      point_in_time: Date;
      external_id: string;
      item_vendor_ref: string;
      workload: Workload;
      vendor: VendorId;
    }> = await tx.query(
      `SELECT rp.id, rp.connection_id, rp.protected_item_id, rp.vendor_ref, rp.point_in_time, i.external_id, i.vendor_ref AS item_vendor_ref,
              p.workload, c.vendor
         FROM restore_points rp JOIN protected_items i ON i.id = rp.protected_item_id
         JOIN policies p ON p.id = i.policy_id JOIN connections c ON c.id = rp.connection_id AND c.deleted_at IS NULL
        WHERE rp.id = ANY($1)`,
      [ids],
    );
    return rows.map((r) => ({
      id: r.id,
      connectionId: r.connection_id,
      protectedItemId: r.protected_item_id,
      vendorRef: r.vendor_ref,
      pointInTime: date(r.point_in_time),
      externalId: r.external_id,
      itemVendorRef: r.item_vendor_ref,
      workload: r.workload,
      vendor: r.vendor,
    }));
  }

  async get(tx: TenantTx, id: string, opts: { forUpdate?: boolean } = {}): Promise<RestoreJob> {
    if (!isUuid(id)) throw new NotFound('restore job', id);
    const rows: RestoreJobRow[] = await tx.query(`SELECT * FROM restore_jobs WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    if (!rows[0]) throw new NotFound('restore job', id);
    return restoreJobFromRow(rows[0]);
  }

  /**
   * Hot read path: one statement, one round trip. bg_restore_job_get (SECURITY INVOKER) sets
   * app.tenant_id for its own implicit transaction and reads under row-level security.
   */
  async findForRead(db: TenantDb, tenantId: string, id: string): Promise<RestoreJob> {
    if (!isUuid(id)) throw new NotFound('restore job', id);
    const [row] = await db.statement<RestoreJobRow>(tenantId, 'bg_restore_job_get', 'SELECT * FROM bg_restore_job_get($1, $2)', [
      tenantId,
      id,
    ]);
    if (!row) throw new NotFound('restore job', id);
    return restoreJobFromRow(row);
  }

  /** A page in id order after `after` (limit + 1 rows, so the caller can tell whether more follow); one round trip. */
  async listForRead(
    db: TenantDb,
    tenantId: string,
    after: string | undefined,
    limit: number,
    status?: RestoreJobStatus,
  ): Promise<RestoreJob[]> {
    const rows = await db.statement<RestoreJobRow>(tenantId, 'bg_restore_job_list', 'SELECT * FROM bg_restore_job_list($1, $2, $3, $4)', [
      tenantId,
      after ?? NIL_UUID,
      limit + 1,
      status ?? null,
    ]);
    return rows.map(restoreJobFromRow);
  }

  /** The job's history, oldest first: `limit` entries after the entry `after` (undefined: from the first). NotFound without the job. */
  async events(tx: TenantTx, id: string, after?: string, limit = 1000): Promise<RestoreJobEvent[]> {
    await this.get(tx, id);
    const rows: RestoreJobEventRow[] = await tx.query(
      `SELECT id, restore_job_id, type, from_status, to_status, detail, created_at FROM restore_job_events
        WHERE restore_job_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [id, after ?? '0', limit],
    );
    return rows.map(eventFromRow);
  }

  async recordEvent(
    tx: TenantTx,
    jobId: string,
    type: string,
    from: RestoreJobStatus | null,
    to: RestoreJobStatus | null,
    detail: Record<string, unknown> = {},
  ): Promise<void> {
    await this.recordEvents(tx, jobId, from, to, [{ type, detail }]);
  }

  /** Several history entries of one job at one status, in order, in one statement. */
  async recordEvents(
    tx: TenantTx,
    jobId: string,
    from: RestoreJobStatus | null,
    to: RestoreJobStatus | null,
    entries: Array<{ type: string; detail: Record<string, unknown> }>,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO restore_job_events (tenant_id, restore_job_id, type, from_status, to_status, detail)
       SELECT $1, $2, e.type, $3, $4, e.detail FROM unnest($5::text[], $6::jsonb[]) WITH ORDINALITY AS e(type, detail, n) ORDER BY e.n`,
      [tx.tenantId, jobId, from, to, entries.map((e) => e.type), entries.map((e) => JSON.stringify(e.detail))],
    );
  }

  /**
   * Updates a job's columns and, when `to` differs from its status, checks the state machine, moves it
   * and records a `status_changed` history entry — in the caller's transaction, as one statement.
   * `entries` are further history entries recorded by the same statement, before the status change
   * (at the job's current status), e.g. `vendor_started`.
   */
  async update(
    tx: TenantTx,
    job: RestoreJob,
    to: RestoreJobStatus,
    patch: RestoreJobPatch = {},
    detail: Record<string, unknown> = {},
    entries: HistoryEntry[] = [],
  ): Promise<RestoreJob> {
    const [row]: RestoreJobRow[] = await tx.query(TRANSITION, [
      tx.tenantId,
      job.id,
      '{}',
      ...changeOf(job.status, to, patch, detail, entries),
    ]);
    return restoreJobFromRow(row);
  }

  /**
   * The same change as `update`, lock-free and on its own: one statement, one round trip, its own
   * transaction. Applied only while the row still has the `expect`ed values of `job` (an optimistic
   * guard: UPDATE re-checks them on the latest row version); null when it had changed (a cancel, another
   * poll) — the caller then takes the locking path (get forUpdate + update).
   */
  async updateIfUnchanged(
    db: TenantDb,
    job: RestoreJob,
    expect: ReadonlyArray<'status' | 'submitPhase' | 'cancelRequested' | 'pollAttempt'>,
    to: RestoreJobStatus,
    patch: RestoreJobPatch = {},
    detail: Record<string, unknown> = {},
    entries: HistoryEntry[] = [],
  ): Promise<RestoreJob | null> {
    const guard = {
      ...(expect.includes('status') ? { status: job.status } : {}),
      ...(expect.includes('submitPhase') ? { submit_phase: job.submitPhase } : {}),
      ...(expect.includes('cancelRequested') ? { cancel_requested: job.cancelRequested } : {}),
      ...(expect.includes('pollAttempt') ? { poll_attempt: job.pollAttempt } : {}),
    };
    const [row] = await db.statement<RestoreJobRow>(job.tenantId, 'bg_restore_job_transition', TRANSITION, [
      job.tenantId,
      job.id,
      JSON.stringify(guard),
      ...changeOf(job.status, to, patch, detail, entries),
    ]);
    return row ? restoreJobFromRow(row) : null;
  }

  /**
   * A worker's first step on a job of a vendor without admission gate, lock-free in one round trip: moves
   * it queued -> submitting (phase `preparing`) while it is queued and no cancel was asked, and returns
   * it with its connection's credentials version and endpoint (the adapter cache's key). Null when the job
   * was not queued or a cancel was asked: the caller takes the locking path.
   */
  async pickQueued(
    db: TenantDb,
    tenantId: string,
    id: string,
  ): Promise<{ job: RestoreJob; connection: { credentialsVersion: number; endpoint: string } } | null> {
    const [set, history] = changeOf('queued', 'submitting', PICKED.patch, PICKED.detail);
    const [row] = await db.statement<{ job: RestoreJobRow; credentials_version: number; endpoint: string }>(
      tenantId,
      'bg_restore_job_pick',
      'SELECT * FROM bg_restore_job_pick($1, $2, $3, $4)',
      [tenantId, id, set, history],
    );
    return row
      ? { job: restoreJobFromRow(row.job), connection: { credentialsVersion: row.credentials_version, endpoint: row.endpoint } }
      : null;
  }

  /** Changes only why the job waits (no status change, no history entry). */
  async setStatusReason(tx: TenantTx, id: string, reason: string): Promise<void> {
    await tx.query('UPDATE restore_jobs SET status_reason = $2, updated_at = now() WHERE id = $1', [id, reason]);
  }

  /** The next poll of a job after delayMs (its connection's tick picks it up then). Returns the job's connection. */
  async setNextPoll(tx: TenantTx, id: string, delayMs: number, attempt: number): Promise<string> {
    const rows = rowsOf<{ connection_id: string }>(
      await tx.query(
        'UPDATE restore_jobs SET next_poll_at = now() + make_interval(secs => $2), poll_attempt = $3 WHERE id = $1 RETURNING connection_id',
        [id, delayMs / 1000, attempt],
      ),
    );
    if (!rows[0]) throw new NotFound('restore job', id);
    return rows[0].connection_id;
  }

  /** Active jobs of a connection whose poll is due, soonest first. */
  async dueForPoll(tx: TenantTx, connectionId: string, limit: number): Promise<RestoreJob[]> {
    const rows: RestoreJobRow[] = await tx.query(
      `SELECT * FROM restore_jobs WHERE connection_id = $1 AND status IN ${ACTIVE} AND next_poll_at <= now() ORDER BY next_poll_at LIMIT $2`,
      [connectionId, limit],
    );
    return rows.map(restoreJobFromRow);
  }

  /** When the earliest active job of a connection is due (null: none is active). */
  async earliestPoll(tx: TenantTx, connectionId: string): Promise<Date | null> {
    const [{ next }]: Array<{ next: Date | null }> = await tx.query(
      `SELECT min(next_poll_at) AS next FROM restore_jobs WHERE connection_id = $1 AND status IN ${ACTIVE}`,
      [connectionId],
    );
    return next ? date(next) : null;
  }

  /** Serializes admissions of one connection until the transaction ends, so two workers cannot take the same last slot. */
  async lockAdmissions(tx: TenantTx, connectionId: string): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [connectionId]);
  }

  /**
   * What holds the vendor's slots of a connection, not counting `exceptId`: how many jobs are active, and
   * the oldest active job restoring one of `protectedItemIds` (null: none). One scan of the connection's
   * active jobs (a partial index).
   */
  async activeOn(
    tx: TenantTx,
    connectionId: string,
    exceptId: string,
    protectedItemIds: string[] = [],
  ): Promise<{ active: number; sameItem: string | null; unrecorded: string | null }> {
    const [r]: Array<{ active: number; same_item: string | null; unrecorded: string | null }> = await tx.query(
      `SELECT count(*)::int AS active,
              (array_agg(id ORDER BY id) FILTER (WHERE EXISTS (
                 SELECT 1 FROM jsonb_array_elements(items) AS i WHERE i->>'protectedItemId' = ANY($3::text[]))))[1] AS same_item,
              (array_agg(id ORDER BY id) FILTER (WHERE status <> 'running' AND vendor_ref IS NULL))[1] AS unrecorded
         FROM restore_jobs WHERE connection_id = $1 AND status IN ${ACTIVE} AND id <> $2`,
      [connectionId, exceptId, protectedItemIds],
    );
    return { active: r.active, sameItem: r.same_item, unrecorded: r.unrecorded };
  }

  /**
   * Which of `vendorIds` other jobs of the connection hold, as their vendor ref or among the vendor ids
   * their vendor_extra records (reconciliation after a crash: a vendor operation another job recorded is
   * not this job's). Only jobs still active, or ended since `since`, can hold an operation created since
   * then: the connection's active jobs (partial index) and those completed since (completed_at index).
   */
  async vendorIdsHeld(
    tx: TenantTx,
    connectionId: string,
    exceptId: string,
    vendorIds: string[],
    since: Date,
  ): Promise<ReadonlySet<string>> {
    if (!vendorIds.length) return new Set();
    const rows: Array<{ ref: string }> = await tx.query(
      `SELECT r.ref FROM unnest($3::text[]) AS r(ref)
        WHERE EXISTS (
          SELECT 1 FROM restore_jobs j
           WHERE j.connection_id = $1 AND j.id <> $2
             AND (j.status IN ${ACTIVE} OR j.completed_at >= $4)
             AND (j.vendor_ref = r.ref OR strpos(coalesce(j.vendor_extra::text, ''), r.ref) > 0))`,
      [connectionId, exceptId, vendorIds, since],
    );
    return new Set(rows.map((r) => r.ref));
  }

  /** The oldest queued jobs of a connection that the free vendor slots can take now. */
  async waitingForSlot(tx: TenantTx, connectionId: string, slots: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await tx.query(
      `SELECT id FROM restore_jobs WHERE connection_id = $1 AND status = 'queued' ORDER BY id
        LIMIT GREATEST(0, $2 - (SELECT count(*) FROM restore_jobs WHERE connection_id = $1 AND status IN ${ACTIVE}))`,
      [connectionId, slots],
    );
    return rows.map((r) => r.id);
  }

  /**
   * System-wide (owner connection): unfinished jobs past their deadline, or that made no progress for
   * staleMs (a running job: no poll on time).
   */
  async stalled(system: SqlTx, staleMs: number, limit = 1000): Promise<StalledRestoreJob[]> {
    const rows: Array<{ id: string; tenant_id: string; status: RestoreJobStatus; expired: boolean }> = await system.query(
      `SELECT id, tenant_id, status, deadline_at < now() AS expired FROM restore_jobs
        WHERE status IN ${UNFINISHED}
          AND (deadline_at < now()
            OR CASE WHEN status IN ('running', 'cancelling') THEN coalesce(next_poll_at, updated_at) ELSE updated_at END < now() - make_interval(secs => $1))
        ORDER BY updated_at LIMIT $2`,
      [staleMs / 1000, limit],
    );
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, status: r.status, expired: r.expired }));
  }

  /**
   * System-wide (owner connection): each job's rank among its tenant's queued jobs (1 = the tenant's
   * oldest), capped at BullMQ's lowest priority. Jobs no longer queued are absent.
   */
  async fairRanks(system: SqlTx, jobs: Array<{ tenantId: string; restoreJobId: string }>): Promise<Map<string, number>> {
    if (!jobs.length) return new Map();
    const tenants = [...new Set(jobs.map((j) => j.tenantId))];
    const ranked: Array<{ id: string; rank: string }> = await system.query(
      `SELECT id, rank FROM (SELECT id, row_number() OVER (PARTITION BY tenant_id ORDER BY id) AS rank FROM restore_jobs
         WHERE status = 'queued' AND tenant_id = ANY($1::uuid[])) q WHERE id = ANY($2::uuid[])`,
      [tenants, jobs.map((j) => j.restoreJobId)],
    );
    return new Map(ranked.map((r) => [r.id, Math.min(Number(r.rank), MAX_PRIORITY)]));
  }

  /** Offboarding: the tenant's jobs not yet terminal, locked until the transaction ends. */
  async activeOfTenant(tx: TenantTx): Promise<RestoreJob[]> {
    const rows: RestoreJobRow[] = await tx.query(
      `SELECT * FROM restore_jobs WHERE tenant_id = $1 AND status IN ('queued', 'submitting', 'running', 'cancelling') ORDER BY id FOR UPDATE`,
      [tx.tenantId],
    );
    return rows.map(restoreJobFromRow);
  }
}

export const restoreJobRepository = new RestoreJobRepository();
