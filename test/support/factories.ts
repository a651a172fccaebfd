import { randomBytes } from 'node:crypto';
import type { ApiClient } from './api-client';

export interface TenantContext {
  partnerId: string;
  partnerKey: string;
  tenantId: string;
  tenantKey: string;
  partner: ApiClient;
  tenant: ApiClient;
}

function ok<T>(res: { status: number; body: T }, status: number): T {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A fresh partner with one tenant and keys for both (each test makes its own, so tests never collide). */
export async function newTenant(admin: ApiClient): Promise<TenantContext> {
  const partner = ok(await admin.post<any>('/v1/partners', { name: `MSP ${randomBytes(3).toString('hex')}` }), 201);
  const partnerClient = admin.withKey(partner.apiKey.key);
  const tenant = ok(await partnerClient.post<any>('/v1/tenants', { name: `Customer ${randomBytes(3).toString('hex')}` }), 201);
  const key = ok(await partnerClient.post<any>('/v1/api-keys', { name: 'tenant key', tenantId: tenant.id }), 201);
  return {
    partnerId: partner.id,
    partnerKey: partner.apiKey.key,
    tenantId: tenant.id,
    tenantKey: key.key,
    partner: partnerClient,
    tenant: admin.withKey(key.key),
  };
}
