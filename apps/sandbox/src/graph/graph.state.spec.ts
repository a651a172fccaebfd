import { GraphHttpError } from './graph.errors';
import { graphSandboxSite, graphSandboxUser, GraphDirectory } from './graph.fixtures';
import { matchesFilter, parseFilter } from './graph.odata';
import { RETENTION_MS, restorePointTimes, sessionStatus, type SessionRecord, type UnitRecord } from './graph.state';

const H = 3600_000;
const unit = (periods: UnitRecord['protectedPeriods']): UnitRecord => ({
  id: 'u',
  service: 'sharePoint',
  policyId: 'p',
  resourceId: 'r',
  fixtureIndex: 0,
  restoreBlocked: false,
  status: 'protected',
  protectedPeriods: periods,
  createdAt: 0,
  modifiedAt: 0,
  appId: 'a',
});

describe('graph sandbox state', () => {
  it.each([
    ['one at protection, then one per interval', [{ from: 0 }], 3 * H, [3 * H, 2 * H, H, 0]],
    ['none after the protected period ended', [{ from: 0, to: H + 1 }], 5 * H, [H, 0]],
    ['each protected period restarts the series', [{ from: 0, to: H / 2 }, { from: 2 * H }], 3 * H, [3 * H, 2 * H, 0]],
  ])('restore point times: %s', (_n, periods, now, expected) => {
    expect(restorePointTimes(unit(periods), now, H)).toEqual(expected);
  });

  it('keeps no restore point older than the retention period', () => {
    const times = restorePointTimes(unit([{ from: 0 }]), RETENTION_MS + 2 * H, H);
    expect(times[0]).toBe(RETENTION_MS + 2 * H);
    expect(times[times.length - 1]).toBe(2 * H);
    expect(times).toHaveLength(RETENTION_MS / H + 1);
  });

  it('reports session status from its artifacts once terminal', () => {
    const s: SessionRecord = {
      id: 's',
      service: 'sharePoint',
      createdAt: 0,
      modifiedAt: 0,
      appId: 'a',
      activatedAt: 0,
      activatingMs: 100,
      restoreDurationMs: 100,
      artifacts: [
        { id: 'a1', restorePointId: 'r1', unitId: 'u1', protectionTime: 0, destinationType: 'new', createdAt: 0 },
        {
          id: 'a2',
          restorePointId: 'r2',
          unitId: 'u2',
          protectionTime: 0,
          destinationType: 'new',
          createdAt: 0,
          failure: 'ArtifactCannotBeRestored',
        },
      ],
    };
    expect(sessionStatus(s, 50)).toBe('activating');
    expect(sessionStatus(s, 150)).toBe('active');
    expect(sessionStatus({ ...s, completedAt: 200 }, 200)).toBe('completedWithError');
    expect(sessionStatus({ ...s, completedAt: 200, artifacts: [s.artifacts[0]] }, 200)).toBe('completed');
    expect(sessionStatus({ ...s, completedAt: 200, artifacts: [s.artifacts[1]] }, 200)).toBe('failed');
    expect(sessionStatus({ ...s, activatedAt: undefined }, 500)).toBe('draft');
  });

  it('parses and evaluates the $filter subset (and/or, quoted strings with quotes, datetimes)', () => {
    const f = parseFilter("status eq 'protected' and siteName eq 'O''Brien' or protectionDateTime lt 2024-01-02T00:00:00Z");
    expect(f?.clauseCount).toBe(3);
    const get = (v: Record<string, unknown>) => (p: string) => v[p];
    expect(matchesFilter(f, get({ status: 'protected', siteName: "O'Brien", protectionDateTime: '2025-01-01T00:00:00Z' }), 't')).toBe(true);
    expect(matchesFilter(f, get({ status: 'protected', siteName: 'x', protectionDateTime: '2023-01-01T00:00:00Z' }), 't')).toBe(true);
    expect(matchesFilter(f, get({ status: 'protected', siteName: 'x', protectionDateTime: '2025-01-01T00:00:00Z' }), 't')).toBe(false);
    expect(() => matchesFilter(parseFilter("nope eq 'x'"), get({}), 'siteProtectionUnit')).toThrow(GraphHttpError);
    expect(() => parseFilter('status eq')).toThrow(/Invalid filter clause/);
  });

  it('derives the directory from the tenant id: stable ids, distinct per tenant, Graph-shaped site ids', () => {
    const a = graphSandboxSite('tenant-a', 7);
    expect(a).toEqual(graphSandboxSite('tenant-a', 7));
    expect(a.siteId).not.toBe(graphSandboxSite('tenant-b', 7).siteId);
    expect(a.siteId).toMatch(/^contoso[0-9a-f]{6}\.sharepoint\.com,[0-9a-f-]{36},[0-9a-f-]{36}$/);
    expect([
      graphSandboxSite('t', 289).restoreBlocked,
      graphSandboxSite('t', 290).restoreBlocked,
      graphSandboxUser('t', 299).restoreBlocked,
    ]).toEqual([false, true, true]);
    const dir = new GraphDirectory('t');
    expect(dir.user(graphSandboxUser('t', 3).email)?.index).toBe(3);
    expect(dir.site(a.siteId)).toBeUndefined();
  });
});
