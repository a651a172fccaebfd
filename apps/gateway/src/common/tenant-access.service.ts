import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFound } from '@bg/domain';
import { isUuid, tenantRepository } from '@bg/platform';
import { APP_DB } from './platform.providers';
import type { Principal } from './principal';

/**
 * Decides whether a principal may reach a tenant. A tenant it may not reach is NOT_FOUND, exactly like
 * a missing one. Tenant -> partner never changes, so it is cached after the first lookup.
 */
@Injectable()
export class TenantAccess {
  private readonly partnerOf = new Map<string, string>();

  constructor(@Inject(APP_DB) private readonly db: DataSource) {}

  async assert(principal: Principal, tenantId: string): Promise<string> {
    if (!isUuid(tenantId)) throw new NotFound('tenant', tenantId);
    if (principal.kind === 'tenant') {
      if (principal.tenantId !== tenantId) throw new NotFound('tenant', tenantId);
      return tenantId;
    }
    const partnerId = await this.partnerIdOf(tenantId);
    if (!partnerId || (principal.kind === 'partner' && principal.partnerId !== partnerId)) throw new NotFound('tenant', tenantId);
    return tenantId;
  }

  private async partnerIdOf(tenantId: string): Promise<string | undefined> {
    const cached = this.partnerOf.get(tenantId);
    if (cached) return cached;
    const partnerId = await tenantRepository.partnerIdOf(this.db, tenantId);
    if (partnerId) this.partnerOf.set(tenantId, partnerId);
    return partnerId;
  }
}
