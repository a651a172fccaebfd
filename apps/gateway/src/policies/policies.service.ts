import { Injectable } from '@nestjs/common';
import {
  DomainError,
  NotAllowedInState,
  NotFound,
  isPolicyClosed,
  newId,
  policyStatusAfterRename,
  policyStatusAfterToggle,
  type Policy,
  type PolicyStatus,
  type VendorId,
  type Workload,
} from '@bg/domain';
import {
  TenantDb,
  connectionRepository,
  policyRepository,
  protectedItemRepository,
  writeOutbox,
  type PolicyPatch,
  type TenantTx,
} from '@bg/platform';
import { assertVendorSupports, vendorLimits } from '../common/vendor-rules';
import type { CreatePolicy } from './policies.dto';

/** Enqueues the worker's reconciliation of a policy with its vendor (deduplicated while one is pending). */
export async function queuePolicySync(tx: TenantTx, policyId: string): Promise<void> {
  await writeOutbox(tx, tx.tenantId, 'policy.sync', { tenantId: tx.tenantId, policyId }, { jobId: `policy.sync_${policyId}_${newId()}` });
}

type PolicyOperation = 'policy.update' | 'policy.activate' | 'policy.deactivate' | 'policy.delete';

@Injectable()
export class PoliciesService {
  constructor(private readonly db: TenantDb) {}

  async create(tenantId: string, body: CreatePolicy): Promise<Policy> {
    return this.db.run(tenantId, async (tx) => {
      const conn = await connectionRepository.findLive(tx, body.connectionId);
      if (!conn) throw new NotFound('connection', body.connectionId);
      assertVendorSupports(conn.vendor, 'policy.create', body.workload);
      if (body.active) await assertActiveSlot(tx, conn.vendor, conn.id, body.workload);
      const id = newId();
      await policyRepository.insert(tx, {
        id,
        connectionId: conn.id,
        vendor: conn.vendor,
        workload: body.workload,
        displayName: body.displayName,
        desiredActive: body.active,
        rpoMinutes: body.rpoMinutes ?? null,
      });
      await protectedItemRepository.insertPending(tx, { id, connectionId: conn.id, workload: body.workload }, body.items);
      await queuePolicySync(tx, id);
      return this.load(tx, id);
    });
  }

  async list(tenantId: string, after: string | undefined, limit: number): Promise<Policy[]> {
    return this.db.run(tenantId, (tx) => policyRepository.listVisible(tx, after, limit + 1));
  }

  async get(tenantId: string, id: string): Promise<Policy> {
    return this.db.run(tenantId, (tx) => this.load(tx, id));
  }

  /** PATCH: a rename goes to the vendor; an RPO is ours alone (the worker judges the items against it again). */
  async update(tenantId: string, id: string, body: { displayName?: string; rpoMinutes?: number | null }): Promise<Policy> {
    if (body.rpoMinutes !== undefined) {
      await this.db.run(tenantId, async (tx) => {
        const p = await this.load(tx, id, true);
        if (isPolicyClosed(p.status)) throw new NotAllowedInState('policy', p.status, 'update');
        await policyRepository.update(tx, p, p.status, { rpoMinutes: body.rpoMinutes });
        await writeOutbox(
          tx,
          tx.tenantId,
          'backup.sync',
          { tenantId: tx.tenantId, policyId: id },
          { jobId: `backup.sync_${id}_${newId()}` },
        );
      });
    }
    return body.displayName !== undefined ? this.rename(tenantId, id, body.displayName) : this.get(tenantId, id);
  }

  async rename(tenantId: string, id: string, displayName: string): Promise<Policy> {
    return this.change(tenantId, id, 'policy.update', (p) =>
      p.displayName === displayName ? undefined : [policyStatusAfterRename(p), { displayName }],
    );
  }

  async setActive(tenantId: string, id: string, active: boolean): Promise<Policy> {
    return this.change(tenantId, id, active ? 'policy.activate' : 'policy.deactivate', async (p, tx) => {
      if (p.desiredActive === active) return undefined;
      if (active) await assertActiveSlot(tx, p.vendor, p.connectionId, p.workload, p.id);
      return [policyStatusAfterToggle(p, active), { desiredActive: active }];
    });
  }

  async remove(tenantId: string, id: string): Promise<Policy> {
    return this.change(tenantId, id, 'policy.delete', () => ['deleting', { desiredActive: false }]);
  }

  /**
   * Locks the policy, refuses a change to one being deleted, applies the change `decide` returns (none:
   * nothing to store) and has the worker sync it.
   */
  private async change(
    tenantId: string,
    id: string,
    op: PolicyOperation,
    decide: (p: Policy, tx: TenantTx) => Promise<[PolicyStatus, PolicyPatch] | undefined> | [PolicyStatus, PolicyPatch] | undefined,
  ): Promise<Policy> {
    return this.db.run(tenantId, async (tx) => {
      const p = await this.load(tx, id, true);
      assertVendorSupports(p.vendor, op);
      if (isPolicyClosed(p.status)) throw new NotAllowedInState('policy', p.status, op.split('.')[1]);
      const change = await decide(p, tx);
      if (change) await policyRepository.update(tx, p, ...change);
      await queuePolicySync(tx, id);
      return this.load(tx, id);
    });
  }

  private async load(tx: TenantTx, id: string, forUpdate = false): Promise<Policy> {
    const policy = await policyRepository.findVisible(tx, id, { forUpdate });
    if (!policy) throw new NotFound('policy', id);
    return policy;
  }
}

/**
 * Vendors that allow one active policy per workload (Graph, seed 000 PolicyCreationNotAllowed) get a clear
 * 409 here instead of a policy that fails later at the vendor.
 */
async function assertActiveSlot(
  tx: TenantTx,
  vendor: VendorId,
  connectionId: string,
  workload: Workload,
  exceptId?: string,
): Promise<void> {
  const limit = vendorLimits(vendor).activePoliciesPerWorkload;
  if (!limit) return;
  const active = await policyRepository.activeInWorkload(tx, connectionId, workload, exceptId);
  if (active.length >= limit) {
    throw new DomainError(
      'CONFLICT',
      `${vendor} allows ${limit} active ${workload} policy per connection, and policy ${active[0].id} ("${active[0].displayName}") is active. Add items to it, or deactivate it first.`,
      { vendor, limit, activePolicyId: active[0].id },
    );
  }
}
