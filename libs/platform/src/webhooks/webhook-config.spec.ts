import { ConfigError, loadConfig, parseDurationList } from '../config/config';

describe('webhook configuration', () => {
  it('defaults to the documented schedule, timeout and disable delay', () => {
    const c = loadConfig({});
    expect(c.WEBHOOK_RETRY_SCHEDULE).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect([c.WEBHOOK_TIMEOUT_MS, c.WEBHOOK_DISABLE_AFTER_HOURS, c.WEBHOOK_ALLOW_LOCAL_URLS]).toEqual([15_000, 120, false]);
  });

  it('reads WEBHOOK_RETRY_SCHEDULE with units', () => {
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '0, 300ms,1.5s,5m,2h' }).WEBHOOK_RETRY_SCHEDULE).toEqual([
      0, 300, 1500, 300_000, 7_200_000,
    ]);
    expect(parseDurationList('0,5s,5m,30m,2h,5h,10h,10h')).toEqual([
      0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
    ]);
  });

  it.each(['', '5', '0,5x', '0,,5s', '-1s'])('refuses WEBHOOK_RETRY_SCHEDULE=%j naming the variable', (value) => {
    const load = () => loadConfig({ WEBHOOK_RETRY_SCHEDULE: value === '' ? ' ' : value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/WEBHOOK_RETRY_SCHEDULE: must be a comma-separated list of durations/);
  });
});
