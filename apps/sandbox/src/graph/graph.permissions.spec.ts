import { startTestSandbox } from '../../../../test/support/sandbox';
import type { RunningSandbox } from '../sandbox.server';
import { CLIENT_ID, fetchToken, GraphTestTenant } from './graph.test-helpers';

const CONTROL_READ = 'BackupRestore-Control.Read.All';
const CONFIG_READ = 'BackupRestore-Configuration.Read.All';
const CONFIG_RW = 'BackupRestore-Configuration.ReadWrite.All';
const RESTORE_RW = 'BackupRestore-Restore.ReadWrite.All';
const SEARCH = 'BackupRestore-Search.Read.All';

function claims(token: string): { roles: string[] } {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

describe('graph sandbox: app roles (application permissions) and /enable billing errors', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  /** A tenant whose app registration holds exactly `roles`, with a token issued after that consent. */
  async function tenantWith(roles: string[] | Record<string, string[]>): Promise<GraphTestTenant> {
    return GraphTestTenant.create(sandbox.origin, { appRoles: roles });
  }

  it('puts the app registration’s consented roles in the token, per app when configured per client id', async () => {
    const t = await tenantWith({ [CLIENT_ID]: [CONTROL_READ, CONFIG_READ] });
    expect(claims(t.token).roles).toEqual([CONTROL_READ, CONFIG_READ]);
    const other = await fetchToken(sandbox.origin, t.tenantId, undefined, { client_id: 'another-app' });
    expect(claims(other.body.access_token).roles).toEqual(expect.arrayContaining([CONFIG_RW, RESTORE_RW, SEARCH]));
  });

  it('answers 403 naming the required roles when the token has none of them, and lets a Read role read', async () => {
    const t = await tenantWith([CONTROL_READ, CONFIG_READ]);
    expect((await t.call('GET', '')).status).toBe(200);
    expect((await t.call('GET', '/protectionPolicies')).status).toBe(200);
    const create = await t.call('POST', '/sharePointProtectionPolicies', {
      displayName: 'p',
      siteProtectionUnits: [{ siteId: t.sites(1)[0].siteId }],
    });
    expect(create.status).toBe(403);
    expect(create.body.error).toMatchObject({
      code: 'Forbidden',
      message: `Missing role permissions on the request. API requires one of '${CONFIG_RW}'. Roles on the request '${CONTROL_READ}, ${CONFIG_READ}'.`,
    });
    const sessions = await t.call('GET', '/restoreSessions');
    expect(sessions.status).toBe(403);
    expect(sessions.body.error.message).toContain(
      "API requires one of 'BackupRestore-Restore.Read.All, BackupRestore-Restore.ReadWrite.All'",
    );
    const search = await t.call('POST', '/restorePoints/search', {
      protectionUnitIds: ['00000000-0000-0000-0000-000000000000'],
      protectionTimePeriod: { startDateTime: '2024-01-01T00:00:00Z' },
    });
    expect(search.status).toBe(403);
    expect(search.body.error.message).toContain(`API requires one of '${SEARCH}'`);
    const enable = await t.call('POST', '/enable', { appOwnerTenantId: t.tenantId });
    expect(enable.status).toBe(403);
  });

  it('checks permission before the request itself: a write role missing is 403 even for an unknown id', async () => {
    const t = await tenantWith([CONTROL_READ, CONFIG_READ, RESTORE_RW, SEARCH]);
    const nil = '00000000-0000-0000-0000-000000000000';
    expect((await t.call('DELETE', `/protectionPolicies/${nil}`)).status).toBe(403);
    const session = await t.call('DELETE', `/restoreSessions/${nil}`);
    expect([session.status, session.body.error.code]).toEqual([404, 'RestoreSessionNotFound']);
  });

  it('answers /enable with the seed 000 billing errors: 402 BillingProfileNotAvailable, 403 UnableToReadBillingProfile', async () => {
    const t = await GraphTestTenant.create(sandbox.origin);
    const ok = await t.call('POST', '/enable', { appOwnerTenantId: t.tenantId });
    expect([ok.status, ok.body.status]).toEqual([200, 'enabled']);
    await t.control.configure({ billingProfile: 'notAvailable' });
    const missing = await t.call('POST', '/enable', { appOwnerTenantId: t.tenantId });
    expect([missing.status, missing.body.error.code, missing.body.error.message]).toEqual([
      402,
      'BillingProfileNotAvailable',
      'Configure the billing profile',
    ]);
    await t.control.configure({ billingProfile: 'unreadable' });
    const unreadable = await t.call('POST', '/enable', { appOwnerTenantId: t.tenantId });
    expect([unreadable.status, unreadable.body.error.code, unreadable.body.error.message]).toEqual([
      403,
      'UnableToReadBillingProfile',
      'Unable to read billing profile from billing profile provider',
    ]);
  });
});
