import { periodEnd, tenantUsageQuery, usageQuery } from './usage.dto';

describe('usage query', () => {
  const today = new Date().toISOString().slice(0, 10);

  it('defaults to the current month so far, by day, 50 rows a page', () => {
    expect(usageQuery.parse({})).toEqual({ from: `${today.slice(0, 7)}-01`, to: today, granularity: 'day', limit: 50 });
  });

  it('defaults from to the first day of the month of to', () => {
    expect(usageQuery.parse({ to: '2024-02-29', granularity: 'month' })).toMatchObject({ from: '2024-02-01', to: '2024-02-29' });
  });

  it.each([
    [{ from: '2025-03-02', to: '2025-03-01' }, 'to', 'must not be before from'],
    [{ from: '2024-01-01', to: '2025-02-04' }, 'to', 'at most 400 days'],
    [{ from: '2025-02-30' }, 'from', 'ISO date'],
    [{ vendor: 'acme' }, 'vendor', ''],
    [{ granularity: 'week' }, 'granularity', ''],
    [{ limit: '201' }, 'limit', ''],
  ])('refuses %j at %s', (query, path, message) => {
    const result = usageQuery.safeParse(query);
    expect(result.success).toBe(false);
    expect(result.error!.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: [path], message: expect.stringContaining(message) })]),
    );
  });

  it('accepts exactly 400 days', () => {
    expect(usageQuery.safeParse({ from: '2024-01-01', to: '2025-02-03' }).success).toBe(true);
  });

  it('takes no tenantId on the tenant endpoint', () => {
    expect(tenantUsageQuery.safeParse({ tenantId: '0190a0a0-0000-7000-8000-000000000001' }).success).toBe(false);
  });
});

describe('periodEnd', () => {
  it('ends a month on its last day, or at to when the range ends first', () => {
    expect(periodEnd('2024-02-01', 'month', '2024-12-31')).toBe('2024-02-29');
    expect(periodEnd('2024-02-01', 'month', '2024-02-10')).toBe('2024-02-10');
    expect(periodEnd('2024-02-07', 'day', '2024-12-31')).toBe('2024-02-07');
  });
});
