import { startTestSandbox } from '../../../../test/support/sandbox';
import type { RunningSandbox } from '../sandbox.server';
import { injectedErrors, INJECTABLE_UNIT_ERRORS } from './graph.faults';
import { GraphTestTenant } from './graph.test-helpers';

describe('graph sandbox: per-unit errors injected by scope config (seed 000 §Get Protection unit)', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('keeps only the codes seed 000 lists, keyed case-insensitively', () => {
    expect(injectedErrors({ ABC: 'QuotaExceeded', def: 'NotACode', ghi: 'UnknownError' }, INJECTABLE_UNIT_ERRORS)).toEqual({
      abc: 'QuotaExceeded',
      ghi: 'UnknownError',
    });
    expect(injectedErrors(['QuotaExceeded'], INJECTABLE_UNIT_ERRORS)).toEqual({});
  });

  it('a unit with an injected error carries the seed error body, never completes protection, and the active policy reads activeWithErrors', async () => {
    const t = await GraphTestTenant.create(sandbox.origin);
    const [bad, good] = t.sites(2);
    await t.control.configure({ unitErrors: { [bad.siteId]: 'QuotaExceeded' } });
    const id = await t.sharePointPolicy(2);
    expect((await t.call('POST', `/sharePointProtectionPolicies/${id}/activate`)).status).toBe(202);
    await t.control.advanceClock(60_000);

    const policy = await t.call('GET', `/protectionPolicies/${id}`);
    expect(policy.body).toMatchObject({
      status: 'activeWithErrors',
      protectionPolicyArtifactCount: { total: 2, completed: 1, inProgress: 0, failed: 1 },
    });
    const units = (await t.call('GET', `/sharePointProtectionPolicies/${id}/siteProtectionUnits`)).body.value;
    const of = (siteId: string) => units.find((u: any) => u.siteId === siteId);
    expect(of(good.siteId)).toMatchObject({ status: 'protected', error: null });
    expect(of(bad.siteId)).toMatchObject({
      status: 'protectRequested',
      error: { code: 'QuotaExceeded', message: 'You have exceeded the backup quota.' },
    });
    // An active-with-errors policy can still be deactivated (seed 000 §Deactivate asks only for an active one).
    expect((await t.call('POST', `/protectionPolicies/${id}/deactivate`)).status).toBe(202);
  });

  it('stoppedBackups: a listed unit still reads protected but takes no restore points until unlisted, then takes them again', async () => {
    const t = await GraphTestTenant.create(sandbox.origin);
    const [site] = t.sites(1);
    const id = await t.sharePointPolicy(1);
    await t.activateAndSettle(id);
    const unit = (await t.call('GET', `/sharePointProtectionPolicies/${id}/siteProtectionUnits`)).body.value[0];
    const newest = async () => (await t.call('GET', await t.restorePointsPath(unit.id))).body.value[0].protectionDateTime as string;
    const HOUR = 60 * 60_000;
    await t.control.advanceClock(2 * HOUR + 1000);
    const beforeStop = await newest();

    await t.control.configure({ stoppedBackups: [site.siteId.toUpperCase()] });
    await t.call('GET', `/protectionPolicies/${id}`); // the next request of the tenant applies the fault
    await t.control.advanceClock(5 * HOUR);
    expect(await newest()).toBe(beforeStop);
    expect((await t.call('GET', `/sharePointProtectionPolicies/${id}/siteProtectionUnits`)).body.value[0]).toMatchObject({
      status: 'protected',
      error: null,
    });

    await t.control.configure({ stoppedBackups: [] });
    const resumedAt = (await t.control.advanceClock(0)).now;
    await t.control.advanceClock(HOUR + 1000);
    expect(Date.parse(await newest())).toBeGreaterThanOrEqual(Date.parse(resumedAt));
  });

  it('a protected unit that gets an injected error takes no new restore points while it carries it', async () => {
    const t = await GraphTestTenant.create(sandbox.origin);
    const [site] = t.sites(1);
    const id = await t.sharePointPolicy(1);
    await t.activateAndSettle(id);
    const unit = (await t.call('GET', `/sharePointProtectionPolicies/${id}/siteProtectionUnits`)).body.value[0];
    await t.control.configure({ unitErrors: { [site.siteId]: 'UnknownError' } });
    const newest = async () => (await t.call('GET', await t.restorePointsPath(unit.id))).body.value[0].protectionDateTime as string;
    const first = await newest();
    await t.control.advanceClock(3 * 60 * 60_000);
    expect(await newest()).toBe(first);
    expect((await t.call('GET', `/sharePointProtectionPolicies/${id}/siteProtectionUnits`)).body.value[0].error).toMatchObject({
      code: 'UnknownError',
    });
  });
});
