import { randomUUID } from 'node:crypto';
import { startTestSandbox } from '../../../../test/support/sandbox';
import type { RunningSandbox } from '../sandbox.server';
import { graphSandboxGroupId, graphSandboxGroupMembers, graphSandboxSite, graphSandboxUser } from './graph.fixtures';
import { groupIdsOf } from './graph.rule.routes';
import { GraphTestTenant } from './graph.test-helpers';

const expression = (...groupIds: string[]) => `(memberOf -any (group.id -in [${groupIds.map((g) => `'${g}'`).join(', ')}]))`;
const error = (code: string, message: string) => ({ error: expect.objectContaining({ code, message }) });

describe('graph sandbox: inclusion rules (seed 000 §Create / Get / Update Inclusion Rule)', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('parses the group expression of the Graph docs and nothing else', () => {
    const g = randomUUID();
    expect(groupIdsOf(`(memberOf -any (group.id -in ['${g}']))`)).toEqual([g]);
    expect(groupIdsOf(expression(g, g.toUpperCase()))).toEqual([g, g]);
    expect(groupIdsOf('(memberOf -any (group.id -in []))')).toBeUndefined();
    expect(groupIdsOf("(memberOf -any (group.id -in ['not-a-guid']))")).toBeUndefined();
    expect(groupIdsOf('displayName eq x')).toBeUndefined();
    expect(groupIdsOf(42)).toBeUndefined();
  });

  it('a drive rule goes draft -> active (run) -> completed on the sandbox clock and adds the group members as units', async () => {
    // An hour-long run, so the active step is visible whatever the wall clock does between requests.
    const t = await GraphTestTenant.create(sandbox.origin, { ruleRunMs: 3_600_000 });
    const policy = await t.call('POST', '/oneDriveForBusinessProtectionPolicies', {
      displayName: 'Drives',
      driveProtectionUnits: [{ directoryObjectId: t.users(1)[0].directoryObjectId }],
    });
    const group = graphSandboxGroupId(t.tenantId, 1);
    const created = await t.call('POST', `/oneDriveForBusinessProtectionPolicies/${policy.body.id}/driveInclusionRules`, {
      driveExpression: expression(group),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      '@odata.type': '#microsoft.graph.driveProtectionRule',
      driveExpression: expression(group),
      status: 'draft',
      isAutoApplyEnabled: false,
      error: null,
    });
    const id = created.body.id;

    const run = await t.call('POST', `/driveInclusionRules/${id}/run`);
    expect(run.status).toBe(200);
    expect(run.body.status).toBe('active');
    await t.control.advanceClock(60_000);
    expect((await t.call('GET', `/driveInclusionRules/${id}`)).body.status).toBe('active');
    await t.control.advanceClock(3_600_000);
    expect((await t.call('GET', `/driveInclusionRules/${id}`)).body.status).toBe('completed');

    const units = await t.call('GET', `/oneDriveForBusinessProtectionPolicies/${policy.body.id}/driveProtectionUnits`);
    const members = graphSandboxGroupMembers(t.tenantId, group).map((i) => graphSandboxUser(t.tenantId, i).directoryObjectId);
    expect(members).toHaveLength(5);
    expect(units.body.value.map((u: any) => u.directoryObjectId).sort()).toEqual([t.users(1)[0].directoryObjectId, ...members].sort());

    const listed = await t.call('GET', `/oneDriveForBusinessProtectionPolicies/${policy.body.id}/driveInclusionRules`);
    expect(listed.body.value.map((r: any) => r.id)).toEqual([id]);
    expect((await t.call('GET', `/oneDriveForBusinessProtectionPolicies/${policy.body.id}/driveInclusionRules/${id}`)).status).toBe(200);
    expect((await t.call('GET', '/driveInclusionRules')).body.value.map((r: any) => r.id)).toEqual([id]);
  });

  it('a site rule created at the root collection belongs to the service policy; a member protected elsewhere ends completedWithErrors', async () => {
    const t = await GraphTestTenant.create(sandbox.origin);
    const group = graphSandboxGroupId(t.tenantId, 0);
    // site 0 is a member of group 0 and already protected by this policy; that is not an error.
    const policyId = await t.sharePointPolicy(1);
    const rule = await t.call('POST', '/siteInclusionRules', { siteExpression: expression(group) });
    expect(rule.status).toBe(201);
    await t.call('POST', `/siteInclusionRules/${rule.body.id}/run`);
    await t.control.advanceClock(500);
    expect((await t.call('GET', `/siteInclusionRules/${rule.body.id}`)).body).toMatchObject({ status: 'completed', error: null });
    const units = await t.call('GET', `/sharePointProtectionPolicies/${policyId}/siteProtectionUnits`);
    expect(units.body.value.map((u: any) => u.siteId).sort()).toEqual(
      [0, 1, 2, 3, 4].map((i) => graphSandboxSite(t.tenantId, i).siteId).sort(),
    );

    // A mailbox already protected by another Exchange policy cannot be added by a rule of this one.
    const users = [graphSandboxUser(t.tenantId, 10)];
    const first = await t.call('POST', '/exchangeProtectionPolicies', {
      displayName: 'first',
      mailboxProtectionUnits: users.map((u) => ({ directoryObjectId: u.directoryObjectId })),
    });
    const second = await t.call('POST', '/exchangeProtectionPolicies', {
      displayName: 'second',
      mailboxProtectionUnits: [{ directoryObjectId: graphSandboxUser(t.tenantId, 100).directoryObjectId }],
    });
    expect([first.status, second.status]).toEqual([201, 201]);
    const mr = await t.call('POST', `/exchangeProtectionPolicies/${second.body.id}/mailboxInclusionRules`, {
      mailboxExpression: expression(graphSandboxGroupId(t.tenantId, 2)),
    });
    await t.call('POST', `/mailboxInclusionRules/${mr.body.id}/run`);
    await t.control.advanceClock(500);
    const done = await t.call('GET', `/mailboxInclusionRules/${mr.body.id}`);
    expect(done.body).toMatchObject({ status: 'completedWithErrors', error: { code: 'ProtectionUnitAlreadyExists' } });
    const secondUnits = await t.call('GET', `/exchangeProtectionPolicies/${second.body.id}/mailboxProtectionUnits`);
    expect(secondUnits.body.value).toHaveLength(5);
    // Two Exchange policies: a root-level rule has no single policy to belong to.
    expect((await t.call('POST', '/mailboxInclusionRules', { mailboxExpression: expression(randomUUID()) })).body).toEqual(
      error('InvalidInclusionRuleCreateRequest', 'Invalid create request.'),
    );
  });

  it('answers the seed 000 error rows with their exact status, code and message', async () => {
    const t = await GraphTestTenant.create(sandbox.origin);
    const policyId = await t.sharePointPolicy(1);
    const base = `/sharePointProtectionPolicies/${policyId}/siteInclusionRules`;
    for (const body of [{}, { siteExpression: 'everything' }, { driveExpression: expression(randomUUID()) }, []]) {
      const res = await t.call('POST', base, body);
      expect([res.status, res.body]).toEqual([400, error('InvalidInclusionRuleCreateRequest', 'Invalid create request.')]);
    }
    await t.control.configure({ failOperations: ['createRule'] });
    const transient = await t.call('POST', base, { siteExpression: expression(randomUUID()) });
    expect([transient.status, transient.body]).toEqual([500, error('InvalidProtectionRuleDetails', 'Invalid rule details.')]);
    await t.control.configure({ failOperations: [] });
    expect((await t.call('POST', base, { siteExpression: expression(randomUUID()) })).status).toBe(201);

    const get = await t.call('GET', '/siteInclusionRules/not-a-guid');
    expect([get.status, get.body]).toEqual([400, error('InvalidInclusionRuleId', 'Rule id is invalid.')]);
    const patch = await t.call('PATCH', '/siteInclusionRules/not-a-guid', { siteExpression: expression(randomUUID()) });
    expect([patch.status, patch.body]).toEqual([400, error('InvalidInclusionRuleId', 'Rule id is absent.')]);
    for (const [method, path] of [
      ['GET', `/siteInclusionRules/${randomUUID()}`],
      ['PATCH', `/siteInclusionRules/${randomUUID()}`],
      ['DELETE', `/siteInclusionRules/${randomUUID()}`],
      ['POST', `/siteInclusionRules/${randomUUID()}/run`],
    ]) {
      const res = await t.call(method, path, method === 'PATCH' ? {} : undefined);
      expect([res.status, res.body]).toEqual([404, error('ProtectionRuleNotFound', 'Inclusion details not found.')]);
    }
  });

  it('update replaces the expression; delete keeps the units; deleteAndUnprotect removes them', async () => {
    const t = await GraphTestTenant.create(sandbox.origin);
    const policyId = await t.sharePointPolicy(1, 200);
    const base = `/sharePointProtectionPolicies/${policyId}/siteInclusionRules`;
    const a = (await t.call('POST', base, { siteExpression: expression(randomUUID()) })).body.id;
    const patched = await t.call('PATCH', `/siteInclusionRules/${a}`, { siteExpression: expression(graphSandboxGroupId(t.tenantId, 3)) });
    expect(patched.body.siteExpression).toBe(expression(graphSandboxGroupId(t.tenantId, 3)));
    await t.call('POST', `/siteInclusionRules/${a}/run`);
    await t.control.advanceClock(500);
    const units = async () => (await t.call('GET', `/sharePointProtectionPolicies/${policyId}/siteProtectionUnits`)).body.value.length;
    expect(await units()).toBe(6);

    const gone = await t.call('POST', `/siteInclusionRules/${a}/deleteAndUnprotect`, undefined, { prefer: 'include-unknown-enum-members' });
    expect(gone.body.status).toBe('deleteRequested');
    expect((await t.call('GET', `/siteInclusionRules/${a}`)).body.status).toBe('unknownFutureValue');
    await t.control.advanceClock(1000);
    expect((await t.call('GET', `/siteInclusionRules/${a}`)).status).toBe(404);
    expect(await units()).toBe(1);

    const b = (await t.call('POST', base, { siteExpression: expression(graphSandboxGroupId(t.tenantId, 4)) })).body.id;
    await t.call('POST', `/siteInclusionRules/${b}/run`);
    await t.control.advanceClock(500);
    expect((await t.call('DELETE', `/siteInclusionRules/${b}`)).status).toBe(204);
    expect(await units()).toBe(6);
  });

  it('PolicySaveFailed and IncompleteArtifactDeletion are reachable through failOperations', async () => {
    const t = await GraphTestTenant.create(sandbox.origin, { failOperations: ['createPolicy', 'deleteSession'] });
    const created = await t.call('POST', '/sharePointProtectionPolicies', {
      displayName: 'x',
      siteProtectionUnits: [{ siteId: t.sites(1)[0].siteId }],
    });
    expect([created.status, created.body]).toEqual([500, error('PolicySaveFailed', 'An Unknown Error Occurred. Please Try Again.')]);
    await t.control.configure({ failOperations: ['deleteSession'] });
    const policyId = await t.sharePointPolicy(1);
    await t.activateAndSettle(policyId);
    const [point] = await t.latestPoints(policyId);
    const session = await t.call('POST', '/sharePointRestoreSessions', {
      siteRestoreArtifacts: [{ restorePoint: { '@odata.id': point }, destinationType: 'new' }],
    });
    const del = await t.call('DELETE', `/restoreSessions/${session.body.id}`);
    expect([del.status, del.body]).toEqual([500, error('IncompleteArtifactDeletion', 'Unable to delete session, try again')]);
    await t.control.configure({ failOperations: [] });
    expect((await t.call('DELETE', `/restoreSessions/${session.body.id}`)).status).toBe(204);
  });
});
