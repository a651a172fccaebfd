import { randomBytes } from 'node:crypto';
import { unwrap } from '@backup-gateway/sdk';
import type { ApiClient } from './api-client';

export interface TenantContext {
  partnerId: string;
  partnerKey: string;
  tenantId: string;
  tenantKey: string;
  partner: ApiClient;
  tenant: ApiClient;
}

/** A fresh partner with one tenant and keys for both (each test makes its own, so tests never collide). Typed SDK calls. */
export async function newTenant(admin: ApiClient): Promise<TenantContext> {
  const partner = await unwrap(admin.sdk.POST('/v1/partners', { body: { name: `MSP ${randomBytes(3).toString('hex')}` } }));
  const partnerClient = admin.withKey(partner.apiKey.key);
  const tenant = await unwrap(partnerClient.sdk.POST('/v1/tenants', { body: { name: `Customer ${randomBytes(3).toString('hex')}` } }));
  const key = await unwrap(partnerClient.sdk.POST('/v1/api-keys', { body: { name: 'tenant key', tenantId: tenant.id } }));
  return {
    partnerId: partner.id,
    partnerKey: partner.apiKey.key,
    tenantId: tenant.id,
    tenantKey: key.key,
    partner: partnerClient,
    tenant: admin.withKey(key.key),
  };
}
