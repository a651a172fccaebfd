import { addDays, dayClosesAt, daysInRange, isDayClosable, isUsageDay, utcDay } from './usage-metrics';

describe('usage days (UTC)', () => {
  it.each([
    ['2024-02-29', true],
    ['2023-02-29', false],
    ['2025-13-01', false],
    ['2025-1-01', false],
    ['yesterday', false],
    ['2025-12-31', true],
  ])('isUsageDay(%s) is %s', (day, ok) => {
    expect(isUsageDay(day)).toBe(ok);
  });

  it('takes the UTC day of an instant, whatever the local offset', () => {
    expect(utcDay(new Date('2025-03-01T23:59:59.999-05:00'))).toBe('2025-03-02');
    expect(utcDay(new Date('2025-03-01T00:00:00.000+01:00'))).toBe('2025-02-28');
  });

  it('adds days across months, leap days and years', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2025-03-30', 400)).toBe('2026-05-04');
  });

  it('counts the days of a range, both ends included', () => {
    expect(daysInRange('2025-03-01', '2025-03-01')).toBe(1);
    expect(daysInRange('2025-01-01', '2025-12-31')).toBe(365);
    expect(daysInRange('2025-03-02', '2025-03-01')).toBe(0);
  });

  it('closes a day the grace period after the midnight that ends it', () => {
    expect(dayClosesAt('2025-03-01', 60).toISOString()).toBe('2025-03-02T01:00:00.000Z');
    expect(isDayClosable('2025-03-01', new Date('2025-03-02T00:59:59.999Z'), 60)).toBe(false);
    expect(isDayClosable('2025-03-01', new Date('2025-03-02T01:00:00.000Z'), 60)).toBe(true);
    expect(isDayClosable('2025-03-01', new Date('2025-03-02T00:00:00.000Z'), 0)).toBe(true);
  });
});
