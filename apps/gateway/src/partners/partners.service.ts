import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { API_SCOPES, NotFound, newId, type Partner, type RateLimits } from '@bg/domain';
import { apiKeyRepository, generateApiKey, isUuid, partnerRepository } from '@bg/platform';
import { requireAdmin } from '../common/auth.guard';
import { APP_DB } from '../common/platform.providers';
import type { Principal } from '../common/principal';

/** A new partner and its first partner key; `key` is the secret, shown once. */
export interface CreatedPartner {
  partner: Partner;
  apiKey: { id: string; key: string; prefix: string };
}

@Injectable()
export class PartnersService {
  constructor(@Inject(APP_DB) private readonly db: DataSource) {}

  async create(p: Principal, name: string): Promise<CreatedPartner> {
    requireAdmin(p);
    const id = newId();
    const key = generateApiKey();
    const keyId = newId();
    const partner = await this.db.transaction(async (tx) => {
      const created = await partnerRepository.insert(tx, { id, name });
      await apiKeyRepository.insert(tx, {
        id: keyId,
        role: 'partner',
        partnerId: id,
        tenantId: null,
        name: 'initial partner key',
        prefix: key.prefix,
        keyHash: key.hash,
        scopes: [...API_SCOPES],
        expiresAt: null,
      });
      return created;
    });
    return { partner, apiKey: { id: keyId, key: key.key, prefix: key.prefix } };
  }

  /**
   * A page of partners after `after` (`limit + 1` rows, so the caller knows whether more follow): every
   * partner for the operator; a partner's or tenant's own partner otherwise.
   */
  async list(p: Principal, after: string | undefined, limit: number): Promise<Partner[]> {
    if (p.kind === 'admin') return partnerRepository.list(this.db, after, limit + 1);
    const own =
      after === undefined || after.toLowerCase() < p.partnerId ? await partnerRepository.findById(this.db, p.partnerId) : undefined;
    return own ? [own] : [];
  }

  async get(p: Principal, partnerId: string): Promise<Partner> {
    if (!isUuid(partnerId) || (p.kind !== 'admin' && p.partnerId !== partnerId)) throw new NotFound('partner', partnerId);
    const partner = await partnerRepository.findById(this.db, partnerId);
    if (!partner) throw new NotFound('partner', partnerId);
    return partner;
  }

  /** The operator sets (a number) or clears (null) a partner's rate-limit override. */
  async updateRateLimits(p: Principal, partnerId: string, limits: Partial<RateLimits>): Promise<Partner> {
    requireAdmin(p);
    const partner = isUuid(partnerId) ? await partnerRepository.updateRateLimits(this.db, partnerId, limits) : undefined;
    if (!partner) throw new NotFound('partner', partnerId);
    return partner;
  }
}
