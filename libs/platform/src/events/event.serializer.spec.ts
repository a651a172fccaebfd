import { toEventResource } from './event.serializer';

describe('toEventResource', () => {
  it('is the published event: camelCase, occurredAt as ISO, data as stored (a Date or an ISO string row alike)', () => {
    const row = {
      id: 'ev1',
      partner_id: 'p1',
      tenant_id: 't1',
      type: 'restore_job.queued',
      resource_type: 'restore_job',
      resource_id: 'r1',
      data: { id: 'r1', status: 'queued' },
      occurred_at: new Date('2025-03-01T10:00:00.123Z'),
    };
    const expected = {
      id: 'ev1',
      type: 'restore_job.queued',
      tenantId: 't1',
      resourceType: 'restore_job',
      resourceId: 'r1',
      occurredAt: '2025-03-01T10:00:00.123Z',
      data: { id: 'r1', status: 'queued' },
    };
    expect(toEventResource(row)).toEqual(expected);
    expect(Object.keys(toEventResource(row))).toEqual(Object.keys(expected));
    expect(toEventResource({ ...row, occurred_at: '2025-03-01T10:00:00.123Z' })).toEqual(expected);
  });
});
