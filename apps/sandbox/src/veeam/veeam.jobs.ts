import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxScope } from '../support';
import type { AuthedRequest } from './veeam.auth';
import { VEEAM_MESSAGES } from './veeam.errors';
import {
  checkBoolean,
  checkEnum,
  checkString,
  conflict,
  handle,
  notFound,
  onlyKnownProperties,
  pageOf,
  parseDateTime,
  refuse,
} from './veeam.http';
import {
  repositoriesOf,
  restJob,
  restJobItem,
  restJobSession,
  restJobSite,
  restLogItem,
  restRestorePoint,
  restTeam,
  restUser,
  scheduleIntervalMs,
  sitesOf,
  startJobSession,
  stopJobSessions,
  teamsOf,
  usersOf,
} from './veeam.model';
import { organizationOf } from './veeam.organizations';
import {
  configNumber,
  type JobItemRecord,
  type JobItemType,
  type JobRecord,
  type JobSessionRecord,
  type VeeamServerState,
} from './veeam.state';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown>; Body: unknown }> & AuthedRequest;
type Scope = SandboxScope<VeeamServerState>;

const scopeOf = (req: Req): Scope => req.veeamScope!;

// spec RESTCreateBackupJob / RESTEditBackupJob / RESTJobItemComposed / RESTJobSchedulePolicy properties.
const CREATE_FIELDS = [
  'backupType',
  'runNow',
  'selectedItems',
  'excludedItems',
  'schedulePolicy',
  'organizationId',
  'repositoryId',
  'name',
  'isEnabled',
];
const EDIT_FIELDS = CREATE_FIELDS.filter((f) => f !== 'organizationId');
const ITEM_FIELDS = [
  'type',
  'folders',
  'id',
  '_links',
  'mailbox',
  'oneDrive',
  'archiveMailbox',
  'sites',
  'teams',
  'teamsChats',
  'site',
  'team',
  'user',
  'personalSite',
  'group',
  'members',
  'memberMailbox',
  'memberArchiveMailbox',
  'memberOnedrive',
  'memberSite',
  'groupSite',
];
const ITEM_TYPES: readonly JobItemType[] = ['Group', 'User', 'Site', 'PartialOrganization', 'PersonalSites', 'OneDriveFolders', 'Team'];
const SCHEDULE_FIELDS = [
  'scheduleEnabled',
  'backupWindowEnabled',
  'backupWindowSettings',
  'periodicallyWindowEnabled',
  'periodicallyWindowSettings',
  'periodicallyOffsetMinutes',
  'type',
  'periodicallyEvery',
  'dailyType',
  'dailyTime',
  'retryEnabled',
  'retryNumber',
  'retryWaitInterval',
];
const BACKUP_TYPES = ['EntireOrganization', 'SelectedItems'];
const SESSION_STATUS_FILTERS = ['Stopped', 'Running', 'Succeeded', 'Failed', 'Warning'];

function sessionOf(scope: Scope, id: string): JobSessionRecord {
  const s = scope.state.jobSessions.find((x) => x.id === id);
  if (!s) notFound(VEEAM_MESSAGES.jobSessionNotFound(id));
  return s;
}

export function jobOf(scope: Scope, id: string): JobRecord {
  const job = scope.state.jobs.find((j) => j.id === id);
  if (!job) notFound(VEEAM_MESSAGES.jobNotFound(id));
  return job;
}

function checkSchedule(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  const sp = onlyKnownProperties(value, SCHEDULE_FIELDS, 'schedulePolicy');
  checkEnum('schedulePolicy.type', sp.type, ['Periodically', 'Daily', 'ManualOnly']);
  checkEnum('schedulePolicy.periodicallyEvery', sp.periodicallyEvery, [
    'Minutes5',
    'Minutes10',
    'Minutes15',
    'Minutes30',
    'Hours1',
    'Hours2',
    'Hours4',
    'Hours8',
    'Hours12',
  ]);
  checkEnum('schedulePolicy.dailyType', sp.dailyType, [
    'Everyday',
    'Workdays',
    'Weekends',
    'Monday',
    'Tuesday',
    'Wednesday',
    'Thursday',
    'Friday',
    'Saturday',
    'Sunday',
  ]);
  checkBoolean('schedulePolicy.scheduleEnabled', sp.scheduleEnabled);
  return sp;
}

const objId = (v: unknown): string | undefined =>
  v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : undefined;

/** Parses one RESTJobItemComposed, resolving the user/site/team against the organization. */
function parseJobItem(scope: Scope, orgId: string, raw: unknown): JobItemRecord {
  const b = onlyKnownProperties(raw, ITEM_FIELDS, 'job item');
  if (b.type === undefined) refuse(VEEAM_MESSAGES.required('type'));
  checkEnum('type', b.type, ITEM_TYPES, false);
  for (const f of ['mailbox', 'oneDrive', 'archiveMailbox', 'personalSite', 'sites', 'teams', 'teamsChats']) checkBoolean(f, b[f]);
  const type = b.type as JobItemType;
  const item: JobItemRecord = { id: randomUUID(), type };
  if (type === 'User' || type === 'OneDriveFolders') {
    const id = objId(b.user);
    if (!id) refuse(VEEAM_MESSAGES.required('user.id'));
    const u = usersOf(scope).find((x) => x.id === id);
    if (!u) notFound(VEEAM_MESSAGES.userNotFound(id));
    item.user = restUser(orgId, u);
    if (type === 'User') {
      Object.assign(item, {
        mailbox: b.mailbox === true,
        oneDrive: b.oneDrive === true,
        archiveMailbox: b.archiveMailbox === true,
        personalSite: b.personalSite === true,
      });
      if (!item.mailbox && !item.oneDrive && !item.archiveMailbox && !item.personalSite) {
        refuse('At least one of mailbox, oneDrive, archiveMailbox or personalSite must be selected for a user.');
      }
    } else {
      if (!Array.isArray(b.folders) || b.folders.length === 0) refuse(VEEAM_MESSAGES.required('folders'));
      item.folders = b.folders.map(String);
    }
  } else if (type === 'Site') {
    const site = b.site as Record<string, unknown> | undefined;
    // spec RESTJobSite: id, url, title, isCloud and isPersonal are required.
    for (const f of ['id', 'url', 'title', 'isCloud', 'isPersonal'])
      if (!site || site[f] === undefined) refuse(VEEAM_MESSAGES.required(`site.${f}`));
    const s = sitesOf(scope).find((x) => x.id === site!.id);
    if (!s) notFound(VEEAM_MESSAGES.siteNotFound(String(site!.id)));
    item.site = restJobSite(s);
  } else if (type === 'Team') {
    const team = b.team as Record<string, unknown> | undefined;
    for (const f of ['id', 'displayName', 'mail']) if (!team || team[f] === undefined) refuse(VEEAM_MESSAGES.required(`team.${f}`));
    const t = teamsOf(scope).find((x) => x.id === team!.id);
    if (!t) notFound(VEEAM_MESSAGES.teamNotFound(String(team!.id)));
    item.team = restTeam(orgId, t);
  } else if (type === 'Group') {
    notFound(VEEAM_MESSAGES.groupNotFound(objId(b.group) ?? ''));
  } else if (type === 'PartialOrganization') {
    Object.assign(item, {
      mailbox: b.mailbox === true,
      oneDrive: b.oneDrive === true,
      archiveMailbox: b.archiveMailbox === true,
      sites: b.sites === true,
      teams: b.teams === true,
      teamsChats: b.teamsChats === true,
    });
  }
  return item;
}

const entityKey = (i: JobItemRecord) => `${i.type}|${objId(i.user) ?? objId(i.site) ?? objId(i.team) ?? objId(i.group) ?? ''}`;

/** Adds items to a list; an item for an entity already in the list updates its processing options. */
function mergeItems(list: JobItemRecord[], add: JobItemRecord[]): JobItemRecord[] {
  const out = [...list];
  for (const a of add) {
    const i = out.findIndex((x) => entityKey(x) === entityKey(a));
    if (i >= 0) out[i] = { ...a, id: out[i].id };
    else out.push(a);
  }
  return out;
}

function parseItems(scope: Scope, orgId: string, raw: unknown, name: string): JobItemRecord[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) refuse(VEEAM_MESSAGES.invalidParameter(name, raw));
  return mergeItems(
    [],
    raw.map((r) => parseJobItem(scope, orgId, r)),
  );
}

function createJob(scope: Scope, body: unknown, reply: FastifyReply) {
  const b = onlyKnownProperties(body, CREATE_FIELDS);
  for (const f of ['repositoryId', 'organizationId', 'backupType'])
    if (b[f] === undefined || b[f] === null) refuse(VEEAM_MESSAGES.required(f));
  checkEnum('backupType', b.backupType, BACKUP_TYPES, false);
  checkString('name', b.name);
  checkBoolean('isEnabled', b.isEnabled);
  checkBoolean('runNow', b.runNow);
  const org = organizationOf(scope, String(b.organizationId));
  if (!repositoriesOf(scope).some((r) => r.id === b.repositoryId)) notFound(VEEAM_MESSAGES.repositoryNotFound(String(b.repositoryId)));
  const schedulePolicy = checkSchedule(b.schedulePolicy);
  const selectedItems = parseItems(scope, org.id, b.selectedItems, 'selectedItems');
  if (b.backupType === 'SelectedItems' && b.selectedItems === undefined) refuse(VEEAM_MESSAGES.required('selectedItems'));
  const name = String(b.name ?? '').trim() || `Backup Job ${scope.state.jobs.length + 1}`;
  if (scope.state.jobs.some((j) => j.name.toLowerCase() === name.toLowerCase())) conflict(`Job with name ${name} already exists.`);
  const now = scope.clock.now().getTime();
  const job: JobRecord = {
    id: randomUUID(),
    name,
    organizationId: org.id,
    repositoryId: String(b.repositoryId),
    backupType: b.backupType as JobRecord['backupType'],
    isEnabled: b.isEnabled !== false,
    schedulePolicy,
    selectedItems,
    excludedItems: parseItems(scope, org.id, b.excludedItems, 'excludedItems'),
    createdAt: now,
    nextRunAt: null,
    lastRun: null,
    lastBackup: null,
    lastStatus: null,
    eTag: 1,
  };
  // The simulator runs a scheduled job's first backup shortly after creation (firstBackupDelayMs), then per its schedule.
  job.nextRunAt = scheduleIntervalMs(scope, job) === null ? null : now + configNumber(scope.config, 'firstBackupDelayMs', 60_000);
  scope.state.jobs.push(job);
  if (b.runNow === true && job.isEnabled) startJobSession(scope, job, now);
  return reply.code(201).send(restJob(job));
}

/**
 * PUT /v8/Jobs/{jobId} (spec Job_Update, RESTEditBackupJob) replaces the job's settings, as a PUT does: Veeam's
 * reference says the body "must contain" the job's properties (Editing Backup Job Settings). So backupType,
 * name, repositoryId and, for SelectedItems, selectedItems are required, and whatever else is absent takes its
 * default: no schedulePolicy is the default daily schedule, no isEnabled is enabled, no excludedItems is none.
 * Items already in the job keep their ids.
 */
function editJob(scope: Scope, job: JobRecord, body: unknown): void {
  const b = onlyKnownProperties(body, EDIT_FIELDS);
  for (const f of ['backupType', 'name', 'repositoryId']) if (b[f] === undefined || b[f] === null) refuse(VEEAM_MESSAGES.required(f));
  checkEnum('backupType', b.backupType, BACKUP_TYPES, false);
  checkString('name', b.name);
  checkBoolean('isEnabled', b.isEnabled);
  checkBoolean('runNow', b.runNow);
  if (!repositoriesOf(scope).some((r) => r.id === b.repositoryId)) notFound(VEEAM_MESSAGES.repositoryNotFound(String(b.repositoryId)));
  if (b.backupType === 'SelectedItems' && (b.selectedItems === undefined || b.selectedItems === null))
    refuse(VEEAM_MESSAGES.required('selectedItems'));
  const schedulePolicy = checkSchedule(b.schedulePolicy);
  const name = String(b.name).trim();
  if (!name) refuse(VEEAM_MESSAGES.required('name'));
  if (scope.state.jobs.some((j) => j.id !== job.id && j.name.toLowerCase() === name.toLowerCase()))
    conflict(`Job with name ${name} already exists.`);
  const keepIds = (old: JobItemRecord[], items: JobItemRecord[]) =>
    items.map((i) => ({ ...i, id: old.find((o) => entityKey(o) === entityKey(i))?.id ?? i.id }));
  const selectedItems = keepIds(job.selectedItems, parseItems(scope, job.organizationId, b.selectedItems, 'selectedItems'));
  const excludedItems = keepIds(job.excludedItems, parseItems(scope, job.organizationId, b.excludedItems, 'excludedItems'));
  Object.assign(job, {
    name,
    backupType: b.backupType as JobRecord['backupType'],
    repositoryId: String(b.repositoryId),
    isEnabled: b.isEnabled !== false,
    schedulePolicy,
    selectedItems,
    excludedItems,
  });
  const now = scope.clock.now().getTime();
  if (scheduleIntervalMs(scope, job) === null) job.nextRunAt = null;
  else job.nextRunAt ??= now + configNumber(scope.config, 'firstBackupDelayMs', 60_000);
  job.eTag += 1;
  if (b.runNow === true && job.isEnabled && !scope.state.jobSessions.some((x) => x.jobId === job.id && x.status === 'Running'))
    startJobSession(scope, job, now);
}

/** Item ids from `?ids=a,b` (comma separated) or a JSON array body (spec DELETE /Jobs/{jobId}/SelectedItems). */
function idsToRemove(req: Req): string[] {
  const fromQuery =
    typeof req.query.ids === 'string'
      ? req.query.ids
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  if (req.body === undefined || req.body === null || req.body === '') return fromQuery;
  if (!Array.isArray(req.body) || req.body.some((x) => typeof x !== 'string')) refuse('The request body must be an array of item IDs.');
  return [...fromQuery, ...(req.body as string[])];
}

/**
 * Backup jobs (seed 002 §Backup Jobs: get, create, edit, remove, items, enable, disable, start, stop),
 * job sessions and restore points (spec /v8/Jobs..., /v8/JobSessions..., /v8/RestorePoints...).
 */
export function registerJobRoutes(app: FastifyInstance): void {
  app.get(
    '/v8/Jobs',
    handle(async (req: Req) => {
      const q = req.query;
      const jobs = scopeOf(req).state.jobs.filter(
        (j) => (!q.organizationId || j.organizationId === q.organizationId) && (!q.repositoryId || j.repositoryId === q.repositoryId),
      );
      return pageOf(req, jobs.map(restJob), q);
    }),
  );
  app.post(
    '/v8/Jobs',
    handle(async (req: Req, reply) => createJob(scopeOf(req), req.body, reply)),
  );
  app.get(
    '/v8/Jobs/:jobId',
    handle(async (req: Req) => restJob(jobOf(scopeOf(req), req.params.jobId))),
  );
  app.put(
    '/v8/Jobs/:jobId',
    handle(async (req: Req, reply) => {
      editJob(scopeOf(req), jobOf(scopeOf(req), req.params.jobId), req.body);
      return reply.code(204).send();
    }),
  );
  app.delete(
    '/v8/Jobs/:jobId',
    handle(async (req: Req, reply) => {
      const scope = scopeOf(req);
      const job = jobOf(scope, req.params.jobId);
      if (scope.state.jobSessions.some((s) => s.jobId === job.id && s.status === 'Running'))
        conflict(VEEAM_MESSAGES.jobRunningDelete(job.name));
      scope.state.jobs = scope.state.jobs.filter((j) => j.id !== job.id);
      return reply.code(204).send();
    }),
  );

  app.get(
    '/v8/Jobs/:jobId/SelectedItems',
    handle(async (req: Req) => {
      const job = jobOf(scopeOf(req), req.params.jobId);
      return pageOf(
        req,
        job.selectedItems.map((i) => restJobItem(job, i)),
        req.query,
      );
    }),
  );
  app.post(
    '/v8/Jobs/:jobId/SelectedItems',
    handle(async (req: Req, reply) => {
      const scope = scopeOf(req);
      const job = jobOf(scope, req.params.jobId);
      if (!Array.isArray(req.body)) refuse('The request body must be an array of job items.');
      job.selectedItems = mergeItems(job.selectedItems, parseItems(scope, job.organizationId, req.body, 'items'));
      job.eTag += 1;
      return reply.code(204).send();
    }),
  );
  app.delete(
    '/v8/Jobs/:jobId/SelectedItems',
    handle(async (req: Req, reply) => {
      const job = jobOf(scopeOf(req), req.params.jobId);
      const ids = idsToRemove(req);
      if (ids.length === 0) refuse(VEEAM_MESSAGES.required('ids'));
      for (const id of ids) if (!job.selectedItems.some((i) => i.id === id)) notFound(VEEAM_MESSAGES.objectNotFound('Job item', id));
      job.selectedItems = job.selectedItems.filter((i) => !ids.includes(i.id));
      job.eTag += 1;
      return reply.code(204).send();
    }),
  );
  app.get(
    '/v8/Jobs/:jobId/ExcludedItems',
    handle(async (req: Req) => {
      const job = jobOf(scopeOf(req), req.params.jobId);
      return pageOf(
        req,
        job.excludedItems.map((i) => restJobItem(job, i)),
        req.query,
      );
    }),
  );

  app.post(
    '/v8/Jobs/:jobId/enable',
    handle(async (req: Req, reply) => {
      const scope = scopeOf(req);
      const job = jobOf(scope, req.params.jobId);
      if (!job.isEnabled) {
        job.isEnabled = true;
        const interval = scheduleIntervalMs(scope, job);
        if (job.nextRunAt === null && interval !== null)
          job.nextRunAt = scope.clock.now().getTime() + configNumber(scope.config, 'firstBackupDelayMs', 60_000);
      }
      return reply.code(204).send();
    }),
  );
  app.post(
    '/v8/Jobs/:jobId/disable',
    handle(async (req: Req, reply) => {
      jobOf(scopeOf(req), req.params.jobId).isEnabled = false;
      return reply.code(204).send();
    }),
  );
  app.post(
    '/v8/Jobs/:jobId/start',
    handle(async (req: Req) => {
      const scope = scopeOf(req);
      const job = jobOf(scope, req.params.jobId);
      const b = req.body === undefined || req.body === null ? {} : onlyKnownProperties(req.body, ['full']);
      checkBoolean('full', b.full);
      if (!job.isEnabled) conflict(VEEAM_MESSAGES.jobDisabled(job.name));
      if (scope.state.jobSessions.some((s) => s.jobId === job.id && s.status === 'Running')) conflict(VEEAM_MESSAGES.jobRunning(job.name));
      return restJobSession(startJobSession(scope, job, scope.clock.now().getTime(), b.full === true));
    }),
  );
  app.post(
    '/v8/Jobs/:jobId/stop',
    handle(async (req: Req, reply) => {
      stopJobSessions(scopeOf(req), jobOf(scopeOf(req), req.params.jobId));
      return reply.code(204).send();
    }),
  );

  app.get(
    '/v8/JobSessions',
    handle(async (req: Req) => {
      const scope = scopeOf(req);
      const q = req.query;
      // spec JobSession_Get: the status filter's enum spells success "Succeeded", the session's own status "Success".
      checkEnum('status', q.status, SESSION_STATUS_FILTERS);
      checkEnum('jobType', q.jobType, ['Backup', 'Copy']);
      const lower = parseDateTime('endTimeLowerBound', q.endTimeLowerBound);
      const upper = parseDateTime('endTimeUpperBound', q.endTimeUpperBound);
      const status = q.status === 'Succeeded' ? 'Success' : q.status;
      const byEnd = scope.config.sessionBoundsBy === 'endTime';
      const inBounds = (s: JobSessionRecord) => {
        if (lower === undefined && upper === undefined) return true;
        const t = byEnd ? s.endTime : s.creationTime;
        return t !== null && (lower === undefined || t > lower) && (upper === undefined || t < upper);
      };
      const list = scope.state.jobSessions
        .filter((s) => (!q.jobId || s.jobId === q.jobId) && (!status || s.status === status) && (!q.jobType || q.jobType === 'Backup'))
        .filter(inBounds)
        .sort((a, b) => b.creationTime - a.creationTime);
      return pageOf(req, list.map(restJobSession), q);
    }),
  );
  app.get(
    '/v8/JobSessions/:jobSessionsId',
    handle(async (req: Req) => restJobSession(sessionOf(scopeOf(req), req.params.jobSessionsId))),
  );
  app.get(
    '/v8/JobSessions/:sessionId/LogItems',
    handle(async (req: Req) => {
      const q = req.query;
      const s = sessionOf(scopeOf(req), req.params.sessionId);
      checkEnum('type', q.type, ['Running', 'Warning', 'Error', 'Success', 'Stop']);
      if (q.orderAsc !== undefined && q.orderAsc !== 'true' && q.orderAsc !== 'false')
        refuse(VEEAM_MESSAGES.invalidParameter('orderAsc', q.orderAsc));
      // spec JobSessionLog_GetBatchBySessionId: orderAsc "The default value is true".
      const asc = q.orderAsc !== 'false';
      const list = s.logItems.filter((l) => !q.type || l.type === q.type).sort((a, b) => (asc ? a.usn - b.usn : b.usn - a.usn));
      return pageOf(
        req,
        list.map((l) => restLogItem(s, l)),
        q,
      );
    }),
  );

  app.get(
    '/v8/RestorePoints',
    handle(async (req: Req) => {
      const q = req.query;
      const from = parseDateTime('from', q.from);
      const to = parseDateTime('to', q.to);
      const asc = q.orderAsc === 'true';
      const list = scopeOf(req).state.restorePoints.filter(
        (p) =>
          (!q.organizationId || p.organizationId === q.organizationId) &&
          (!q.jobId || p.jobId === q.jobId) &&
          (!q.repositoryId || p.repositoryId === q.repositoryId) &&
          (!q.userId || p.userIds.includes(String(q.userId))) &&
          (!q.siteId || p.siteIds.includes(String(q.siteId))) &&
          (!q.teamId || p.teamIds.includes(String(q.teamId))) &&
          (from === undefined || p.backupTime > from) &&
          (to === undefined || p.backupTime < to),
      );
      list.sort((a, b) => (asc ? a.backupTime - b.backupTime : b.backupTime - a.backupTime));
      return pageOf(req, list.map(restRestorePoint), q);
    }),
  );
  app.get(
    '/v8/RestorePoints/:restorePointId',
    handle(async (req: Req) => {
      const p = scopeOf(req).state.restorePoints.find((x) => x.id === req.params.restorePointId);
      if (!p) notFound(VEEAM_MESSAGES.restorePointNotFound(req.params.restorePointId));
      return restRestorePoint(p);
    }),
  );
}
