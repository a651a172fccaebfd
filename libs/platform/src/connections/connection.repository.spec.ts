import { connectionFromRow, type ConnectionRow } from './connection.repository';
import { toConnectionResource } from './connection.serializer';

const row: ConnectionRow = {
  id: 'c1',
  tenant_id: 't1',
  vendor: 'graph',
  display_name: 'M365',
  endpoint: 'https://graph.example',
  public_credentials: { tenantId: 'aad', clientId: 'app' },
  credentials_version: 2,
  health: 'unknown',
  health_detail: null,
  last_verified_at: null,
  created_at: '2025-01-02T03:04:05.000Z',
  updated_at: new Date('2025-01-03T00:00:00.000Z'),
  deleted_at: null,
};

describe('connectionFromRow', () => {
  it('maps every column to camelCase and timestamps (Date or ISO string) to Dates', () => {
    expect(connectionFromRow(row)).toEqual({
      id: 'c1',
      tenantId: 't1',
      vendor: 'graph',
      displayName: 'M365',
      endpoint: 'https://graph.example',
      publicCredentials: { tenantId: 'aad', clientId: 'app' },
      credentialsVersion: 2,
      health: 'unknown',
      healthDetail: null,
      lastVerifiedAt: null,
      createdAt: new Date('2025-01-02T03:04:05.000Z'),
      updatedAt: new Date('2025-01-03T00:00:00.000Z'),
      deletedAt: null,
    });
  });

  it('keeps lastVerifiedAt and deletedAt when set', () => {
    const c = connectionFromRow({ ...row, last_verified_at: '2025-01-04T00:00:00.000Z', deleted_at: new Date('2025-01-05T00:00:00.000Z') });
    expect(c.lastVerifiedAt).toEqual(new Date('2025-01-04T00:00:00.000Z'));
    expect(c.deletedAt).toEqual(new Date('2025-01-05T00:00:00.000Z'));
  });
});

describe('toConnectionResource', () => {
  it('is the API shape: public credentials as `credentials`, no version or deletion internals', () => {
    const r = toConnectionResource(connectionFromRow(row));
    expect(Object.keys(r)).toEqual([
      'id',
      'tenantId',
      'vendor',
      'displayName',
      'endpoint',
      'credentials',
      'health',
      'healthDetail',
      'lastVerifiedAt',
      'createdAt',
      'updatedAt',
    ]);
    expect(r.credentials).toEqual({ tenantId: 'aad', clientId: 'app' });
  });
});
