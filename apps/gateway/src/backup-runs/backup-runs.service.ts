import { Injectable } from '@nestjs/common';
import { DomainError, NotAllowedInState, NotFound, UnsupportedByVendor, newId, type BackupRun, type VendorId } from '@bg/domain';
import { vendorDescriptor } from '@bg/adapters';
import {
  TenantDb,
  backupRunRepository,
  isUuid,
  policyRepository,
  protectedItemRepository,
  writeOutbox,
  type BackupRunItemOutcome,
  type TenantTx,
} from '@bg/platform';
import { decodeCursor } from '../common/pagination';
import type { ListBackupRunsQuery } from './backup-runs.dto';

/** What `POST .../backup` answers: the run, and whether it is one already going (then nothing new was asked). */
export interface RequestedBackup {
  run: BackupRun;
  existing: boolean;
}

/**
 * Backup runs: listing what the vendors report (the worker reads them back), and on-demand backups. An on-demand
 * backup is a queued run plus its start job in one transaction; a run already going for the item (or its whole
 * policy) is returned instead of a second one.
 */
@Injectable()
export class BackupRunsService {
  constructor(private readonly db: TenantDb) {}

  list(tenantId: string, q: ListBackupRunsQuery): Promise<BackupRun[]> {
    return this.db.run(tenantId, (tx) =>
      backupRunRepository.list(tx, {
        before: decodeCursor(q.cursor),
        limit: q.limit + 1,
        policyId: q.policyId,
        protectedItemId: q.protectedItemId,
        status: q.status,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
      }),
    );
  }

  async get(tenantId: string, id: string): Promise<{ run: BackupRun; items: BackupRunItemOutcome[] }> {
    if (!isUuid(id)) throw new NotFound('backup run', id);
    return this.db.run(tenantId, async (tx) => {
      const run = await backupRunRepository.get(tx, id);
      if (!run) throw new NotFound('backup run', id);
      return { run, items: await backupRunRepository.items(tx, id) };
    });
  }

  /** POST /protected-items/{id}/backup: the item's backup (the whole policy's where the vendor runs whole jobs). */
  async backupItem(tenantId: string, itemId: string, requestId: string | null): Promise<RequestedBackup> {
    return this.db.run(tenantId, async (tx) => {
      if (!isUuid(itemId)) throw new NotFound('protected item', itemId);
      const found = await protectedItemRepository.lockWithVendor(tx, itemId);
      if (!found || found.item.status === 'removed') throw new NotFound('protected item', itemId);
      const mode = onDemandMode(found.vendor);
      if (found.item.status !== 'protected') throw new NotAllowedInState('protected item', found.item.status, 'back up');
      return this.request(tx, found.item.policyId, mode === 'item' ? itemId : null, requestId);
    });
  }

  /** POST /policies/{id}/backup: the whole policy's backup, where the vendor backs up per job. */
  async backupPolicy(tenantId: string, policyId: string, requestId: string | null): Promise<RequestedBackup> {
    if (!isUuid(policyId)) throw new NotFound('policy', policyId);
    return this.db.run(tenantId, async (tx) => {
      const policy = await policyRepository.lockVisible(tx, policyId);
      if (!policy) throw new NotFound('policy', policyId);
      if (onDemandMode(policy.vendor) !== 'policy') {
        throw new DomainError(
          'UNSUPPORTED_BY_VENDOR',
          `Vendor ${policy.vendor} backs up items one at a time: POST /v1/tenants/${tenantId}/protected-items/{id}/backup for each.`,
          { vendor: policy.vendor, operation: 'backup.start' },
        );
      }
      return this.request(tx, policyId, null, requestId);
    });
  }

  private async request(tx: TenantTx, policyId: string, itemId: string | null, requestId: string | null): Promise<RequestedBackup> {
    const policy = await policyRepository.lockVisible(tx, policyId);
    if (!policy) throw new NotFound('policy', policyId);
    if (!policy.vendorRef || policy.status !== 'active') throw new NotAllowedInState('policy', policy.status, 'back up');
    const going = await backupRunRepository.findGoing(tx, policyId, itemId);
    if (going) return { run: going, existing: true };
    const items = itemId
      ? [itemId]
      : (await protectedItemRepository.listLiveOfPolicy(tx, policyId)).filter((i) => i.status === 'protected').map((i) => i.id);
    const run = await backupRunRepository.insertOnDemand(tx, {
      connectionId: policy.connectionId,
      policyId,
      protectedItemId: itemId,
      requestId,
      itemIds: items,
    });
    if (!run) {
      const winner = await backupRunRepository.findGoing(tx, policyId, itemId);
      if (winner) return { run: winner, existing: true };
      throw new DomainError('CONFLICT', 'Another backup of this item was asked at the same time; retry.');
    }
    await writeOutbox(
      tx,
      tx.tenantId,
      'backup.start',
      { tenantId: tx.tenantId, backupRunId: run.id },
      { jobId: `backup.start_${run.id}_${newId()}` },
    );
    return { run, existing: false };
  }
}

/** The vendor's on-demand mode; UNSUPPORTED_BY_VENDOR naming backup.start when it has none. */
function onDemandMode(vendor: VendorId): 'item' | 'policy' {
  const caps = vendorDescriptor(vendor).capabilities;
  if (caps.health.onDemandBackup === 'none' || !caps.operations.includes('backup.start'))
    throw new UnsupportedByVendor(vendor, 'backup.start');
  return caps.health.onDemandBackup;
}
