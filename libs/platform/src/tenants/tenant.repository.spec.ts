import { partnerFromRow } from '../partners/partner.repository';
import { toPartnerResource } from '../partners/partner.serializer';
import { tenantFromRow } from './tenant.repository';
import { toTenantResource } from './tenant.serializer';

describe('tenantFromRow / partnerFromRow', () => {
  it('map to camelCase with Dates from Date or ISO string', () => {
    expect(tenantFromRow({ id: 't1', partner_id: 'p1', name: 'Acme', external_ref: null, created_at: '2025-01-02T03:04:05.000Z' })).toEqual(
      {
        id: 't1',
        partnerId: 'p1',
        name: 'Acme',
        externalRef: null,
        status: 'active',
        vendorObjects: null,
        offboardingAt: null,
        deletedAt: null,
        purgeAfter: null,
        purgedAt: null,
        createdAt: new Date('2025-01-02T03:04:05.000Z'),
      },
    );
    expect(partnerFromRow({ id: 'p1', name: 'MSP', created_at: new Date('2025-01-01T00:00:00.000Z') })).toEqual({
      id: 'p1',
      name: 'MSP',
      rateLimits: { perKey: null, perTenant: null },
      status: 'active',
      createdAt: new Date('2025-01-01T00:00:00.000Z'),
      deletedAt: null,
    });
    expect(
      partnerFromRow({ id: 'p1', name: 'MSP', rate_limit_per_key: 5, rate_limit_per_tenant: null, created_at: new Date() }).rateLimits,
    ).toEqual({
      perKey: 5,
      perTenant: null,
    });
  });

  it('serialize to the API keys in API order', () => {
    const t = tenantFromRow({ id: 't1', partner_id: 'p1', name: 'Acme', external_ref: 'crm-7', created_at: new Date() });
    expect(Object.keys(toTenantResource(t))).toEqual(['id', 'partnerId', 'name', 'externalRef', 'status', 'offboarding', 'createdAt']);
    expect(Object.keys(toPartnerResource(partnerFromRow({ id: 'p1', name: 'MSP', created_at: new Date() })))).toEqual([
      'id',
      'name',
      'rateLimits',
      'status',
      'createdAt',
      'deletedAt',
    ]);
  });
});
