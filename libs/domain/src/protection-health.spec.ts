import { judgeProtection, lastProtectedAt, policyHealth, type ProtectionFacts } from './protection-health';

const now = new Date('2026-12-02T12:00:00Z');
const minutesBefore = (m: number) => new Date(now.getTime() - m * 60_000);

function facts(over: Partial<ProtectionFacts> = {}): ProtectionFacts {
  return {
    itemStatus: 'protected',
    policyActive: true,
    vendorUnprotected: false,
    itemError: null,
    lastRunStatus: 'succeeded',
    lastRunError: null,
    lastSuccessfulBackupAt: minutesBefore(30),
    latestRestorePointAt: null,
    protectedSince: minutesBefore(10_000),
    rpoMinutes: 60,
    now,
    ...over,
  };
}

describe('judgeProtection', () => {
  it('is healthy while the newest successful backup is within the RPO', () => {
    expect(judgeProtection(facts())).toEqual({
      state: 'healthy',
      reason: 'last successful backup at 2026-12-02T11:30:00.000Z, within the RPO of 60 min',
    });
  });

  it('is at risk once the newest successful backup is older than the RPO', () => {
    const j = judgeProtection(facts({ lastSuccessfulBackupAt: minutesBefore(61) }));
    expect(j.state).toBe('atRisk');
    expect(j.reason).toBe('the last successful backup, at 2026-12-02T10:59:00.000Z, is older than the RPO of 60 min');
  });

  it('counts a restore point newer than the last run as a backup (vendors without runs)', () => {
    const j = judgeProtection(facts({ lastRunStatus: null, lastSuccessfulBackupAt: null, latestRestorePointAt: minutesBefore(5) }));
    expect(j.state).toBe('healthy');
  });

  it('is failed when the last run failed, whatever the recency of older backups', () => {
    expect(judgeProtection(facts({ lastRunStatus: 'failed', lastRunError: 'disk full' }))).toEqual({
      state: 'failed',
      reason: 'the last backup run failed: disk full',
    });
  });

  it('is failed when the vendor refused the item', () => {
    expect(judgeProtection(facts({ itemStatus: 'failed', itemError: 'Quota exceeded' })).state).toBe('failed');
  });

  it('is at risk after a run with warnings even within the RPO', () => {
    expect(judgeProtection(facts({ lastRunStatus: 'warning' })).state).toBe('atRisk');
  });

  it('is unprotected when removed, when the policy is inactive, or when the vendor stopped protecting it', () => {
    expect(judgeProtection(facts({ itemStatus: 'removing' })).state).toBe('unprotected');
    expect(judgeProtection(facts({ policyActive: false })).state).toBe('unprotected');
    expect(judgeProtection(facts({ vendorUnprotected: true })).state).toBe('unprotected');
  });

  it('is unknown until the first backup is due, then at risk', () => {
    const none = { lastRunStatus: null, lastSuccessfulBackupAt: null };
    expect(judgeProtection(facts({ ...none, protectedSince: minutesBefore(59) })).state).toBe('unknown');
    expect(judgeProtection(facts({ ...none, protectedSince: minutesBefore(61) })).state).toBe('atRisk');
    expect(judgeProtection(facts({ ...none, itemStatus: 'pending', protectedSince: minutesBefore(600) })).state).toBe('unknown');
  });
});

describe('lastProtectedAt', () => {
  it('takes the newer of the run and the restore point', () => {
    expect(lastProtectedAt({ lastSuccessfulBackupAt: minutesBefore(50), latestRestorePointAt: minutesBefore(10) })).toEqual(
      minutesBefore(10),
    );
    expect(lastProtectedAt({ lastSuccessfulBackupAt: null, latestRestorePointAt: null })).toBeNull();
  });
});

describe('policyHealth', () => {
  it('is the worst problem among its items', () => {
    expect(policyHealth({ healthy: 5, failed: 1, atRisk: 2 }, true)).toBe('failed');
    expect(policyHealth({ healthy: 5, atRisk: 1 }, true)).toBe('atRisk');
  });

  it('is healthy only when every live item is healthy (or unprotected), unknown otherwise', () => {
    expect(policyHealth({ healthy: 3 }, true)).toBe('healthy');
    expect(policyHealth({ healthy: 3, unknown: 1 }, true)).toBe('unknown');
    expect(policyHealth({}, true)).toBe('unknown');
  });

  it('is unprotected when the policy is inactive or every item is unprotected', () => {
    expect(policyHealth({ healthy: 3 }, false)).toBe('unprotected');
    expect(policyHealth({ unprotected: 2 }, true)).toBe('unprotected');
  });
});
