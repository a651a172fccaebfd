import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFound, expiryWithin, missingScopes, newId, normalizeScopes, type ApiKey, type ApiKeyScope, type ApiScope } from '@bg/domain';
import { apiKeyRepository, generateApiKey, isUuid, partnerRepository, tenantRepository } from '@bg/platform';
import { APP_DB } from '../common/platform.providers';
import { problem, ProblemError } from '../common/problem';
import type { Principal } from '../common/principal';
import { TenantAccess } from '../common/tenant-access.service';

export interface CreateApiKeyInput {
  name: string;
  partnerId?: string;
  tenantId?: string;
  /** Default: every scope of the creating key. */
  scopes?: ApiScope[];
  /** Default: the creating key's expiry (never, for a key that never expires). */
  expiresAt?: Date | null;
}

/**
 * API keys. The operator creates partner keys; a partner creates keys for itself or for its tenants; a
 * tenant key with `manage` creates keys for its own tenant. A key is never wider than the key creating
 * it (scopes a subset, expiry no later). A key is shown once; only its SHA-256 is stored.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    @Inject(APP_DB) private readonly db: DataSource,
    private readonly access: TenantAccess,
  ) {}

  /** Stores a new key and returns it with the key itself (`key`), which is never readable again. */
  async create(p: Principal, body: CreateApiKeyInput): Promise<{ apiKey: ApiKey; key: string }> {
    const owner = await this.ownerOf(p, body);
    const grants = this.grantsOf(p, body);
    const key = generateApiKey();
    const apiKey = await apiKeyRepository.insert(this.db, {
      ...owner,
      ...grants,
      id: newId(),
      name: body.name,
      prefix: key.prefix,
      keyHash: key.hash,
    });
    return { apiKey, key: key.key };
  }

  /** A page of the keys `p` manages after `after`: `limit + 1` rows, so the caller knows whether more follow. */
  async list(p: Principal, after: string | undefined, limit: number): Promise<ApiKey[]> {
    const owner =
      p.kind === 'admin'
        ? { partnerId: null, tenantId: null }
        : { partnerId: p.partnerId, tenantId: p.kind === 'tenant' ? p.tenantId : null };
    return apiKeyRepository.list(this.db, owner, after, limit + 1);
  }

  async revoke(p: Principal, keyId: string): Promise<void> {
    if (!isUuid(keyId)) throw new NotFound('api key', keyId);
    const revoked =
      p.kind === 'admin'
        ? await apiKeyRepository.revoke(this.db, keyId)
        : p.kind === 'partner'
          ? await apiKeyRepository.revokeOfPartner(this.db, keyId, p.partnerId)
          : await apiKeyRepository.revokeOfTenant(this.db, keyId, p.tenantId);
    if (!revoked) throw new NotFound('api key', keyId);
  }

  /** The scopes and expiry of the new key: by default the creator's, never beyond them. */
  private grantsOf(p: Principal, body: CreateApiKeyInput): { scopes: ApiScope[]; expiresAt: Date | null } {
    const scopes = normalizeScopes(body.scopes ?? p.scopes);
    const missing = missingScopes(p.scopes, scopes);
    if (missing.length > 0)
      throw ProblemError.of(
        'SCOPE_ESCALATION',
        `The key creating this one lacks the scope(s) ${missing.join(', ')}; a key can only be given scopes its creator has.`,
        {
          scopes: missing,
        },
      );
    const expiresAt = body.expiresAt === undefined ? p.expiresAt : body.expiresAt;
    if (!expiryWithin(expiresAt, p.expiresAt))
      throw ProblemError.of(
        'SCOPE_ESCALATION',
        `The key creating this one expires at ${p.expiresAt!.toISOString()}; the new key must expire no later.`,
        { expiresAt: p.expiresAt },
      );
    return { scopes, expiresAt };
  }

  /** Whom the key to create speaks for: a tenant key for `tenantId`, else a partner key. */
  private async ownerOf(p: Principal, body: CreateApiKeyInput): Promise<ApiKeyScope> {
    if (p.kind === 'tenant') {
      if (body.partnerId) throw new ProblemError(problem('FORBIDDEN', 'A tenant key can only create keys for its own tenant.'));
      // Another tenant is not found, exactly like a missing one.
      if (body.tenantId && body.tenantId !== p.tenantId) throw new NotFound('tenant', body.tenantId);
      return { role: 'tenant', partnerId: p.partnerId, tenantId: p.tenantId };
    }
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
