import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFound, newId, type ApiKey, type ApiKeyScope } from '@bg/domain';
import { apiKeyRepository, generateApiKey, isUuid, partnerRepository, tenantRepository } from '@bg/platform';
import { APP_DB } from '../common/platform.providers';
import { problem, ProblemError } from '../common/problem';
import type { Principal } from '../common/principal';
import { TenantAccess } from '../common/tenant-access.service';

export interface CreateApiKeyInput {
  name: string;
  partnerId?: string;
  tenantId?: string;
}

/**
 * API keys. The operator creates partner keys; a partner creates keys for itself or for its tenants.
 * A key is shown once; only its SHA-256 is stored.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    @Inject(APP_DB) private readonly db: DataSource,
    private readonly access: TenantAccess,
  ) {}

  /** Stores a new key and returns it with the key itself (`key`), which is never readable again. */
  async create(p: Principal, body: CreateApiKeyInput): Promise<{ apiKey: ApiKey; key: string }> {
    if (p.kind === 'tenant') throw new ProblemError(problem('FORBIDDEN', 'A tenant key cannot create API keys.'));
    const scope = await this.scopeOf(p, body);
    const key = generateApiKey();
    const apiKey = await apiKeyRepository.insert(this.db, {
      ...scope,
      id: newId(),
      name: body.name,
      prefix: key.prefix,
      keyHash: key.hash,
    });
    return { apiKey, key: key.key };
  }

  /** A page of the keys `p` manages after `after`: `limit + 1` rows, so the caller knows whether more follow. */
  async list(p: Principal, after: string | undefined, limit: number): Promise<ApiKey[]> {
    if (p.kind === 'tenant') throw new ProblemError(problem('FORBIDDEN', 'A tenant key cannot list API keys.'));
    return apiKeyRepository.list(this.db, p.kind === 'admin' ? null : p.partnerId, after, limit + 1);
  }

  async revoke(p: Principal, keyId: string): Promise<void> {
    if (p.kind === 'tenant' || !isUuid(keyId)) throw new NotFound('api key', keyId);
    const revoked =
      p.kind === 'admin'
        ? await apiKeyRepository.revoke(this.db, keyId)
        : await apiKeyRepository.revokeOfPartner(this.db, keyId, p.partnerId);
    if (!revoked) throw new NotFound('api key', keyId);
  }

  /** The scope of the key to create: a tenant key for `tenantId`, else a partner key. */
  private async scopeOf(p: Principal, body: CreateApiKeyInput): Promise<ApiKeyScope> {
    if (body.tenantId) {
      // The operator acts inside a tenant with its own key (audited as admin), never with a tenant key it minted.
      if (p.kind === 'admin')
        throw ProblemError.of(
          'FORBIDDEN',
          "Tenant keys are made by the tenant's partner; the operator acts inside a tenant with its own key.",
        );
      await this.access.assert(p, body.tenantId);
      const partnerId = await tenantRepository.partnerIdOf(this.db, body.tenantId);
      // TenantAccess found the tenant a moment ago, and tenants are never deleted.
      if (!partnerId) throw new Error(`tenant ${body.tenantId} vanished`);
      return { role: 'tenant', partnerId, tenantId: body.tenantId };
    }
    const partnerId = body.partnerId ?? (p.kind === 'partner' ? p.partnerId : '');
    if (!partnerId)
      throw ProblemError.of('VALIDATION_FAILED', 'The operator must give partnerId or tenantId.', {
        errors: [{ path: 'partnerId', message: 'required' }],
      });
    if (p.kind === 'partner' && p.partnerId !== partnerId) throw new NotFound('partner', partnerId);
    if (!(await partnerRepository.exists(this.db, partnerId))) throw new NotFound('partner', partnerId);
    return { role: 'partner', partnerId, tenantId: null };
  }
}
