import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { startTestSandbox, SandboxControl } from '../../../../test/support/sandbox';
import type { RunningSandbox } from '../sandbox.server';
import {
  veeamFixtureOrganization,
  veeamFixtureProxyId,
  veeamFixtureRepositories,
  veeamFixtureSites,
  veeamFixtureUsers,
  veeamSandboxPassword,
} from './veeam.fixtures';

/**
 * The simulator's real responses, and the requests it accepts, validated against Veeam's own v8 OpenAPI
 * (vendor-specs/veeam/vb365-rest-v8.trimmed.openapi.json).
 */
const SPEC_PATH = resolve(__dirname, '../../specs/veeam/vb365-rest-v8.trimmed.openapi.json');

/**
 * Veeam marks many enums `nullable: true` without listing null among the values (e.g. RESTJob.lastStatus
 * of a job that never ran); its .NET serializer writes null for them. Ajv only honours `nullable` for
 * `type`, so null is added to such enums here (and a nullable allOf becomes anyOf [it, null]).
 */
function nullableEnums<T>(node: T): T {
  if (Array.isArray(node)) return node.map(nullableEnums) as T;
  if (!node || typeof node !== 'object') return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, nullableEnums(v)])) as Record<string, unknown>;
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  // `nullable` beside an allOf without `type` (e.g. RESTBackupRepository.objectStorage): Ajv wants it spelt out.
  if (out.nullable === true && out.type === undefined) {
    const { nullable: _nullable, ...rest } = out;
    return { anyOf: [rest, { type: 'null' }] } as T;
  }
  return out as T;
}

describe('veeam sandbox against the vendor OpenAPI v8', () => {
  let sandbox: RunningSandbox;
  let ajv: Ajv;
  const server = `vbo-spec-${process.pid}`;
  let token = '';

  const schema = (name: string): ValidateFunction => {
    const v = ajv.getSchema(`spec#/components/schemas/${name}`);
    if (!v) throw new Error(`no schema ${name}`);
    return v;
  };
  const expectValid = (name: string, data: unknown) => {
    const v = schema(name);
    v(data);
    expect({ name, errors: v.errors ?? [] }).toEqual({ name, errors: [] });
  };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sandbox.origin}/veeam${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  /** Sends a request body the spec defines, asserting it is valid against the spec schema first. */
  const send = async (method: string, path: string, schemaName: string, body: unknown) => {
    expectValid(schemaName, body);
    return call(method, path, body);
  };

  beforeAll(async () => {
    const doc = JSON.parse(readFileSync(SPEC_PATH, 'utf8'));
    ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    for (const f of ['duration', 'base64url', 'int32', 'int64']) ajv.addFormat(f, true);
    ajv.addSchema({ components: nullableEnums(doc.components) }, 'spec');
    sandbox = await startTestSandbox();
    const res = await fetch(`${sandbox.origin}/veeam/v8/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        username: server,
        password: veeamSandboxPassword(server),
        disable_antiforgery_token: 'true',
      }).toString(),
    });
    const body = (await res.json()) as { access_token: string };
    expectValid('OAuthTokenResponse', body);
    token = body.access_token;
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('organizations, directory and repositories match their PageOf / item schemas', async () => {
    const org = veeamFixtureOrganization(server).id;
    expectValid('PageOfRestOrganizationComposed', (await call('GET', '/v8/Organizations')).body);
    expectValid('RestOrganizationComposed', (await call('GET', `/v8/Organizations/${org}`)).body);
    expectValid('PageOfRESTUser', (await call('GET', `/v8/Organizations/${org}/Users`)).body);
    expectValid('RESTUser', (await call('GET', `/v8/Organizations/${org}/Users/${veeamFixtureUsers(server)[0].id}`)).body);
    expectValid(
      'PageOfRESTOneDrive',
      (await call('GET', `/v8/Organizations/${org}/Users/${veeamFixtureUsers(server)[0].id}/OneDrives`)).body,
    );
    expectValid('PageOfRESTSite', (await call('GET', `/v8/Organizations/${org}/Sites`)).body);
    expectValid('RESTSite', (await call('GET', `/v8/Organizations/${org}/Sites/${veeamFixtureSites(server)[0].id}`)).body);
    expectValid('PageOfRESTTeam', (await call('GET', `/v8/Organizations/${org}/Teams`)).body);
    expectValid('PageOfRESTBackupRepository', (await call('GET', '/v8/BackupRepositories')).body);
    const repoBody = {
      retentionType: 'ItemLevel',
      retentionPeriodType: 'Monthly',
      monthlyRetentionPeriod: 6,
      retentionFrequencyType: 'Monthly',
      monthlyTime: '03:00:00',
      monthlyDaynumber: 'First',
      monthlyDayofweek: 'Sunday',
      name: 'spec repository',
      path: 'E:\\Spec',
      proxyId: veeamFixtureProxyId(server),
    };
    const added = await send('POST', '/v8/BackupRepositories', 'RESTBackupRepositoryFromClient', repoBody);
    expect(added.status).toBe(201);
    expectValid('RESTBackupRepository', added.body);
    expectValid('RESTBackupRepository', (await call('GET', `/v8/BackupRepositories/${added.body.id}`)).body);
    expect((await send('PUT', `/v8/BackupRepositories/${added.body.id}`, 'RESTBackupRepositoryFromClient', repoBody)).status).toBe(204);
    expectValid(
      'PageOfRESTBackupRepositoryStorageUsageInfo',
      (await call('GET', `/v8/BackupRepositories/${veeamFixtureRepositories(server)[0].id}/backedupOrganizations`)).body,
    );
    const refused = await fetch(`${sandbox.origin}/veeam/v8/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: server, password: 'wrong' }).toString(),
    });
    expect(refused.status).toBe(400);
    expectValid('RESTExceptionInfo', await refused.json());
    const missing = await call('GET', '/v8/Jobs/00000000-0000-0000-0000-000000000000');
    expect(missing.status).toBe(404);
    expectValid('RESTExceptionInfo', missing.body);
  });

  it('jobs, job items, sessions, restore points and restore sessions match the spec', async () => {
    const org = veeamFixtureOrganization(server).id;
    const site = veeamFixtureSites(server)[0];
    const user = veeamFixtureUsers(server)[0];
    const created = await send('POST', '/v8/Jobs', 'RESTCreateBackupJob', {
      name: 'spec job',
      organizationId: org,
      repositoryId: veeamFixtureRepositories(server)[0].id,
      backupType: 'SelectedItems',
      selectedItems: [
        { type: 'Site', site: { id: site.id, url: site.url, title: site.title, isCloud: true, isPersonal: false } },
        { type: 'User', user: { id: user.id, name: user.name, displayName: user.displayName }, mailbox: true, oneDrive: true },
      ],
      schedulePolicy: { type: 'Periodically', periodicallyEvery: 'Hours1' },
    });
    expect(created.status).toBe(201);
    expectValid('RESTJob', created.body);
    const job = created.body.id;
    expectValid('PageOfRESTJob', (await call('GET', '/v8/Jobs')).body);
    const items = (await call('GET', `/v8/Jobs/${job}/SelectedItems`)).body.results;
    const edit = { ...created.body, name: 'spec job 2', selectedItems: items };
    for (const k of ['id', 'organizationId', 'lastRun', 'nextRun', 'lastBackup', 'lastStatus', 'eTag', '_links']) delete edit[k];
    expect((await send('PUT', `/v8/Jobs/${job}`, 'RESTEditBackupJob', edit)).status).toBe(204);
    expectValid('PageOfRESTJobItemComposed', (await call('GET', `/v8/Jobs/${job}/SelectedItems`)).body);
    const started = await send('POST', `/v8/Jobs/${job}/start`, 'RESTStartJobOptions', { full: true });
    expectValid('RESTJobSession', started.body);
    await new SandboxControl(sandbox.origin, 'veeam', server).advanceClock(600_000);
    const sessions = (
      await call('GET', `/v8/JobSessions?jobId=${job}&jobType=Backup&status=Succeeded&endTimeLowerBound=2000-01-01T00:00:00Z`)
    ).body;
    expectValid('PageOfRESTJobSession', sessions);
    expect(sessions.results.length).toBeGreaterThan(0);
    expectValid('RESTJobSession', (await call('GET', `/v8/JobSessions/${started.body.id}`)).body);
    const log = (await call('GET', `/v8/JobSessions/${started.body.id}/LogItems?orderAsc=true`)).body;
    expectValid('PageOfRESTLogItem', log);
    expect(log.results.length).toBeGreaterThan(2);
    const again = await send('POST', `/v8/Jobs/${job}/start`, 'RESTStartJobOptions', {});
    expectValid('RESTJobSession', again.body);
    expectValid('PageOfRESTLogItem', (await call('GET', `/v8/JobSessions/${again.body.id}/LogItems?type=Running`)).body);
    const refused = await send('POST', `/v8/Jobs/${job}/start`, 'RESTStartJobOptions', {});
    expect(refused.status).toBe(409);
    expectValid('RESTExceptionInfo', refused.body);
    await new SandboxControl(sandbox.origin, 'veeam', server).advanceClock(600_000);
    const points = (await call('GET', `/v8/RestorePoints?jobId=${job}`)).body;
    expectValid('PageOfRESTRestorePoint', points);
    expectValid('RESTRestorePoint', (await call('GET', `/v8/RestorePoints/${points.results[0].id}`)).body);

    const types = { Vesp: 'Organization/Sites', Veod: 'Organization/OneDrives', Vex: 'organization/mailboxes' } as const;
    const pages = { Vesp: 'PageOfRESTSharePointSite', Veod: 'PageOfRESTOneDrive', Vex: 'PageOfRESTExchangeMailbox' } as const;
    for (const type of Object.keys(types) as Array<keyof typeof types>) {
      const s = await send('POST', `/v8/Jobs/${job}/explore`, 'RESTExploreOptions', {
        dateTime: points.results[0].backupTime,
        type,
        showDeleted: false,
        showAllVersions: false,
      });
      expect(s.status).toBe(201);
      expectValid('RESTRestoreSession', s.body);
      const list = (await call('GET', `/v8/RestoreSessions/${s.body.id}/${types[type]}`)).body;
      expectValid(pages[type], list);
      expect(list.results).toHaveLength(1);
      const base = `/v8/RestoreSessions/${s.body.id}/${types[type]}/${list.results[0].id}`;
      let restored;
      if (type === 'Vesp') {
        const folders = (await call('GET', `${base}/Folders`)).body;
        expectValid('PageOfRESTSharePointFolder', folders);
        const docs = (await call('GET', `${base}/Documents?parentId=${folders.results[0].id}`)).body;
        expectValid('PageOfRESTItemComposed', docs);
        restored = await send('POST', `${base}/Documents/restoreTo`, 'RESTRestoreToDocumentsConfig', {
          documents: docs.results,
          siteURL: 'https://x.sharepoint.com/sites/Target',
        });
        expect((await send('POST', `${base}/restore`, 'RESTRestoreSiteConfig', { restorePermissions: true })).status).toBe(200);
      } else if (type === 'Veod') {
        const folders = (await call('GET', `${base}/Folders`)).body;
        expectValid('PageOfRESTOneDriveFolder', folders);
        restored = await send('POST', `${base}/Folders/restore`, 'RESTRestoreToOriginalFolders', {
          folders: folders.results,
          documentAction: 'Keep',
        });
      } else {
        restored = await send('POST', `${base}/restoreTo`, 'RESTRestoreToDifferentLocation', { mailbox: 'other@x.onmicrosoft.com' });
      }
      expect(restored.status).toBe(200);
      expectValid('RESTAsyncRestoreResponse', restored.body);
      expectValid('RESTRestoreSession', (await call('GET', `/v8/RestoreSessions/${restored.body.sessionId}`)).body);
      expectValid('PageOfRESTRestoreSessionEvent', (await call('GET', `/v8/RestoreSessions/${restored.body.sessionId}/Events`)).body);
      expectValid('PageOfRESTRestoreSessionEvent', (await call('GET', `/v8/RestoreSessions/${s.body.id}/Events`)).body);
      expectValid('RESTRestoreSessionStatistics', (await call('GET', `/v8/RestoreSessions/${s.body.id}/Statistics`)).body);
      expect((await call('POST', `/v8/RestoreSessions/${s.body.id}/Stop`)).status).toBe(204);
      expectValid('RESTRestoreSession', (await call('GET', `/v8/RestoreSessions/${s.body.id}`)).body);
    }
    expectValid('PageOfRESTRestoreSession', (await call('GET', '/v8/RestoreSessions')).body);
  });
});
