import { apiKeyFromRow, type ApiKeyRow } from './api-key.repository';
import { toApiKeyResource } from './api-key.serializer';

const base: ApiKeyRow = {
  id: 'k1',
  role: 'partner',
  partner_id: 'p1',
  tenant_id: null,
  name: 'ops',
  prefix: 'bgk_abcdef',
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
      createdAt: new Date('2025-01-02T03:04:05.000Z'),
      revokedAt: null,
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
      'createdAt',
      'revokedAt',
    ]);
  });
});
