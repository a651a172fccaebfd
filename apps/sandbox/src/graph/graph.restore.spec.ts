import { randomUUID } from 'node:crypto';
import { startTestSandbox } from '../../../../test/support/sandbox';
import type { RunningSandbox } from '../sandbox.server';
import { GRAPH_SANDBOX_DIRECTORY_SIZE } from './graph.fixtures';
import { GraphTestTenant } from './graph.test-helpers';

const HOUR = 60 * 60 * 1000;
const artifact = (restorePointId: string, destinationType = 'inPlace') => ({
  restorePoint: { '@odata.id': restorePointId },
  destinationType,
});

describe('graph sandbox: restore points and restore sessions', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  /** A tenant with an active SharePoint policy over `n` sites (from `offset`) and its units. */
  async function protectedTenant(n: number, offset = 0, config: Record<string, unknown> = {}) {
    const t = await GraphTestTenant.create(sandbox.origin, config);
    const policyId = await t.sharePointPolicy(n, offset);
    await t.activateAndSettle(policyId);
    const units = (await t.call('GET', `/sharePointProtectionPolicies/${policyId}/siteProtectionUnits?$top=999`)).body.value;
    return { t, policyId, units };
  }

  describe('restore points', () => {
    it('takes a point when a unit becomes protected and one per backup interval of sandbox time', async () => {
      const { t, units } = await protectedTenant(1);
      const unitId = units[0].id;
      const first = await t.call('GET', await t.restorePointsPath(unitId));
      expect(first.status).toBe(200);
      expect(first.body.value).toHaveLength(1);
      expect(first.body.value[0]).toMatchObject({
        tags: 'fastRestore',
        protectionUnit: { id: unitId, siteId: units[0].siteId, policyId: units[0].policyId },
      });
      expect(first.body['@odata.nextLink']).toBeUndefined();

      await t.control.advanceClock(7 * HOUR);
      const newest = await t.call('GET', await t.restorePointsPath(unitId));
      const times = newest.body.value.map((p: any) => Date.parse(p.protectionDateTime));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(times[0] - times[1]).toBe(HOUR);
      const one = await t.call('GET', `/restorePoints/${newest.body.value[0].id}?$expand=protectionUnit`);
      expect(one.body).toMatchObject({ id: newest.body.value[0].id, protectionUnit: { id: unitId } });
    });

    it('lists at most five points, the newest before the `lt` bound, with no nextLink (List restorePoints doc)', async () => {
      const { t, units } = await protectedTenant(1);
      const unitId = units[0].id;
      await t.control.advanceClock(7 * HOUR);
      const newest = await t.call('GET', await t.restorePointsPath(unitId));
      expect(newest.status).toBe(200);
      expect(newest.body.value).toHaveLength(5);
      expect(newest.body['@odata.nextLink']).toBeUndefined();
      const times: number[] = newest.body.value.map((p: any) => Date.parse(p.protectionDateTime));
      expect(times).toEqual([...times].sort((a, b) => b - a));

      // The next five back in time: lt the oldest of the first answer; 8 points in all, so 3 remain.
      const older = await t.call('GET', await t.restorePointsPath(unitId, new Date(times[4]).toISOString()));
      expect(older.body.value).toHaveLength(3);
      expect(older.body['@odata.nextLink']).toBeUndefined();
      const ids = [...newest.body.value, ...older.body.value].map((p: any) => p.id);
      expect(new Set(ids).size).toBe(8);
      expect(older.body.value.every((p: any) => Date.parse(p.protectionDateTime) < times[4])).toBe(true);

      const cut = new Date(times[2] + 1).toISOString();
      const fromCut = await t.call('GET', await t.restorePointsPath(unitId, cut));
      expect(fromCut.body.value.map((p: any) => p.id)).toEqual(ids.slice(2, 7));
      const oldestFirst = await t.call('GET', `${await t.restorePointsPath(unitId)}&$orderby=protectionDateTime asc`);
      expect(oldestFirst.body.value.map((p: any) => p.id)).toEqual([...ids].reverse().slice(0, 5));
    });

    it('refuses list queries the docs do not show: no `lt` $filter, ge/le bounds, no unit $expand (InvalidSearchRequest)', async () => {
      const { t, units } = await protectedTenant(1);
      const unitId = units[0].id;
      const expand = `$expand=protectionUnit($filter=id eq '${unitId}')`;
      for (const path of [
        `/restorePoints?${expand}`,
        `/restorePoints?${expand}&$filter=protectionDateTime le 9999-12-31T23:59:59Z`,
        `/restorePoints?${expand}&$filter=protectionDateTime ge 2020-01-01T00:00:00Z and protectionDateTime lt 2030-01-01T00:00:00Z`,
        `/restorePoints?${expand}&$filter=protectionDateTime lt 2024-13-45T99:00:00Z`,
        `/restorePoints?$filter=protectionUnit/id eq '${unitId}'`,
        `/restorePoints?$expand=protectionUnit&$filter=protectionDateTime lt 2030-01-01T00:00:00Z`,
      ]) {
        const res = await t.call('GET', path);
        expect([path, res.status, res.body.error]).toEqual([
          path,
          400,
          expect.objectContaining({ code: 'InvalidSearchRequest', message: 'Restore point input is invalid' }),
        ]);
      }
    });

    it('stops taking points once a unit is unprotected', async () => {
      const { t, policyId, units } = await protectedTenant(1);
      await t.call('POST', `/protectionPolicies/${policyId}/deactivate`);
      await t.control.advanceClock(500);
      await t.control.advanceClock(5 * HOUR);
      const res = await t.call('GET', await t.restorePointsPath(units[0].id));
      expect(res.body.value).toHaveLength(1);
    });

    it('refuses bad unit ids and too many filter clauses', async () => {
      const { t } = await protectedTenant(1);
      const bad = await t.call('GET', await t.restorePointsPath('nope'));
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ code: 'InvalidProtectionUnitId', message: 'Invalid Protection unit ID' });
      const ids = Array.from({ length: 21 }, () => `id eq '${randomUUID()}'`).join(' or ');
      const long = await t.call(
        'GET',
        `/restorePoints?$expand=protectionUnit($filter=${encodeURIComponent(ids)})&$filter=protectionDateTime lt 2030-01-01T00:00:00Z`,
      );
      expect(long.status).toBe(400);
      expect(long.body.error).toMatchObject({ code: 'FilterLengthExceeded', message: 'Filter length exceeds allowed limit' });
    });

    it('searches the latest or oldest point per unit in a period and lists units without one', async () => {
      const { t, units } = await protectedTenant(2);
      const start = new Date(Date.parse((await t.control.advanceClock(0)).now) - HOUR).toISOString();
      await t.control.advanceClock(3 * HOUR);
      const end = (await t.control.advanceClock(0)).now;
      const unknown = randomUUID();
      const body = {
        protectionUnitIds: [units[0].id, units[1].id, unknown],
        protectionTimePeriod: { startDateTime: start, endDateTime: end },
      };
      const latest = await t.call('POST', '/restorePoints/search', { ...body, restorePointPreference: 'latest' });
      expect(latest.status).toBe(200);
      expect(latest.body.searchResponseId).toEqual(expect.any(String));
      expect(latest.body.noResultProtectionUnitIds).toEqual([unknown]);
      expect(latest.body.searchResults.map((r: any) => r.restorePoint.protectionUnit.id)).toEqual([units[0].id, units[1].id]);
      const oldest = await t.call('POST', '/restorePoints/search', { ...body, restorePointPreference: 'oldest' });
      const l = Date.parse(latest.body.searchResults[0].restorePoint.protectionDateTime);
      const o = Date.parse(oldest.body.searchResults[0].restorePoint.protectionDateTime);
      expect(l - o).toBe(3 * HOUR);

      const tooMany = await t.call('POST', '/restorePoints/search', {
        ...body,
        protectionUnitIds: Array.from({ length: 21 }, () => randomUUID()),
      });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.error).toMatchObject({ code: 'InvalidSearchRequest', message: 'Restore point input is invalid' });
      const reversed = await t.call('POST', '/restorePoints/search', {
        ...body,
        protectionTimePeriod: { startDateTime: end, endDateTime: start },
      });
      expect(reversed.body.error.code).toBe('InvalidSearchRequest');
      const badId = await t.call('POST', '/restorePoints/search', { ...body, protectionUnitIds: ['x'] });
      expect(badId.body.error.code).toBe('InvalidProtectionUnitId');
      // The docs' artifactQuery sample sends only startDateTime: no upper bound.
      const open = await t.call('POST', '/restorePoints/search', {
        protectionUnitIds: [units[0].id],
        protectionTimePeriod: { startDateTime: start },
        restorePointPreference: 'latest',
      });
      expect(open.status).toBe(200);
      expect(open.body.searchResults[0].restorePoint.id).toBe(latest.body.searchResults[0].restorePoint.id);
    });
  });

  describe('restore sessions', () => {
    it('runs draft -> activating -> active -> completed as the sandbox clock passes', async () => {
      const { t, policyId } = await protectedTenant(2);
      const points = await t.latestPoints(policyId);
      const created = await t.call('POST', '/sharePointRestoreSessions', { siteRestoreArtifacts: points.map((p) => artifact(p)) });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        '@odata.type': '#microsoft.graph.sharePointRestoreSession',
        status: 'draft',
        restoreSessionArtifactCount: { total: 2 },
        completedDateTime: null,
      });
      const id = created.body.id;
      const draftArtifacts = await t.call('GET', `/sharePointRestoreSessions/${id}/siteRestoreArtifacts`);
      expect(draftArtifacts.body.value.map((a: any) => a.status)).toEqual(['added', 'added']);

      const activated = await t.call('POST', `/restoreSessions/${id}/activate`);
      expect(activated.status).toBe(200);
      expect(activated.body.status).toBe('activating');
      await t.control.advanceClock(300);
      const active = await t.call('GET', `/restoreSessions/${id}`);
      expect(active.body).toMatchObject({ status: 'active', restoreSessionArtifactCount: { total: 2, inProgress: 2, completed: 0 } });
      await t.control.advanceClock(1500);
      const done = await t.call('GET', `/sharePointRestoreSessions/${id}?$expand=siteRestoreArtifacts`);
      expect(done.body).toMatchObject({
        status: 'completed',
        error: null,
        restoreSessionArtifactCount: { total: 2, completed: 2, failed: 0, inProgress: 0 },
      });
      expect(Date.parse(done.body.completedDateTime)).toBe(Date.parse(activated.body.lastModifiedDateTime) + 1800);
      expect(done.body.siteRestoreArtifacts.map((a: any) => [a.status, a.error])).toEqual([
        ['succeeded', null],
        ['succeeded', null],
      ]);

      const withPoints = await t.call('GET', `/sharePointRestoreSessions/${id}/siteRestoreArtifacts?$expand=restorePoint`);
      expect(withPoints.body.value.map((a: any) => a.restorePoint.id)).toEqual(points);
    });

    it('ends completedWithError when some artifacts are restore-blocked fixtures, failed when all are', async () => {
      const { t, policyId } = await protectedTenant(2, GRAPH_SANDBOX_DIRECTORY_SIZE - 11);
      const [ok, blocked] = await t.latestPoints(policyId);
      const mixed = (
        await t.call('POST', '/sharePointRestoreSessions', { siteRestoreArtifacts: [artifact(ok, 'new'), artifact(blocked, 'new')] })
      ).body.id;
      const allBad = (await t.call('POST', '/sharePointRestoreSessions', { siteRestoreArtifacts: [artifact(blocked)] })).body.id;
      await t.call('POST', `/restoreSessions/${mixed}/activate`);
      await t.control.advanceClock(2000);
      await t.call('POST', `/restoreSessions/${allBad}/activate`);
      await t.control.advanceClock(2000);

      const m = await t.call('GET', `/restoreSessions/${mixed}`);
      expect(m.body).toMatchObject({
        status: 'completedWithError',
        restoreSessionArtifactCount: { completed: 1, failed: 1 },
        error: { code: 'ArtifactCannotBeRestored' },
      });
      const arts = (await t.call('GET', `/sharePointRestoreSessions/${mixed}/siteRestoreArtifacts`)).body.value;
      expect(arts[0]).toMatchObject({ status: 'succeeded', error: null, restoredSiteWebUrl: expect.stringContaining('-restored-') });
      expect(arts[1]).toMatchObject({
        status: 'failed',
        error: {
          code: 'ArtifactCannotBeRestored',
          message:
            'The restore artifact is in an unexpected state such as preservation lock or TenantDivestiture which is blocking the restore.',
        },
      });

      // SOURCE.md §Evolvable enums: `failed` comes after unknownFutureValue.
      expect((await t.call('GET', `/restoreSessions/${allBad}`)).body.status).toBe('unknownFutureValue');
      const opted = await t.call('GET', `/restoreSessions/${allBad}`, undefined, { prefer: 'include-unknown-enum-members' });
      expect(opted.body.status).toBe('failed');
    });

    it.each([
      [
        'no artifacts',
        () => ({ siteRestoreArtifacts: [] }),
        400,
        'InvalidArtifactRequest',
        'There should be at least one restore artifact.',
      ],
      [
        'an unknown destinationType',
        (p: string[]) => ({ siteRestoreArtifacts: [artifact(p[0], 'elsewhere')] }),
        400,
        'InvalidPathType',
        'Restore path type is not present.',
      ],
      [
        'mixed destination types',
        (p: string[]) => ({ siteRestoreArtifacts: [artifact(p[0], 'new'), artifact(p[1], 'inPlace')] }),
        400,
        'DifferentRestoreDestinationType',
        'Different Restore Destination Type.',
      ],
      [
        'an unknown restore point',
        () => ({ siteRestoreArtifacts: [artifact(randomUUID())] }),
        400,
        'InvalidRestorePoint',
        'Restore Point id is invalid or empty.',
      ],
      [
        'the same unit twice',
        (p: string[]) => ({ siteRestoreArtifacts: [artifact(p[0]), artifact(p[0])] }),
        400,
        'DuplicateArtifactInList',
        'The restore artifact requested is already present.',
      ],
    ])('refuses a session with %s', async (_name, body, status, code, message) => {
      const { t, policyId } = await protectedTenant(2);
      const points = await t.latestPoints(policyId);
      const res = await t.call('POST', '/sharePointRestoreSessions', body(points));
      expect(res.status).toBe(status);
      expect(res.body.error).toMatchObject({ code, message });
    });

    it('refuses more than 50 artifacts with 413 on create and 400 on PATCH', async () => {
      const { t, policyId } = await protectedTenant(50);
      const sites = t.sites(51);
      await t.call('PATCH', `/sharePointProtectionPolicies/${policyId}`, { 'siteProtectionUnits@delta': [{ siteId: sites[50].siteId }] });
      await t.control.advanceClock(500);
      const points = await t.latestPoints(policyId);
      expect(points).toHaveLength(51);
      const tooMany = await t.call('POST', '/sharePointRestoreSessions', { siteRestoreArtifacts: points.map((p) => artifact(p)) });
      expect(tooMany.status).toBe(413);
      expect(tooMany.body.error).toMatchObject({ code: 'RestoreArtifactsLimitBreached', message: 'Restore Artifacts limit is breached.' });

      const session = await t.call('POST', '/sharePointRestoreSessions', {
        siteRestoreArtifacts: points.slice(0, 50).map((p) => artifact(p)),
      });
      expect(session.status).toBe(201);
      const patch = await t.call('PATCH', `/sharePointRestoreSessions/${session.body.id}`, {
        'siteRestoreArtifacts@delta': [artifact(points[50])],
      });
      expect(patch.status).toBe(400);
      expect(patch.body.error).toMatchObject({ code: 'RestoreArtifactsLimitBreached', message: 'Restore Artifacts limit is breached.' });
    });

    it('patches, deletes and activates only draft sessions', async () => {
      const { t, policyId } = await protectedTenant(3);
      const points = await t.latestPoints(policyId);
      const id = (await t.call('POST', '/sharePointRestoreSessions', { siteRestoreArtifacts: [artifact(points[0])] })).body.id;
      const patched = await t.call('PATCH', `/sharePointRestoreSessions/${id}`, { 'siteRestoreArtifacts@delta': [artifact(points[1])] });
      expect(patched.status).toBe(200);
      expect(patched.body.restoreSessionArtifactCount.total).toBe(2);
      const dup = await t.call('PATCH', `/sharePointRestoreSessions/${id}`, { 'siteRestoreArtifacts@delta': [artifact(points[1])] });
      expect(dup.body.error).toMatchObject({ code: 'DuplicateArtifactInList' });
      const badPoint = await t.call('PATCH', `/sharePointRestoreSessions/${id}`, {
        'siteRestoreArtifacts@delta': [artifact(randomUUID())],
      });
      expect(badPoint.body.error).toMatchObject({ code: 'InvalidRestorePoint', message: 'Restore Point is invalid.' });
      const empty = await t.call('PATCH', `/sharePointRestoreSessions/${id}`, { 'siteRestoreArtifacts@delta': [] });
      expect(empty.body.error).toMatchObject({ code: 'InvalidArtifactRequest', message: 'Restore Artifacts are null.' });

      const draft = (await t.call('POST', '/sharePointRestoreSessions', { siteRestoreArtifacts: [artifact(points[2])] })).body.id;
      expect((await t.call('DELETE', `/restoreSessions/${draft}`)).status).toBe(204);
      expect((await t.call('GET', `/restoreSessions/${draft}`)).body.error).toMatchObject({
        code: 'RestoreSessionNotFound',
        message: 'Restore Session Not Found.',
      });

      await t.call('POST', `/sharePointRestoreSessions/${id}/activate`);
      const patchActive = await t.call('PATCH', `/sharePointRestoreSessions/${id}`, {
        'siteRestoreArtifacts@delta': [artifact(points[2])],
      });
      expect(patchActive.status).toBe(403);
      expect(patchActive.body.error).toMatchObject({
        code: 'RestoreSessionActionNotAllowed',
        message: 'Restore session can only be patched in Draft state.',
      });
      const deleteActive = await t.call('DELETE', `/restoreSessions/${id}`);
      expect(deleteActive.status).toBe(403);
      expect(deleteActive.body.error.message).toBe('Restore session can only be deleted in Draft state.');
      const again = await t.call('POST', `/restoreSessions/${id}/activate`);
      expect(again.status).toBe(403);
      expect(again.body.error.message).toBe('Restore session can only be activated in Draft state.');
    });

    it('answers InvalidRestoreSessionId for a non-GUID id and RestoreSessionNotFound for an unknown one', async () => {
      const t = await GraphTestTenant.create(sandbox.origin);
      const bad = await t.call('GET', '/restoreSessions/abc');
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ code: 'InvalidRestoreSessionId', message: 'RestoreSessionId is absent.' });
      const missing = await t.call('POST', `/restoreSessions/${randomUUID()}/activate`);
      expect(missing.status).toBe(404);
      expect(missing.body.error).toMatchObject({ code: 'RestoreSessionNotFound', message: 'Unable to get restore session' });
      const badArtifacts = await t.call('GET', '/sharePointRestoreSessions/abc/siteRestoreArtifacts');
      expect(badArtifacts.body.error).toMatchObject({ code: 'InvalidRestoreSessionId', message: 'RestoreSession Id is invalid.' });
    });

    it('refuses a 26th active session with 500 TooManyActiveRestoreSessions, and stuck sessions stay active', async () => {
      const { t, policyId } = await protectedTenant(1, 0, { stuckSessions: true });
      const [point] = await t.latestPoints(policyId);
      const ids: string[] = [];
      for (let i = 0; i < 26; i += 1) {
        ids.push((await t.call('POST', '/sharePointRestoreSessions', { siteRestoreArtifacts: [artifact(point)] })).body.id);
      }
      for (const id of ids.slice(0, 25)) expect((await t.call('POST', `/restoreSessions/${id}/activate`)).status).toBe(200);
      const last = await t.call('POST', `/restoreSessions/${ids[25]}/activate`);
      expect(last.status).toBe(500);
      expect(last.body.error).toMatchObject({
        code: 'TooManyActiveRestoreSessions',
        message: 'Temporary error: Too many active restore sessions.',
      });

      await t.control.advanceClock(24 * HOUR);
      expect((await t.call('GET', `/restoreSessions/${ids[0]}`)).body.status).toBe('active');
      // The same unit restored by two running sessions: the later one's artifact fails (seed 000 §List Restore Artifacts).
      const second = (await t.call('GET', `/sharePointRestoreSessions/${ids[1]}/siteRestoreArtifacts`)).body.value[0];
      expect(second.status).toBe('inProgress');

      await t.control.configure({ stuckSessions: false });
      expect((await t.call('GET', `/restoreSessions/${ids[0]}`)).body.status).toBe('completed');
      const dupArtifact = (await t.call('GET', `/sharePointRestoreSessions/${ids[1]}/siteRestoreArtifacts`)).body.value[0];
      expect(dupArtifact.error.code).toBe('DuplicateArtifactRestoreRequest');
      expect((await t.call('POST', `/restoreSessions/${ids[25]}/activate`)).status).toBe(200);
    });

    it('restores OneDrive and Exchange units through their own session collections', async () => {
      const t = await GraphTestTenant.create(sandbox.origin);
      const users = t.users(1);
      const drive = await t.call('POST', '/oneDriveForBusinessProtectionPolicies', {
        displayName: 'd',
        driveProtectionUnits: [{ directoryObjectId: users[0].directoryObjectId }],
      });
      const mail = await t.call('POST', '/exchangeProtectionPolicies', {
        displayName: 'm',
        mailboxProtectionUnits: [{ directoryObjectId: users[0].directoryObjectId }],
      });
      await t.activateAndSettle(drive.body.id);
      await t.activateAndSettle(mail.body.id);
      const [drivePoint] = await t.latestPoints(drive.body.id, 'oneDriveForBusinessProtectionPolicies', 'driveProtectionUnits');
      const [mailPoint] = await t.latestPoints(mail.body.id, 'exchangeProtectionPolicies', 'mailboxProtectionUnits');

      const wrongKind = await t.call('POST', '/exchangeRestoreSessions', { mailboxRestoreArtifacts: [artifact(drivePoint)] });
      expect(wrongKind.body.error.code).toBe('InvalidRestorePoint');
      const d = await t.call('POST', '/oneDriveForBusinessRestoreSessions', { driveRestoreArtifacts: [artifact(drivePoint, 'new')] });
      const m = await t.call('POST', '/exchangeRestoreSessions', { mailboxRestoreArtifacts: [artifact(mailPoint, 'new')] });
      expect([d.status, m.status]).toEqual([201, 201]);
      await t.call('POST', `/restoreSessions/${d.body.id}/activate`);
      await t.call('POST', `/restoreSessions/${m.body.id}/activate`);
      await t.control.advanceClock(2000);
      const list = await t.call('GET', '/restoreSessions');
      expect(list.body.value.map((s: any) => [s['@odata.type'], s.status])).toEqual([
        ['#microsoft.graph.oneDriveForBusinessRestoreSession', 'completed'],
        ['#microsoft.graph.exchangeRestoreSession', 'completed'],
      ]);
      const mailArtifact = (await t.call('GET', `/exchangeRestoreSessions/${m.body.id}/mailboxRestoreArtifacts`)).body.value[0];
      expect(mailArtifact).toMatchObject({ status: 'succeeded', restoredFolderName: expect.stringMatching(/^Restored-/) });
    });
  });
});
