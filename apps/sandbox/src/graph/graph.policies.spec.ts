import { randomUUID } from 'node:crypto';
import { startTestSandbox } from '../../../../test/support/sandbox';
import type { RunningSandbox } from '../sandbox.server';
import { GraphTestTenant } from './graph.test-helpers';

describe('graph sandbox: protection policies and units', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });
  const tenant = () => GraphTestTenant.create(sandbox.origin);

  it('creates an inactive SharePoint policy whose units wait in protectRequested', async () => {
    const t = await tenant();
    const sites = t.sites(3);
    const res = await t.call('POST', '/sharePointProtectionPolicies', {
      displayName: 'Sites',
      siteProtectionUnits: sites.map((s) => ({ siteId: s.siteId })),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-location')).toBe(`${t.api}/protectionPolicies/${res.body.id}`);
    expect(res.body).toMatchObject({
      '@odata.type': '#microsoft.graph.sharePointProtectionPolicy',
      displayName: 'Sites',
      status: 'inactive',
      isEnabled: false,
    });
    expect(res.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const units = await t.call('GET', `/sharePointProtectionPolicies/${res.body.id}/siteProtectionUnits`);
    expect(units.status).toBe(200);
    expect(units.body.value.map((u: any) => [u.siteId, u.siteWebUrl, u.status, u.policyId])).toEqual(
      sites.map((s) => [s.siteId, s.webUrl, 'protectRequested', res.body.id]),
    );
    await t.control.advanceClock(10_000);
    const later = await t.call('GET', `/siteProtectionUnits?$filter=policyId eq '${res.body.id}'`);
    expect(later.body.value.map((u: any) => u.status)).toEqual(['protectRequested', 'protectRequested', 'protectRequested']);
  });

  it('creates OneDrive and Exchange policies from directoryObjectId', async () => {
    const t = await tenant();
    const users = t.users(2);
    const drive = await t.call('POST', '/oneDriveForBusinessProtectionPolicies', {
      displayName: 'Drives',
      driveProtectionUnits: users.map((u) => ({ directoryObjectId: u.directoryObjectId })),
    });
    expect(drive.status).toBe(201);
    const mail = await t.call('POST', '/exchangeProtectionPolicies', {
      displayName: 'Mail',
      mailboxProtectionUnits: users.map((u) => ({ directoryObjectId: u.directoryObjectId })),
    });
    expect(mail.status).toBe(201);
    const all = await t.call('GET', '/protectionUnits');
    expect(all.body.value.map((u: any) => [u['@odata.type'], u.email])).toEqual([
      ['#microsoft.graph.driveProtectionUnit', users[0].email],
      ['#microsoft.graph.driveProtectionUnit', users[1].email],
      ['#microsoft.graph.mailboxProtectionUnit', users[0].email],
      ['#microsoft.graph.mailboxProtectionUnit', users[1].email],
    ]);
    const policies = await t.call('GET', '/protectionPolicies');
    expect(policies.body.value.map((p: any) => p['@odata.type'])).toEqual([
      '#microsoft.graph.oneDriveForBusinessProtectionPolicy',
      '#microsoft.graph.exchangeProtectionPolicy',
    ]);
  });

  it.each([
    ['an array body', [], 400, 'InvalidCreateRequest', 'Create Request Is Null, Invalid Or Its Size Is Too big.'],
    [
      'no displayName',
      { siteProtectionUnits: [{}] },
      400,
      'InvalidDisplayName',
      'Please Ensure Policy Name Length Should Be > 0 chars And <= 1024 chars.',
    ],
    [
      'a 1025-char displayName',
      { displayName: 'x'.repeat(1025), siteProtectionUnits: [{}] },
      400,
      'InvalidDisplayName',
      'Please Ensure Policy Name Length Should Be > 0 chars And <= 1024 chars.',
    ],
    ['an empty unit list', { displayName: 'p', siteProtectionUnits: [] }, 400, 'EmptyProtectionUnitList', 'Protection Unit list Is empty.'],
    [
      'an unknown siteId',
      { displayName: 'p', siteProtectionUnits: [{ siteId: 'contoso.sharepoint.com,nope,nope' }] },
      400,
      'InvalidProtectionUnitId',
      'Protection Unit Id Is Invalid.',
    ],
  ])('refuses a create request with %s', async (_name, body, status, code, message) => {
    const t = await tenant();
    const res = await t.call('POST', '/sharePointProtectionPolicies', body);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ code, message });
  });

  it('refuses more than 50 units in one request with 413 ProtectionUnitsLimitBreached, and duplicates with DuplicateProtectionUnitInList', async () => {
    const t = await tenant();
    const sites = t.sites(51);
    const tooMany = await t.call('POST', '/sharePointProtectionPolicies', {
      displayName: 'p',
      siteProtectionUnits: sites.map((s) => ({ siteId: s.siteId })),
    });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error).toMatchObject({
      code: 'ProtectionUnitsLimitBreached',
      message: 'Number Of Protection Units In Each Request Must Not Exceed 50.',
    });
    const fifty = await t.call('POST', '/sharePointProtectionPolicies', {
      displayName: 'p',
      siteProtectionUnits: sites.slice(0, 50).map((s) => ({ siteId: s.siteId })),
    });
    expect(fifty.status).toBe(201);

    const dup = await t.call('POST', '/exchangeProtectionPolicies', {
      displayName: 'p',
      mailboxProtectionUnits: [
        { directoryObjectId: t.users(1)[0].directoryObjectId },
        { directoryObjectId: t.users(1)[0].directoryObjectId },
      ],
    });
    expect(dup.status).toBe(400);
    expect(dup.body.error.code).toBe('DuplicateProtectionUnitInList');
  });

  it('moves a policy inactive -> updating -> active on activate, protects its units, and allows one active policy per service', async () => {
    const t = await tenant();
    const id = await t.sharePointPolicy(2);
    const act = await t.call('POST', `/sharePointProtectionPolicies/${id}/activate`);
    expect(act.status).toBe(202);
    expect(act.body).toMatchObject({ id, status: 'updating', isEnabled: true });
    expect((await t.call('GET', `/protectionPolicies/${id}`)).body.status).toBe('updating');

    await t.control.advanceClock(500);
    const active = await t.call('GET', `/protectionPolicies/${id}`);
    expect(active.body).toMatchObject({
      status: 'active',
      protectionPolicyArtifactCount: { total: 2, completed: 2, inProgress: 0, failed: 0 },
    });
    const units = await t.call('GET', `/sharePointProtectionPolicies/${id}/siteProtectionUnits`);
    expect(units.body.value.map((u: any) => u.status)).toEqual(['protected', 'protected']);

    const again = await t.call('POST', `/protectionPolicies/${id}/activate`);
    expect(again.status).toBe(403);
    expect(again.body.error).toMatchObject({
      code: 'PolicyActionNotAllowed',
      message: "Can't activate policy. The policy is not in correct state. Please make sure the policy is in Inactive state.",
    });

    const second = await t.call('POST', '/sharePointProtectionPolicies', {
      displayName: 'second',
      siteProtectionUnits: [{ siteId: t.sites(3)[2].siteId }],
    });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({
      code: 'PolicyCreationNotAllowed',
      message: "Can't Create Policy. Another active Policy already Exists.",
    });
    const otherService = await t.call('POST', '/exchangeProtectionPolicies', {
      displayName: 'mail',
      mailboxProtectionUnits: [{ directoryObjectId: t.users(1)[0].directoryObjectId }],
    });
    expect(otherService.status).toBe(201);
  });

  it('deactivates only an active policy and deletes only an inactive one', async () => {
    const t = await tenant();
    const id = await t.sharePointPolicy(2);
    const early = await t.call('POST', `/protectionPolicies/${id}/deactivate`);
    expect(early.status).toBe(403);
    expect(early.body.error).toMatchObject({
      code: 'PolicyActionNotAllowed',
      message: 'Policy is not in correct state. Please wait till it comes in active state',
    });

    await t.activateAndSettle(id);
    const del = await t.call('DELETE', `/sharePointProtectionPolicies/${id}`);
    expect(del.status).toBe(403);
    expect(del.body.error.message).toBe(
      "Can't delete policy. Policy current status: Active. Only policy in Inactive status can be deleted.",
    );

    const deact = await t.call('POST', `/sharePointProtectionPolicies/${id}/deactivate`);
    expect(deact.status).toBe(202);
    expect(deact.body.status).toBe('updating');
    expect((await t.call('GET', `/siteProtectionUnits?$filter=status eq 'unprotectRequested'`)).body.value).toHaveLength(2);
    await t.control.advanceClock(500);
    expect((await t.call('GET', `/protectionPolicies/${id}`)).body.status).toBe('inactive');
    expect((await t.call('GET', `/siteProtectionUnits?$filter=status eq 'unprotected'`)).body.value).toHaveLength(2);

    expect((await t.call('DELETE', `/protectionPolicies/${id}`)).status).toBe(204);
    const gone = await t.call('GET', `/protectionPolicies/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ code: 'PolicyNotFound', message: 'Unable to get the Protection Policy.' });
    expect((await t.call('DELETE', `/protectionPolicies/${id}`)).body.error).toMatchObject({
      code: 'PolicyNotFound',
      message: 'Policy not found.',
    });
  });

  it('answers InvalidPolicyId for an id that is not a GUID, per operation message', async () => {
    const t = await tenant();
    const get = await t.call('GET', '/protectionPolicies/not-a-guid');
    expect(get.status).toBe(400);
    expect(get.body.error).toMatchObject({ code: 'InvalidPolicyId', message: 'Policy Id is invalid.' });
    const act = await t.call('POST', '/protectionPolicies/not-a-guid/activate');
    expect(act.body.error).toMatchObject({ code: 'InvalidPolicyId', message: 'Policy Id is absent.' });
    const missing = await t.call('POST', `/protectionPolicies/${randomUUID()}/activate`);
    expect(missing.status).toBe(404);
  });

  it('adds and removes units with siteProtectionUnits@delta, reporting unit-level errors in a 200', async () => {
    const t = await tenant();
    const sites = t.sites(6);
    const id = await t.sharePointPolicy(3);
    await t.activateAndSettle(id);
    const before = await t.call('GET', `/sharePointProtectionPolicies/${id}/siteProtectionUnits`);
    const [first] = before.body.value;

    const res = await t.call('PATCH', `/sharePointProtectionPolicies/${id}`, {
      displayName: 'renamed',
      'siteProtectionUnits@delta': [
        { siteId: sites[3].siteId },
        { siteId: sites[1].siteId },
        { '@removed': { reason: 'changed' }, id: first.id },
        { '@removed': { reason: 'changed' }, id: randomUUID() },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.displayName).toBe('renamed');
    const delta = res.body['siteProtectionUnits@delta'];
    expect(delta[0]).toMatchObject({ siteId: sites[3].siteId, status: 'protectRequested', policyId: id });
    expect(delta[1]['@Core.DataModificationException']).toMatchObject({
      info: { code: 'ProtectionUnitAlreadyExists', message: 'ProtectionUnit level error: ProtectionUnit already exists.' },
      failedOperation: 'add',
    });
    expect(delta[2]).toMatchObject({ id: first.id, status: 'removeRequested' });
    expect(delta[3].error).toEqual({
      code: 'ProtectionUnitNotFound',
      message: 'ProtectionUnit level error: ProtectionUnit does not exist.',
    });
    expect((await t.call('GET', `/protectionPolicies/${id}`)).body.status).toBe('updating');

    await t.control.advanceClock(500);
    const after = await t.call('GET', `/sharePointProtectionPolicies/${id}/siteProtectionUnits`);
    expect(after.body.value.map((u: any) => [u.siteId, u.status])).toEqual([
      [sites[1].siteId, 'protected'],
      [sites[2].siteId, 'protected'],
      [sites[3].siteId, 'protected'],
    ]);
    expect((await t.call('GET', `/protectionPolicies/${id}`)).body.status).toBe('active');
  });

  it('refuses a delta with duplicates or more than 50 units', async () => {
    const t = await tenant();
    const id = await t.sharePointPolicy(1);
    const sites = t.sites(60);
    const dup = await t.call('PATCH', `/sharePointProtectionPolicies/${id}`, {
      'siteProtectionUnits@delta': [{ siteId: sites[5].siteId }, { siteId: sites[5].siteId }],
    });
    expect(dup.status).toBe(400);
    expect(dup.body.error).toMatchObject({
      code: 'DuplicateProtectionUnitInList',
      message: 'Protection Unit level error: duplicate Protection Unit in list.',
    });
    const many = await t.call('PATCH', `/sharePointProtectionPolicies/${id}`, {
      'siteProtectionUnits@delta': sites.slice(1, 52).map((s) => ({ siteId: s.siteId })),
    });
    expect(many.status).toBe(413);
    expect(many.body.error.code).toBe('ProtectionUnitsLimitBreached');
    const missing = await t.call('PATCH', `/sharePointProtectionPolicies/${randomUUID()}`, { displayName: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('PolicyNotFound');
  });

  it('pages unit lists with $top and an absolute @odata.nextLink that keeps the filter', async () => {
    const t = await tenant();
    const id = await t.sharePointPolicy(30);
    const seen: string[] = [];
    let next: string | undefined = `/siteProtectionUnits?$top=12&$filter=policyId eq '${id}'`;
    let pages = 0;
    while (next) {
      const res: any = await t.call('GET', next);
      expect(res.status).toBe(200);
      seen.push(...res.body.value.map((u: any) => u.id));
      next = res.body['@odata.nextLink'];
      if (next) expect(next).toMatch(/^https:\/\/.*\$skiptoken=/);
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(30);
    const counted = await t.call('GET', `/siteProtectionUnits?$top=5&$count=true`);
    expect(counted.body['@odata.count']).toBe(30);
    expect(counted.headers.get('content-type')).toMatch(/^application\/json;odata\.metadata=minimal/);
  });

  it('refuses too many filter clauses with FilterLengthExceeded and gets one unit by id', async () => {
    const t = await tenant();
    const id = await t.sharePointPolicy(1);
    const filter = Array.from({ length: 21 }, () => `id eq '${randomUUID()}'`).join(' or ');
    const res = await t.call('GET', `/sharePointProtectionPolicies/${id}/siteProtectionUnits?$filter=${encodeURIComponent(filter)}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'FilterLengthExceeded', message: 'Filter length exceeds the allowed limit.' });

    const [unit] = (await t.call('GET', '/protectionUnits')).body.value;
    expect((await t.call('GET', `/protectionUnits/${unit.id}`)).body).toMatchObject({ id: unit.id, policyId: id });
    expect((await t.call('GET', '/protectionUnits/nope')).body.error).toMatchObject({
      code: 'InvalidProtectionUnitId',
      message: 'Invalid Protection Unit Id',
    });
    const missing = await t.call('GET', `/siteProtectionUnits/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ProtectionUnitNotFound');
  });
  it('accepts an action with an empty JSON body and answers malformed JSON and unknown segments like Graph', async () => {
    const t = await tenant();
    const id = await t.sharePointPolicy(1);
    const empty = await fetch(`${t.api}/protectionPolicies/${id}/activate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
    });
    expect(empty.status).toBe(202);
    const malformed = await fetch(`${t.api}/sharePointProtectionPolicies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: '{"displayName":',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).error.code).toBe('BadRequest');
    const unknown = await t.call('GET', '/nonsense');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'BadRequest', message: "Resource not found for the segment 'nonsense'." });
  });

  it('refuses to put a site already protected by another policy into a new one', async () => {
    const t = await tenant();
    await t.sharePointPolicy(2);
    const res = await t.call('POST', '/sharePointProtectionPolicies', {
      displayName: 'again',
      siteProtectionUnits: [{ siteId: t.sites(2)[1].siteId }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'ProtectionUnitAlreadyExists',
      message: 'ProtectionUnit level error: ProtectionUnit already exists.',
    });
  });
});
