import { restorePointFromRow, type RestorePointRow } from './restore-point.repository';
import { toRestorePointResource } from './restore-point.serializer';

const row: RestorePointRow = {
  id: 'rp1',
  tenant_id: 't1',
  connection_id: 'c1',
  protected_item_id: 'i1',
  vendor_ref: 'v-1',
  point_in_time: '2025-01-02T03:04:05.000Z',
  expires_at: null,
  tags: ['daily'],
  created_at: new Date('2025-01-02T04:00:00.000Z'),
};

describe('restorePointFromRow', () => {
  it('maps to camelCase with Dates, and a missing expiry to null', () => {
    expect(restorePointFromRow(row)).toEqual({
      id: 'rp1',
      tenantId: 't1',
      connectionId: 'c1',
      protectedItemId: 'i1',
      vendorRef: 'v-1',
      pointInTime: new Date('2025-01-02T03:04:05.000Z'),
      expiresAt: null,
      tags: ['daily'],
      createdAt: new Date('2025-01-02T04:00:00.000Z'),
    });
  });

  it('keeps an expiry given as an ISO string', () => {
    expect(restorePointFromRow({ ...row, expires_at: '2025-03-01T00:00:00.000Z' }).expiresAt).toEqual(new Date('2025-03-01T00:00:00.000Z'));
  });
});

describe('toRestorePointResource', () => {
  it('has the API keys in API order, expiresAt null when there is no expiry', () => {
    const r = toRestorePointResource(restorePointFromRow(row));
    expect(Object.keys(r)).toEqual([
      'id',
      'tenantId',
      'connectionId',
      'protectedItemId',
      'pointInTime',
      'expiresAt',
      'tags',
      'vendorRef',
      'createdAt',
    ]);
    expect(r.expiresAt).toBeNull();
  });
});
