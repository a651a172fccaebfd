import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxScope } from '../support';
import type { AuthedRequest } from './veeam.auth';
import { VEEAM_MESSAGES } from './veeam.errors';
import { FIXTURE_ITEM_SIZE_BYTES, veeamFixtureOrganization, veeamFixtureProxyId } from './veeam.fixtures';
import { checkBoolean, checkEnum, checkString, conflict, handle, notFound, onlyKnownProperties, pageOf, refuse } from './veeam.http';
import { repositoriesOf, restRepository } from './veeam.model';
import type { RepositoryRecord, VeeamServerState } from './veeam.state';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown>; Body: unknown }> & AuthedRequest;
type Scope = SandboxScope<VeeamServerState>;

const scopeOf = (req: Req): Scope => req.veeamScope!;

/** The retention and clean-up settings a repository keeps as sent (the spec's enums checked). */
const SETTING_FIELDS = [
  'retentionType',
  'retentionPeriodType',
  'dailyRetentionPeriod',
  'monthlyRetentionPeriod',
  'yearlyRetentionPeriod',
  'retentionFrequencyType',
  'dailyTime',
  'dailyType',
  'monthlyTime',
  'monthlyDaynumber',
  'monthlyDayofweek',
  'objectStorageEncryptionEnabled',
  'encryptionKeyId',
];
/** seed 002 §Add Backup Repository / §Edit Backup Repository Settings (spec RESTBackupRepositoryFromClient). */
const BODY_FIELDS = [
  ...SETTING_FIELDS,
  'id',
  'name',
  'description',
  'path',
  'proxyId',
  'proxyPoolId',
  'ignoreProxyPoolApplianceAccessValidation',
  'organizationId',
  'attachUsedRepository',
  'objectStorage',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export function repositoryOf(scope: Scope, id: string): RepositoryRecord {
  const r = repositoriesOf(scope).find((x) => x.id === id);
  if (!r) notFound(VEEAM_MESSAGES.repositoryNotFound(id));
  return r;
}

function checkInt(name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) refuse(VEEAM_MESSAGES.invalidParameter(name, value));
}

/**
 * A RESTBackupRepositoryFromClient body: retentionType is the one property the spec requires; the simulator
 * also requires what a repository cannot lack (a name, the proxy or proxy pool it is mapped to, the folder path
 * unless it is object storage), and knows one proxy (veeamFixtureProxyId) and no proxy pool.
 */
function parseRepository(scope: Scope, body: unknown, self?: RepositoryRecord): Omit<RepositoryRecord, 'id'> {
  const b = onlyKnownProperties(body, BODY_FIELDS);
  if (b.retentionType === undefined || b.retentionType === null) refuse(VEEAM_MESSAGES.required('retentionType'));
  checkEnum('retentionType', b.retentionType, ['ItemLevel', 'SnapshotBased'], false);
  checkEnum('retentionPeriodType', b.retentionPeriodType, ['Monthly', 'Daily', 'Yearly']);
  checkEnum('yearlyRetentionPeriod', b.yearlyRetentionPeriod, [
    'Year1',
    'Years2',
    'Years3',
    'Years5',
    'Years7',
    'Years10',
    'Years25',
    'Keep',
  ]);
  checkEnum('retentionFrequencyType', b.retentionFrequencyType, ['Daily', 'Monthly']);
  checkEnum('dailyType', b.dailyType, ['Everyday', 'Workdays', 'Weekends', ...DAYS]);
  checkEnum('monthlyDaynumber', b.monthlyDaynumber, ['First', 'Second', 'Third', 'Fourth', 'Last']);
  checkEnum('monthlyDayofweek', b.monthlyDayofweek, DAYS);
  checkInt('dailyRetentionPeriod', b.dailyRetentionPeriod);
  checkInt('monthlyRetentionPeriod', b.monthlyRetentionPeriod);
  for (const f of ['name', 'description', 'path', 'dailyTime', 'monthlyTime']) checkString(f, b[f]);
  for (const f of ['objectStorageEncryptionEnabled', 'ignoreProxyPoolApplianceAccessValidation', 'attachUsedRepository'])
    checkBoolean(f, b[f]);
  const name = typeof b.name === 'string' ? b.name.trim() : '';
  if (!name) refuse(VEEAM_MESSAGES.required('name'));
  if (repositoriesOf(scope).some((r) => r.id !== self?.id && r.name.toLowerCase() === name.toLowerCase()))
    conflict(`Backup repository with name ${name} already exists.`);
  if (!b.proxyId && !b.proxyPoolId) refuse(VEEAM_MESSAGES.required('proxyId'));
  if (b.proxyId && b.proxyId !== veeamFixtureProxyId(scope.state.serverKey))
    notFound(`Backup proxy with ID ${String(b.proxyId)} not found.`);
  if (b.proxyPoolId) notFound(`Backup proxy pool with ID ${String(b.proxyPoolId)} not found.`);
  const objectStorage = b.objectStorage !== undefined && b.objectStorage !== null;
  if (!objectStorage && (typeof b.path !== 'string' || !b.path)) refuse(VEEAM_MESSAGES.required('path'));
  const org = veeamFixtureOrganization(scope.state.serverKey).id;
  if (b.organizationId && b.organizationId !== org) notFound(VEEAM_MESSAGES.organizationNotFound(String(b.organizationId)));
  return {
    name,
    description: typeof b.description === 'string' ? b.description : '',
    // seed 002: "This property is ignored for object storage repositories."
    path: objectStorage ? '' : String(b.path),
    settings: Object.fromEntries(SETTING_FIELDS.filter((f) => b[f] !== undefined).map((f) => [f, b[f]])),
    proxyId: b.proxyId ? String(b.proxyId) : null,
    proxyPoolId: null,
    organizationId: b.organizationId ? String(b.organizationId) : null,
    isLongTerm: self?.isLongTerm ?? false,
    capacityBytes: self?.capacityBytes ?? 1_099_511_627_776,
    freeSpaceBytes: self?.freeSpaceBytes ?? 1_099_511_627_776,
  };
}

/** Whether the repository holds backups of the organization (a restore point of it). */
function holdsOrganization(scope: Scope, r: RepositoryRecord, orgId: string): boolean {
  return scope.state.restorePoints.some((p) => p.repositoryId === r.id && p.organizationId === orgId);
}

/**
 * Space an organization's backups take in a repository: the simulator counts each backed-up site, mailbox,
 * OneDrive and team of every restore point as FIXTURE_ITEM_SIZE_BYTES.
 */
function usedSpaceBytes(scope: Scope, r: RepositoryRecord, orgId: string): number {
  return scope.state.restorePoints
    .filter((p) => p.repositoryId === r.id && p.organizationId === orgId)
    .reduce(
      (a, p) => a + (p.siteIds.length + p.mailboxUserIds.length + p.oneDriveUserIds.length + p.teamIds.length) * FIXTURE_ITEM_SIZE_BYTES,
      0,
    );
}

/**
 * Backup repositories (seed 002 §Backup Repositories: Get Backup Repositories with its proxyId, proxyPoolId,
 * organizationId and longTerm filters, Add, Get, Edit, Remove, Get Backed-Up Organizations; spec
 * BackupRepository_*). Not simulated: Synchronize Cache, the repository's explore and Change Owner.
 */
export function registerRepositoryRoutes(app: FastifyInstance): void {
  app.get(
    '/v8/BackupRepositories',
    handle(async (req: Req) => {
      const scope = scopeOf(req);
      const q = req.query;
      for (const f of ['longTerm'])
        if (q[f] !== undefined && q[f] !== 'true' && q[f] !== 'false') refuse(VEEAM_MESSAGES.invalidParameter(f, q[f]));
      // longTerm (spec): true, only archive-tier object storage repositories; false, the others.
      const list = repositoriesOf(scope).filter(
        (r) =>
          (!q.proxyId || r.proxyId === q.proxyId) &&
          (!q.proxyPoolId || r.proxyPoolId === q.proxyPoolId) &&
          (!q.organizationId || r.organizationId === q.organizationId || holdsOrganization(scope, r, String(q.organizationId))) &&
          (q.longTerm === undefined || r.isLongTerm === (q.longTerm === 'true')),
      );
      return pageOf(req, list.map(restRepository), q);
    }),
  );
  app.post(
    '/v8/BackupRepositories',
    handle(async (req: Req, reply: FastifyReply) => {
      const scope = scopeOf(req);
      const r: RepositoryRecord = { id: randomUUID(), ...parseRepository(scope, req.body) };
      scope.state.repositories.push(r);
      return reply.code(201).send(restRepository(r));
    }),
  );
  app.get(
    '/v8/BackupRepositories/:repositoryId',
    handle(async (req: Req) => restRepository(repositoryOf(scopeOf(req), req.params.repositoryId))),
  );
  app.put(
    '/v8/BackupRepositories/:repositoryId',
    handle(async (req: Req, reply: FastifyReply) => {
      const scope = scopeOf(req);
      const r = repositoryOf(scope, req.params.repositoryId);
      // A PUT replaces the settings: retention properties left out are no longer set.
      Object.assign(r, parseRepository(scope, req.body, r));
      return reply.code(204).send();
    }),
  );
  app.delete(
    '/v8/BackupRepositories/:repositoryId',
    handle(async (req: Req, reply: FastifyReply) => {
      const scope = scopeOf(req);
      const r = repositoryOf(scope, req.params.repositoryId);
      const job = scope.state.jobs.find((j) => j.repositoryId === r.id);
      if (job) conflict(`Backup repository ${r.name} is used by job ${job.name}.`);
      scope.state.repositories = scope.state.repositories.filter((x) => x.id !== r.id);
      return reply.code(204).send();
    }),
  );
  app.get(
    '/v8/BackupRepositories/:repositoryId/backedupOrganizations',
    handle(async (req: Req) => {
      const scope = scopeOf(req);
      const r = repositoryOf(scope, req.params.repositoryId);
      const org = veeamFixtureOrganization(scope.state.serverKey);
      const held = holdsOrganization(scope, r, org.id);
      const objectStorage = r.path === '';
      const used = usedSpaceBytes(scope, r, org.id);
      const results = held
        ? [
            {
              id: org.id,
              name: org.name,
              usedSpaceBytes: used,
              localCacheUsedSpaceBytes: objectStorage ? Math.round(used / 100) : null,
              objectStorageUsedSpaceBytes: objectStorage ? used : null,
            },
          ]
        : [];
      return pageOf(req, results, req.query);
    }),
  );
}
