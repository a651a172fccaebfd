import { protectedItemFromRow, type ProtectedItemRow } from './protected-item.repository';
import { toProtectedItemResource } from './protected-item.serializer';

const row: ProtectedItemRow = {
  id: '0190a000-0000-7000-8000-000000000002',
  tenant_id: '0190a000-0000-7000-8000-0000000000aa',
  policy_id: '0190a000-0000-7000-8000-000000000001',
  connection_id: '0190a000-0000-7000-8000-0000000000cc',
  kind: 'site',
  external_id: 'contoso.sharepoint.com,1,2',
  display_name: null,
  status: 'protected',
  vendor_ref: 'unit-1',
  vendor_status: 'protected',
  size_bytes: '9007199254740',
  error_code: null,
  error_message: null,
  created_at: new Date('2026-01-01T00:00:00.000Z'),
  updated_at: new Date('2026-01-02T00:00:00.000Z'),
  protection_state: 'failed',
  protection_since: new Date('2026-01-03T00:00:00.000Z'),
  protection_reason: 'the last backup run failed: disk full',
  vendor_unprotected: false,
  last_backup_at: new Date('2026-01-03T00:00:00.000Z'),
  last_successful_backup_at: '2026-01-02T00:00:00.000Z',
  last_run_status: 'failed',
  last_run_error: 'disk full',
  last_run_error_code: 'QUOTA_EXCEEDED',
  latest_restore_point_at: null,
};

describe('protected item mapping', () => {
  it('maps a row to the domain item, the bigint size as a number', () => {
    expect(protectedItemFromRow(row)).toEqual({
      id: row.id,
      tenantId: row.tenant_id,
      policyId: row.policy_id,
      connectionId: row.connection_id,
      kind: 'site',
      externalId: row.external_id,
      displayName: null,
      status: 'protected',
      vendorRef: 'unit-1',
      vendorStatus: 'protected',
      sizeBytes: 9007199254740,
      error: null,
      protection: {
        state: 'failed',
        since: new Date('2026-01-03T00:00:00.000Z'),
        reason: 'the last backup run failed: disk full',
        lastBackupAt: new Date('2026-01-03T00:00:00.000Z'),
        lastSuccessfulBackupAt: new Date('2026-01-02T00:00:00.000Z'),
        lastRunStatus: 'failed',
        lastRunError: { code: 'QUOTA_EXCEEDED', message: 'disk full' },
        latestRestorePointAt: null,
        vendorUnprotected: false,
      },
      createdAt: new Date('2026-01-01T00:00:00.000Z'),
      updatedAt: new Date('2026-01-02T00:00:00.000Z'),
    });
  });

  it('keeps an unknown size null (not 0), takes ISO timestamps, and carries the error only with a code', () => {
    const i = protectedItemFromRow({
      ...row,
      size_bytes: null,
      status: 'failed',
      error_code: 'ALREADY_PROTECTED',
      error_message: 'dup',
      created_at: '2026-01-01T00:00:00.000Z',
    });
    expect(i.sizeBytes).toBeNull();
    expect(i.createdAt).toEqual(new Date('2026-01-01T00:00:00.000Z'));
    expect(i.error).toEqual({ code: 'ALREADY_PROTECTED', message: 'dup' });
    expect(protectedItemFromRow({ ...row, size_bytes: 0 }).sizeBytes).toBe(0);
  });

  it('serializes exactly the REST JSON: keys in order, nulls kept', () => {
    const json = JSON.parse(JSON.stringify(toProtectedItemResource(protectedItemFromRow({ ...row, vendor_ref: null }))));
    expect(Object.keys(json)).toEqual([
      'id',
      'tenantId',
      'policyId',
      'connectionId',
      'kind',
      'externalId',
      'displayName',
      'status',
      'vendorRef',
      'vendorStatus',
      'sizeBytes',
      'error',
      'protection',
      'createdAt',
      'updatedAt',
    ]);
    expect(json).toMatchObject({
      displayName: null,
      vendorRef: null,
      sizeBytes: 9007199254740,
      error: null,
      updatedAt: '2026-01-02T00:00:00.000Z',
    });
  });
});
