import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { newId, type Tenant } from '@bg/domain';
import { partnerRepository, tenantRepository, type TenantListScope } from '@bg/platform';
import { APP_DB } from '../common/platform.providers';
import { problem, ProblemError } from '../common/problem';
import type { Principal } from '../common/principal';
import { TenantAccess } from '../common/tenant-access.service';

export interface CreateTenantInput {
  name: string;
  externalRef?: string;
  partnerId?: string;
}

@Injectable()
export class TenantsService {
  constructor(
    @Inject(APP_DB) private readonly db: DataSource,
    private readonly access: TenantAccess,
  ) {}

  async create(p: Principal, body: CreateTenantInput): Promise<Tenant> {
    if (p.kind === 'tenant') throw new ProblemError(problem('FORBIDDEN', 'A tenant key cannot create tenants.'));
    const partnerId = p.kind === 'partner' ? p.partnerId : body.partnerId;
    if (!partnerId)
      throw ProblemError.of('VALIDATION_FAILED', 'The operator must give partnerId.', {
        errors: [{ path: 'partnerId', message: 'required' }],
      });
    if (p.kind === 'partner' && body.partnerId && body.partnerId !== p.partnerId)
      throw ProblemError.of('VALIDATION_FAILED', 'partnerId must be your own partner.', {
        errors: [{ path: 'partnerId', message: 'not yours' }],
      });
    if (!(await partnerRepository.exists(this.db, partnerId))) throw ProblemError.of('NOT_FOUND', `partner ${partnerId} was not found`);
    return tenantRepository.insert(this.db, { id: newId(), partnerId, name: body.name, externalRef: body.externalRef ?? null });
  }

  /** A page of the tenants the principal can reach, by id, after `after`: `limit + 1` rows at most (see toPage). */
  list(p: Principal, after: string | undefined, limit: number): Promise<Tenant[]> {
    const scope: TenantListScope =
      p.kind === 'admin'
        ? { kind: 'all' }
        : p.kind === 'partner'
          ? { kind: 'partner', partnerId: p.partnerId }
          : { kind: 'tenant', tenantId: p.tenantId };
    return tenantRepository.list(this.db, scope, after, limit + 1);
  }

  async get(p: Principal, tenantId: string): Promise<Tenant> {
    await this.access.assert(p, tenantId);
    const tenant = await tenantRepository.findById(this.db, tenantId);
    // TenantAccess found the tenant a moment ago, and tenants are never deleted.
    if (!tenant) throw new Error(`tenant ${tenantId} vanished`);
    return tenant;
  }
}
