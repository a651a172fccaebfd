import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { PartnerStatus, TenantStatus } from '@bg/domain';
import { partnerRepository, tenantRepository } from '@bg/platform';
import { APP_DB } from './platform.providers';

/** How long a tenant's or partner's status is reused for key checks (writes always read it fresh). */
const TTL_MS = 2000;

/**
 * The offboarding status of tenants and partners, cached briefly for the per-request key check so reads cost no
 * query; `forget` drops an entry at once on the instance that offboarded it (other instances within TTL_MS).
 */
@Injectable()
export class OwnerStatus {
  private readonly tenants = new Map<string, { status: TenantStatus | undefined; until: number }>();
  private readonly partners = new Map<string, { status: PartnerStatus | undefined; until: number }>();

  constructor(@Inject(APP_DB) private readonly db: DataSource) {}

  async tenant(id: string, opts: { fresh?: boolean } = {}): Promise<TenantStatus | undefined> {
    const hit = this.tenants.get(id);
    if (!opts.fresh && hit && hit.until > Date.now()) return hit.status;
    const status = await tenantRepository.statusOf(this.db, id);
    this.remember(this.tenants, id, status);
    return status;
  }

  async partner(id: string): Promise<PartnerStatus | undefined> {
    const hit = this.partners.get(id);
    if (hit && hit.until > Date.now()) return hit.status;
    const status = (await partnerRepository.findById(this.db, id))?.status;
    this.remember(this.partners, id, status);
    return status;
  }

  forget(kind: 'tenant' | 'partner', id: string): void {
    (kind === 'tenant' ? this.tenants : this.partners).delete(id);
  }

  private remember<S>(map: Map<string, { status: S; until: number }>, id: string, status: S): void {
    if (map.size > 10_000) map.clear();
    map.set(id, { status, until: Date.now() + TTL_MS });
  }
}
