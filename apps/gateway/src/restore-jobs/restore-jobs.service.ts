import { Inject, Injectable } from '@nestjs/common';
import { DomainError, LimitExceeded, NotAllowedInState, NotFound, isTerminal, newId } from '@bg/domain';
import {
  APP_CONFIG, TenantDb, isUuid, loadRestoreJob, recordRestoreJobEvent, updateRestoreJob, writeOutbox,
  type AppConfig, type RestoreJobItemRecord, type RestoreJobRow, type TenantTx,
} from '@bg/platform';
import { assertVendorRestoresTo, assertVendorSupports, vendorLimits } from '../common/vendor-rules';
import type { CreateRestoreJob } from './restore-jobs.dto';

interface PointForJob {
  id: string; connection_id: string; protected_item_id: string; vendor_ref: string; point_in_time: Date;
  external_id: string; item_vendor_ref: string; workload: string; vendor: string;
}

@Injectable()
export class RestoreJobsService {
  constructor(private readonly db: TenantDb, @Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Validates against the vendor's limits, stores the job (queued) + its first event + the outbox row. */
  async create(tenantId: string, body: CreateRestoreJob): Promise<RestoreJobRow> {
    return this.db.run(tenantId, async (tx) => {
      const points = await this.loadPoints(tx, body.items.map((i) => i.restorePointId));
      const connectionIds = new Set(points.map((p) => p.connection_id));
      if (connectionIds.size > 1) throw new DomainError('INVALID_REQUEST', 'All restore points of one job must belong to the same connection.');
      const workloads = new Set(points.map((p) => p.workload));
      if (workloads.size > 1) throw new DomainError('INVALID_REQUEST', 'All restore points of one job must belong to the same workload.');
      const vendor = points[0].vendor;
      assertVendorSupports(vendor, 'restoreJob.create');
      assertVendorRestoresTo(vendor, body.destination);
      this.checkLimits(vendor, body);
      const byId = new Map(points.map((p) => [p.id, p]));
      const items: RestoreJobItemRecord[] = body.items.map((i) => {
        const p = byId.get(i.restorePointId)!;
        return {
          restorePointId: p.id, protectedItemId: p.protected_item_id, externalId: p.external_id, restorePointRef: p.vendor_ref,
          protectedItemRef: p.item_vendor_ref, pointInTime: new Date(p.point_in_time).toISOString(), paths: i.paths, status: 'pending',
        };
      });
      const id = newId();
      const [row]: RestoreJobRow[] = await tx.query(
        `INSERT INTO restore_jobs (id, tenant_id, connection_id, vendor, workload, destination, target, status, items, deadline_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, now() + make_interval(mins => $9)) RETURNING *`,
        [id, tenantId, points[0].connection_id, vendor, points[0].workload, body.destination, body.target ? JSON.stringify(body.target) : null,
          JSON.stringify(items), this.config.RESTORE_JOB_DEADLINE_MINUTES],
      );
      await recordRestoreJobEvent(tx, id, 'created', null, 'queued', { items: items.length, destination: body.destination });
      await writeOutbox(tx, tenantId, 'restore-job.submit', { tenantId, restoreJobId: id }, { jobId: `restore-job.submit_${id}` });
      return row;
    });
  }

  async cancel(tenantId: string, id: string): Promise<RestoreJobRow> {
    return this.db.run(tenantId, async (tx) => {
      const job = await loadRestoreJob(tx, id, true);
      if (isTerminal(job.status)) throw new NotAllowedInState('restore job', job.status, 'cancel');
      if (job.cancel_requested) return job;
      if (job.status === 'queued') {
        return updateRestoreJob(tx, job, 'cancelled', { cancel_requested: true, status_reason: 'cancelled before submission' }, { reason: 'cancel requested while queued' });
      }
      const updated = await updateRestoreJob(tx, job, 'cancelling', { cancel_requested: true, status_reason: 'cancel requested' }, { reason: 'cancel requested' });
      await writeOutbox(tx, tenantId, 'restore-job.cancel', { tenantId, restoreJobId: id }, { jobId: `restore-job.cancel_${id}` });
      return updated;
    });
  }

  /** Hot read path: one indexed query in a lean tenant transaction (TenantDb.read). */
  async get(tenantId: string, id: string): Promise<RestoreJobRow> {
    if (!isUuid(id)) throw new NotFound('restore job', id);
    const [row] = await this.db.read<RestoreJobRow>(tenantId, 'SELECT * FROM restore_jobs WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    if (!row) throw new NotFound('restore job', id);
    return row;
  }

  list(tenantId: string, after: string | undefined, limit: number, status?: string): Promise<RestoreJobRow[]> {
    return this.db.read<RestoreJobRow>(tenantId,
      `SELECT * FROM restore_jobs WHERE tenant_id = $1 AND id > $2 AND ($4::text IS NULL OR status = $4) ORDER BY id LIMIT $3`,
      [tenantId, after ?? '00000000-0000-0000-0000-000000000000', limit + 1, status ?? null]);
  }

  async events(tenantId: string, id: string) {
    return this.db.run(tenantId, async (tx) => {
      await loadRestoreJob(tx, id);
      return tx.query('SELECT id, type, from_status, to_status, detail, created_at FROM restore_job_events WHERE restore_job_id = $1 ORDER BY id', [id]);
    });
  }

  private async loadPoints(tx: TenantTx, ids: string[]): Promise<PointForJob[]> {
    const unique = [...new Set(ids)];
    if (unique.length !== ids.length) throw new DomainError('INVALID_REQUEST', 'A restore point appears more than once in items.');
    const rows = await tx.query(
      `SELECT rp.id, rp.connection_id, rp.protected_item_id, rp.vendor_ref, rp.point_in_time, i.external_id, i.vendor_ref AS item_vendor_ref,
              p.workload, c.vendor
         FROM restore_points rp JOIN protected_items i ON i.id = rp.protected_item_id
         JOIN policies p ON p.id = i.policy_id JOIN connections c ON c.id = rp.connection_id AND c.deleted_at IS NULL
        WHERE rp.id = ANY($1)`,
      [unique],
    );
    const found = new Set(rows.map((r: { id: string }) => r.id));
    const missing = unique.find((id) => !found.has(id));
    if (missing) throw new NotFound('restore point', missing);
    return rows;
  }

  private checkLimits(vendor: string, body: CreateRestoreJob): void {
    const limits = vendorLimits(vendor);
    if (limits.restoreItemsPerJob && body.items.length > limits.restoreItemsPerJob) {
      throw new LimitExceeded(`${vendor} restores at most ${limits.restoreItemsPerJob} items per job; this job has ${body.items.length}. Split it into several jobs.`,
        { vendor, limit: limits.restoreItemsPerJob, requested: body.items.length });
    }
    const paths = body.items.reduce((n, i) => n + (i.paths?.length ?? 0), 0);
    if (limits.pathsPerRestoreJob && paths > limits.pathsPerRestoreJob) {
      throw new LimitExceeded(`${vendor} restores at most ${limits.pathsPerRestoreJob} file and folder paths per job; this job has ${paths}.`,
        { vendor, limit: limits.pathsPerRestoreJob, requested: paths });
    }
  }
}
