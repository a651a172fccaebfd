import { apiKeyFromRow, type ApiKeyRow } from './api-key.repository';
import { toApiKeyResource } from './api-key.serializer';

const base: ApiKeyRow = {
  id: 'k1',
  role: 'partner',
  partner_id: 'p1',
  tenant_id: null,
  name: 'ops',
  prefix: 'bgk_abcdef',
  scopes: ['read', 'restore'],
  expires_at: null,
  last_used_at: null,
  created_at: new Date('2025-01-02T03:04:05.000Z'),
  revoked_at: null,
};

describe('apiKeyFromRow', () => {
  it('maps a partner key to the partner scope with no tenant', () => {
    expect(apiKeyFromRow(base)).toEqual({
      id: 'k1',
      role: 'partner',
      partnerId: 'p1',
      tenantId: null,
      name: 'ops',
      prefix: 'bgk_abcdef',
      scopes: ['read', 'restore'],
      expiresAt: null,
      createdAt: new Date('2025-01-02T03:04:05.000Z'),
      revokedAt: null,
      lastUsedAt: null,
    });
  });

  it('maps a tenant key to its tenant, and ISO-string timestamps to Dates', () => {
    const k = apiKeyFromRow({
      ...base,
      role: 'tenant',
      tenant_id: 't1',
      created_at: '2025-01-02T03:04:05.000Z',
      revoked_at: '2025-02-01T00:00:00.000Z',
    });
    expect(k).toMatchObject({ role: 'tenant', partnerId: 'p1', tenantId: 't1' });
    expect(k.createdAt).toEqual(new Date('2025-01-02T03:04:05.000Z'));
    expect(k.revokedAt).toEqual(new Date('2025-02-01T00:00:00.000Z'));
  });

  it('refuses a tenant key without a tenant rather than treating it as a partner key', () => {
    expect(() => apiKeyFromRow({ ...base, role: 'tenant', tenant_id: null })).toThrow(/no tenant_id/);
  });

  it('maps expiry and last use, and refuses a scope this code cannot enforce', () => {
    const k = apiKeyFromRow({ ...base, expires_at: '2030-01-01T00:00:00.000Z', last_used_at: new Date('2025-03-01T00:00:00.000Z') });
    expect(k.expiresAt).toEqual(new Date('2030-01-01T00:00:00.000Z'));
    expect(k.lastUsedAt).toEqual(new Date('2025-03-01T00:00:00.000Z'));
    expect(() => apiKeyFromRow({ ...base, scopes: ['read', 'superuser'] })).toThrow(/unknown scope superuser/);
  });
});

describe('toApiKeyResource', () => {
  it('has exactly the public keys, in API order, and never the key or its hash', () => {
    expect(Object.keys(toApiKeyResource(apiKeyFromRow(base)))).toEqual([
      'id',
      'role',
      'partnerId',
      'tenantId',
      'name',
      'prefix',
      'scopes',
      'expiresAt',
      'lastUsedAt',
      'createdAt',
      'revokedAt',
    ]);
  });
});
