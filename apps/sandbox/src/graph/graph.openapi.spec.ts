import { randomUUID } from 'node:crypto';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { startTestSandbox } from '../../../../test/support/sandbox';
import type { RunningSandbox } from '../sandbox.server';
import { GRAPH_SANDBOX_DIRECTORY_SIZE } from './graph.fixtures';
import { GraphTestTenant } from './graph.test-helpers';

const SPEC = resolve(__dirname, '../../specs/graph/backupRestore.v1.0.derived.openapi.yaml');
const HOUR = 3600_000;

/** Validates bodies against `components/schemas/<name>` of the derived OpenAPI (vendor-specs/README.md). */
function schemaValidator(): (name: string, body: unknown) => void {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const f of ['duration', 'base64url', 'int32', 'int64']) ajv.addFormat(f, true);
  const doc = parse(readFileSync(SPEC, 'utf8'));
  ajv.addSchema({ components: doc.components }, 'spec');
  const cache = new Map<string, ValidateFunction>();
  return (name, body) => {
    let v = cache.get(name);
    if (!v) {
      v = ajv.getSchema(`spec#/components/schemas/${name}`)!;
      if (!v) throw new Error(`no schema ${name}`);
      cache.set(name, v);
    }
    if (!v(body)) throw new Error(`${name}: ${ajv.errorsText(v.errors)}\n${JSON.stringify(body, null, 1).slice(0, 2000)}`);
  };
}

describe('graph sandbox: responses validate against the derived OpenAPI schemas', () => {
  let sandbox: RunningSandbox;
  let validate: (name: string, body: unknown) => void;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
    validate = schemaValidator();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('knows the schemas it validates against and rejects a malformed body (the check can fail)', () => {
    expect(() => validate('microsoft.graph.sharePointProtectionPolicy', { id: 'x', status: 'sleeping' })).toThrow(/status/);
    expect(() => validate('microsoft.graph.ODataErrors.ODataError', { error: { code: 'x' } })).toThrow(/message/);
  });

  it('the service root and enable', async () => {
    const t = await GraphTestTenant.create(sandbox.origin);
    const root = await t.call('GET', '');
    expect(root.body.serviceStatus.status).toBe('enabled');
    validate('microsoft.graph.backupRestoreRoot', root.body);
    validate('microsoft.graph.serviceStatus', (await t.call('POST', '/enable', { appOwnerTenantId: t.tenantId })).body);
  });

  it('policies, units and policy-level errors', async () => {
    const t = await GraphTestTenant.create(sandbox.origin);
    const users = t.users(2);
    const sp = await t.call('POST', '/sharePointProtectionPolicies', {
      displayName: 'sp',
      siteProtectionUnits: t.sites(3).map((s) => ({ siteId: s.siteId })),
    });
    validate('microsoft.graph.sharePointProtectionPolicy', sp.body);
    const od = await t.call('POST', '/oneDriveForBusinessProtectionPolicies', {
      displayName: 'od',
      driveProtectionUnits: users.map((u) => ({ directoryObjectId: u.directoryObjectId })),
    });
    validate('microsoft.graph.oneDriveForBusinessProtectionPolicy', od.body);
    const ex = await t.call('POST', '/exchangeProtectionPolicies', {
      displayName: 'ex',
      mailboxProtectionUnits: users.map((u) => ({ directoryObjectId: u.directoryObjectId })),
    });
    validate('microsoft.graph.exchangeProtectionPolicy', ex.body);

    const activated = await t.call('POST', `/protectionPolicies/${sp.body.id}/activate`);
    validate('microsoft.graph.protectionPolicyBase', activated.body);
    await t.control.advanceClock(1000);
    validate('microsoft.graph.protectionPolicyBaseCollectionResponse', (await t.call('GET', '/protectionPolicies')).body);
    validate(
      'microsoft.graph.sharePointProtectionPolicyCollectionResponse',
      (await t.call('GET', '/sharePointProtectionPolicies?$expand=siteProtectionUnits')).body,
    );
    validate(
      'microsoft.graph.siteProtectionUnitCollectionResponse',
      (await t.call('GET', `/sharePointProtectionPolicies/${sp.body.id}/siteProtectionUnits?$top=2`)).body,
    );
    validate('microsoft.graph.driveProtectionUnitCollectionResponse', (await t.call('GET', '/driveProtectionUnits')).body);
    validate('microsoft.graph.mailboxProtectionUnitCollectionResponse', (await t.call('GET', '/mailboxProtectionUnits')).body);
    validate('microsoft.graph.protectionUnitBaseCollectionResponse', (await t.call('GET', '/protectionUnits')).body);
    const [unit] = (await t.call('GET', '/siteProtectionUnits')).body.value;
    validate('microsoft.graph.siteProtectionUnit', (await t.call('GET', `/siteProtectionUnits/${unit.id}`)).body);

    const patched = await t.call('PATCH', `/sharePointProtectionPolicies/${sp.body.id}`, {
      'siteProtectionUnits@delta': [{ siteId: t.sites(4)[3].siteId }],
    });
    validate('microsoft.graph.sharePointProtectionPolicy', patched.body);

    for (const res of [
      await t.call('POST', '/sharePointProtectionPolicies', { displayName: '' }),
      await t.call('GET', '/protectionPolicies/nope'),
      await t.call('POST', `/protectionPolicies/${sp.body.id}/activate`),
      await fetch(`${t.api}/protectionPolicies`).then(async (r) => ({ body: await r.json() })),
    ])
      validate('microsoft.graph.ODataErrors.ODataError', res.body);
  });

  it('restore points, search, sessions and artifacts (succeeded and failed)', async () => {
    const t = await GraphTestTenant.create(sandbox.origin);
    const policyId = await t.sharePointPolicy(2, GRAPH_SANDBOX_DIRECTORY_SIZE - 11);
    await t.activateAndSettle(policyId);
    await t.control.advanceClock(2 * HOUR);
    const units = (await t.call('GET', `/sharePointProtectionPolicies/${policyId}/siteProtectionUnits`)).body.value;

    const list = await t.call('GET', await t.restorePointsPath(units[0].id));
    validate('microsoft.graph.restorePointCollectionResponse', list.body);
    validate('microsoft.graph.restorePoint', (await t.call('GET', `/restorePoints/${list.body.value[0].id}?$expand=protectionUnit`)).body);
    const now = (await t.control.advanceClock(0)).now;
    const search = await t.call('POST', '/restorePoints/search', {
      protectionUnitIds: units.map((u: any) => u.id),
      protectionTimePeriod: { startDateTime: new Date(Date.parse(now) - 3 * HOUR).toISOString(), endDateTime: now },
      restorePointPreference: 'latest',
      tags: 'fastRestore',
    });
    validate('microsoft.graph.restorePointSearchResponse', search.body);

    const points = search.body.searchResults.map((r: any) => r.restorePoint.id);
    const created = await t.call('POST', '/sharePointRestoreSessions', {
      siteRestoreArtifacts: points.map((id: string) => ({ restorePoint: { '@odata.id': id }, destinationType: 'new' })),
    });
    validate('microsoft.graph.sharePointRestoreSession', created.body);
    validate('microsoft.graph.restoreSessionBase', (await t.call('POST', `/restoreSessions/${created.body.id}/activate`)).body);
    await t.control.advanceClock(400);
    validate(
      'microsoft.graph.siteRestoreArtifactCollectionResponse',
      (await t.call('GET', `/sharePointRestoreSessions/${created.body.id}/siteRestoreArtifacts`)).body,
    );
    await t.control.advanceClock(2000);
    const done = await t.call('GET', `/sharePointRestoreSessions/${created.body.id}?$expand=siteRestoreArtifacts`);
    expect(done.body.status).toBe('completedWithError');
    validate('microsoft.graph.sharePointRestoreSession', done.body);
    validate(
      'microsoft.graph.siteRestoreArtifactCollectionResponse',
      (await t.call('GET', `/sharePointRestoreSessions/${created.body.id}/siteRestoreArtifacts?$expand=restorePoint`)).body,
    );
    validate('microsoft.graph.restoreSessionBaseCollectionResponse', (await t.call('GET', '/restoreSessions')).body);
    validate('microsoft.graph.sharePointRestoreSessionCollectionResponse', (await t.call('GET', '/sharePointRestoreSessions')).body);
    validate(
      'microsoft.graph.ODataErrors.ODataError',
      (await t.call('POST', '/sharePointRestoreSessions', { siteRestoreArtifacts: [] })).body,
    );
  });

  it('OneDrive and Exchange sessions and artifacts', async () => {
    const t = await GraphTestTenant.create(sandbox.origin);
    const [user] = t.users(1);
    const drive = (
      await t.call('POST', '/oneDriveForBusinessProtectionPolicies', {
        displayName: 'd',
        driveProtectionUnits: [{ directoryObjectId: user.directoryObjectId }],
      })
    ).body.id;
    const mail = (
      await t.call('POST', '/exchangeProtectionPolicies', {
        displayName: 'm',
        mailboxProtectionUnits: [{ directoryObjectId: user.directoryObjectId }],
      })
    ).body.id;
    await t.activateAndSettle(drive);
    await t.activateAndSettle(mail);
    const [dp] = await t.latestPoints(drive, 'oneDriveForBusinessProtectionPolicies', 'driveProtectionUnits');
    const [mp] = await t.latestPoints(mail, 'exchangeProtectionPolicies', 'mailboxProtectionUnits');
    const ds = await t.call('POST', '/oneDriveForBusinessRestoreSessions', {
      driveRestoreArtifacts: [{ restorePoint: { '@odata.id': dp }, destinationType: 'new' }],
    });
    const ms = await t.call('POST', '/exchangeRestoreSessions', {
      mailboxRestoreArtifacts: [{ restorePoint: { '@odata.id': mp }, destinationType: 'inPlace' }],
    });
    validate('microsoft.graph.oneDriveForBusinessRestoreSession', ds.body);
    validate('microsoft.graph.exchangeRestoreSession', ms.body);
    await t.call('POST', `/restoreSessions/${ds.body.id}/activate`);
    await t.call('POST', `/restoreSessions/${ms.body.id}/activate`);
    await t.control.advanceClock(2000);
    validate(
      'microsoft.graph.driveRestoreArtifactCollectionResponse',
      (await t.call('GET', `/oneDriveForBusinessRestoreSessions/${ds.body.id}/driveRestoreArtifacts`)).body,
    );
    validate(
      'microsoft.graph.mailboxRestoreArtifactCollectionResponse',
      (await t.call('GET', `/exchangeRestoreSessions/${ms.body.id}/mailboxRestoreArtifacts`)).body,
    );
    validate(
      'microsoft.graph.oneDriveForBusinessRestoreSessionCollectionResponse',
      (await t.call('GET', '/oneDriveForBusinessRestoreSessions?$expand=driveRestoreArtifacts')).body,
    );
    validate('microsoft.graph.exchangeRestoreSessionCollectionResponse', (await t.call('GET', '/exchangeRestoreSessions')).body);
  });

  it('inclusion rules of the three kinds, their collections and errors', async () => {
    const t = await GraphTestTenant.create(sandbox.origin);
    const [user] = t.users(1);
    const group = randomUUID();
    const expr = `(memberOf -any (group.id -in ['${group}']))`;
    const sp = await t.sharePointPolicy(1);
    const od = (
      await t.call('POST', '/oneDriveForBusinessProtectionPolicies', {
        displayName: 'd',
        driveProtectionUnits: [{ directoryObjectId: user.directoryObjectId }],
      })
    ).body.id;
    const ex = (
      await t.call('POST', '/exchangeProtectionPolicies', {
        displayName: 'm',
        mailboxProtectionUnits: [{ directoryObjectId: user.directoryObjectId }],
      })
    ).body.id;
    const kinds = [
      ['sharePointProtectionPolicies', sp, 'siteInclusionRules', 'siteExpression', 'siteProtectionRule'],
      ['oneDriveForBusinessProtectionPolicies', od, 'driveInclusionRules', 'driveExpression', 'driveProtectionRule'],
      ['exchangeProtectionPolicies', ex, 'mailboxInclusionRules', 'mailboxExpression', 'mailboxProtectionRule'],
    ];
    for (const [policies, policyId, rules, property, type] of kinds) {
      const created = await t.call('POST', `/${policies}/${policyId}/${rules}`, { [property]: expr });
      validate(`microsoft.graph.${type}`, created.body);
      validate('microsoft.graph.protectionRuleBase', (await t.call('POST', `/${rules}/${created.body.id}/run`)).body);
      await t.control.advanceClock(1000);
      validate(`microsoft.graph.${type}`, (await t.call('GET', `/${rules}/${created.body.id}`)).body);
      validate(`microsoft.graph.${type}CollectionResponse`, (await t.call('GET', `/${rules}`)).body);
      validate(`microsoft.graph.${type}CollectionResponse`, (await t.call('GET', `/${policies}/${policyId}/${rules}`)).body);
      validate('microsoft.graph.ODataErrors.ODataError', (await t.call('GET', `/${rules}/nope`)).body);
    }
  });
});
