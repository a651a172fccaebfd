import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFound, type Partner, type Tenant, type VendorObjectsOption } from '@bg/domain';
import { vendorDescriptor } from '@bg/adapters';
import {
  APP_CONFIG,
  TenantDb,
  apiKeyRepository,
  connectionRepository,
  isUuid,
  partnerRepository,
  policyRepository,
  restoreJobRepository,
  tenantRepository,
  webhookDeliveryRepository,
  webhookEndpointRepository,
  writeOutbox,
  type AppConfig,
  type TenantTx,
} from '@bg/platform';
import { APP_DB } from '../common/platform.providers';
import { OwnerStatus } from '../common/owner-status.service';
import { problem, ProblemError } from '../common/problem';
import type { Principal } from '../common/principal';
import { TenantAccess } from '../common/tenant-access.service';
import { queuePolicySync } from '../policies/policies.service';
import { requestCancel } from '../restore-jobs/restore-jobs.service';

/**
 * DELETE /v1/tenants/{id} and /v1/partners/{id}. What can be done at once is done in one transaction: the tenant
 * turns `offboarding` (tenant.offboarding), its keys are revoked, its connections deleted, its queued restore jobs
 * cancelled and the others asked to cancel at their vendor; with vendorObjects=remove every policy is queued for
 * deletion at its vendor. The credentials are destroyed in that same transaction unless the vendor still has to be
 * called (a job to cancel, policies to delete); then the worker's tenant.offboard destroys them as soon as that is
 * done or the drain deadline passes, and marks the tenant deleted (tenant.deleted). A second DELETE changes nothing.
 */
@Injectable()
export class OffboardingService {
  constructor(
    private readonly db: TenantDb,
    @Inject(APP_DB) private readonly app: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly access: TenantAccess,
    private readonly status: OwnerStatus,
  ) {}

  async offboardTenant(p: Principal, tenantId: string, vendorObjects: VendorObjectsOption): Promise<Tenant> {
    if (p.kind === 'tenant')
      throw new ProblemError(problem('FORBIDDEN', "A tenant key cannot offboard its tenant; its partner's key or the operator can."));
    await this.access.assert(p, tenantId);
    await this.start(tenantId, vendorObjects);
    return (await tenantRepository.findById(this.app, tenantId))!;
  }

  async offboardPartner(p: Principal, partnerId: string, vendorObjects: VendorObjectsOption): Promise<Partner> {
    if (p.kind === 'tenant') throw new ProblemError(problem('FORBIDDEN', 'A tenant key cannot delete its partner.'));
    if (!isUuid(partnerId) || (p.kind === 'partner' && p.partnerId !== partnerId)) throw new NotFound('partner', partnerId);
    if (!(await partnerRepository.exists(this.app, partnerId))) throw new NotFound('partner', partnerId);
    await partnerRepository.markDeleted(this.app, partnerId);
    for (const tenantId of await tenantRepository.activeOfPartner(this.app, partnerId)) await this.start(tenantId, vendorObjects);
    await apiKeyRepository.revokeAllOf(this.app, { partnerId });
    await this.db.runAsPartner(partnerId, async (tx) => {
      for (const id of await webhookEndpointRepository.liveIdsOfPartner(tx)) {
        await webhookEndpointRepository.softDelete(tx, id);
        await webhookDeliveryRepository.failPending(tx, id, 'partner deleted');
      }
    });
    this.status.forget('partner', partnerId);
    return (await partnerRepository.findById(this.app, partnerId))!;
  }

  /** Step 1 of offboarding, in one transaction; nothing when the tenant is already offboarding or deleted. */
  private async start(tenantId: string, vendorObjects: VendorObjectsOption): Promise<void> {
    await this.db.run(tenantId, async (tx) => {
      const started = await tenantRepository.markOffboarding(tx, tenantId, {
        vendorObjects,
        drainMinutes: this.config.OFFBOARD_DRAIN_MINUTES,
        retentionDays: this.config.OFFBOARD_RETENTION_DAYS,
      });
      if (!started) return;
      await apiKeyRepository.revokeAllOf(tx, { tenantId });
      let vendorWork = 0;
      for (const job of await restoreJobRepository.activeOfTenant(tx)) {
        const after = await requestCancel(tx, job);
        if (after.status !== 'cancelled') vendorWork++;
      }
      if (vendorObjects === 'remove') vendorWork += await this.removePolicies(tx);
      await connectionRepository.softDeleteAll(tx);
      if (!vendorWork) await connectionRepository.destroyCredentials(tx);
      await writeOutbox(tx, tenantId, 'tenant.offboard', { tenantId }, { jobId: `tenant.offboard_${tenantId}` });
    });
    this.status.forget('tenant', tenantId);
  }

  /** Queues the deletion at its vendor of every policy of the tenant the vendor can delete; how many were queued. */
  private async removePolicies(tx: TenantTx): Promise<number> {
    let queued = 0;
    for (const policy of await policyRepository.openOfTenant(tx)) {
      const caps = vendorDescriptor(policy.vendor).capabilities;
      if (!caps.operations.includes('policy.delete') && !caps.policyEmulated) continue;
      await policyRepository.update(tx, policy, 'deleting', { desiredActive: false });
      await queuePolicySync(tx, policy.id);
      queued++;
    }
    return queued;
  }
}
