import { policyFromRow, type PolicyRow } from './policy.repository';
import { toPolicyResource } from './policy.serializer';

const row: PolicyRow = {
  id: '0190a000-0000-7000-8000-000000000001',
  tenant_id: '0190a000-0000-7000-8000-0000000000aa',
  connection_id: '0190a000-0000-7000-8000-0000000000cc',
  vendor: 'graph',
  workload: 'sharepoint',
  display_name: 'Sites',
  status: 'active',
  desired_active: true,
  vendor_ref: 'pol-1',
  vendor_status: 'active',
  error_code: null,
  error_message: null,
  created_at: new Date('2026-01-01T00:00:00.000Z'),
  updated_at: new Date('2026-01-02T00:00:00.000Z'),
  item_count: 3,
  rpo_minutes: 90,
  health: 'atRisk',
  health_since: new Date('2026-01-03T00:00:00.000Z'),
};

describe('policy mapping', () => {
  it('maps a row to the domain policy', () => {
    expect(policyFromRow(row)).toEqual({
      id: row.id,
      tenantId: row.tenant_id,
      connectionId: row.connection_id,
      vendor: 'graph',
      workload: 'sharepoint',
      displayName: 'Sites',
      status: 'active',
      desiredActive: true,
      vendorRef: 'pol-1',
      vendorStatus: 'active',
      error: null,
      itemCount: 3,
      rpoMinutes: 90,
      health: 'atRisk',
      healthSince: new Date('2026-01-03T00:00:00.000Z'),
      createdAt: new Date('2026-01-01T00:00:00.000Z'),
      updatedAt: new Date('2026-01-02T00:00:00.000Z'),
    });
  });

  it('reads a snapshot written before the protection-health columns as the vendor default RPO and unknown health', () => {
    const { rpo_minutes: _r, health: _h, health_since: _s, ...old } = row;
    expect(policyFromRow(old)).toMatchObject({ rpoMinutes: null, health: 'unknown', healthSince: new Date('2026-01-01T00:00:00.000Z') });
  });

  it('accepts ISO timestamps (event snapshots) and gives Dates', () => {
    const p = policyFromRow({ ...row, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-02T00:00:00.000Z' });
    expect(p.createdAt).toEqual(new Date('2026-01-01T00:00:00.000Z'));
    expect(p.updatedAt).toBeInstanceOf(Date);
  });

  it('carries the error only when there is a code, and no itemCount when the read did not count', () => {
    const { item_count: _, ...uncounted } = row;
    const p = policyFromRow({ ...uncounted, status: 'failed', error_code: 'PERMISSION_DENIED', error_message: 'no' });
    expect(p.error).toEqual({ code: 'PERMISSION_DENIED', message: 'no' });
    expect('itemCount' in p).toBe(false);
    expect(policyFromRow({ ...row, error_code: null, error_message: 'stale' }).error).toBeNull();
  });

  it('serializes exactly the REST JSON: keys in order, nulls kept, itemCount absent when not counted', () => {
    const json = JSON.parse(
      JSON.stringify(
        toPolicyResource(policyFromRow({ ...row, vendor_ref: null, vendor_status: null, error_code: 'X', error_message: null })),
      ),
    );
    expect(Object.keys(json)).toEqual([
      'id',
      'tenantId',
      'connectionId',
      'vendor',
      'workload',
      'displayName',
      'status',
      'desiredActive',
      'vendorRef',
      'vendorStatus',
      'error',
      'itemCount',
      'rpoMinutes',
      'health',
      'createdAt',
      'updatedAt',
    ]);
    expect(json).toMatchObject({
      vendorRef: null,
      vendorStatus: null,
      error: { code: 'X', message: null },
      itemCount: 3,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    const { item_count: _, ...uncounted } = row;
    expect(Object.keys(JSON.parse(JSON.stringify(toPolicyResource(policyFromRow(uncounted)))))).not.toContain('itemCount');
  });
});
