import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxScope } from '../support';
import type { AuthedRequest } from './veeam.auth';
import { VEEAM_MESSAGES } from './veeam.errors';
import {
  FIXTURE_DOCUMENTS,
  FIXTURE_FOLDERS,
  FIXTURE_ITEM_SIZE_BYTES,
  FIXTURE_MAIL_FOLDERS,
  fixtureUuid,
  oneDriveUrl,
} from './veeam.fixtures';
import { checkBoolean, checkEnum, conflict, handle, iso, notFound, onlyKnownProperties, pageOf, parseDateTime, refuse } from './veeam.http';
import { sitesOf, usersOf } from './veeam.model';
import { jobOf } from './veeam.jobs';
import { organizationOf } from './veeam.organizations';
import {
  configFlag,
  configList,
  configNumber,
  type RestoreEventRecord,
  type RestorePointRecord,
  type RestoreSessionRecord,
  type VeeamServerState,
} from './veeam.state';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown>; Body: unknown }> & AuthedRequest;
type Scope = SandboxScope<VeeamServerState>;
type SessionType = RestoreSessionRecord['type'];

const scopeOf = (req: Req): Scope => req.veeamScope!;
const SESSION_TYPES: readonly SessionType[] = ['Vex', 'Veod', 'Vesp', 'Vet'];
const TYPE_NAMES: Record<SessionType, string> = { Vex: 'Exchange', Veod: 'OneDrive', Vesp: 'SharePoint', Vet: 'Teams' };

// ---- what a session shows: the entities of its restore point, with session-scoped ids ----

interface Entity {
  id: string;
  kind: 'site' | 'oneDrive' | 'mailbox';
  name: string;
  url: string;
  email: string;
  sourceId: string;
}

function pointOf(scope: Scope, s: RestoreSessionRecord): RestorePointRecord | undefined {
  return scope.state.restorePoints.find((p) => p.id === s.restorePointId);
}

function entitiesOf(scope: Scope, s: RestoreSessionRecord, kind: Entity['kind']): Entity[] {
  const p = pointOf(scope, s);
  if (!p) return [];
  const key = scope.state.serverKey;
  if (kind === 'site') {
    if (s.type !== 'Vesp') return [];
    return sitesOf(scope)
      .filter((x) => p.siteIds.includes(x.id))
      .map((x) => ({
        id: fixtureUuid(`${s.id}|site|${x.id}`),
        kind,
        name: x.title,
        url: x.url,
        email: '',
        sourceId: x.id,
      }));
  }
  const ids = kind === 'oneDrive' ? (s.type === 'Veod' ? p.oneDriveUserIds : []) : s.type === 'Vex' ? p.mailboxUserIds : [];
  return usersOf(scope)
    .filter((u) => ids.includes(u.id))
    .map((u) => ({
      id: fixtureUuid(`${s.id}|${kind}|${u.id}`),
      kind,
      name: u.displayName,
      url: kind === 'oneDrive' ? oneDriveUrl(key, u.name) : '',
      email: u.name,
      sourceId: u.id,
    }));
}

function entityOf(scope: Scope, s: RestoreSessionRecord, kind: Entity['kind'], id: string): Entity {
  const e = entitiesOf(scope, s, kind).find((x) => x.id === id);
  if (!e) notFound(VEEAM_MESSAGES.objectNotFound(kind === 'site' ? 'Site' : kind === 'oneDrive' ? 'OneDrive' : 'Mailbox', id));
  return e;
}

interface Node {
  id: string;
  path: string;
  name: string;
  isFolder: boolean;
  sizeBytes: number;
  parentPath: string;
}

/** The folder/document tree of a backed-up site library or OneDrive, ids scoped to session and entity. */
function treeOf(s: RestoreSessionRecord, e: Entity): Node[] {
  const parent = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  return [
    ...FIXTURE_FOLDERS.map((p) => ({
      id: fixtureUuid(`${s.id}|${e.id}|f|${p}`),
      path: p,
      name: base(p),
      isFolder: true,
      sizeBytes: 0,
      parentPath: parent(p),
    })),
    ...FIXTURE_DOCUMENTS.map((d) => ({
      id: fixtureUuid(`${s.id}|${e.id}|d|${d.path}`),
      path: d.path,
      name: base(d.path),
      isFolder: false,
      sizeBytes: d.sizeBytes,
      parentPath: parent(d.path),
    })),
  ];
}

function childrenOf(s: RestoreSessionRecord, e: Entity, parentId: unknown): Node[] {
  const tree = treeOf(s, e);
  if (parentId === undefined || parentId === '') return tree.filter((n) => n.parentPath === '');
  const parent = tree.find((n) => n.id === parentId && n.isFolder);
  if (!parent) notFound(VEEAM_MESSAGES.objectNotFound('Folder', String(parentId)));
  return tree.filter((n) => n.parentPath === parent.path);
}

function restNode(scope: Scope, s: RestoreSessionRecord, e: Entity, n: Node): Record<string, unknown> {
  const created = iso(pointOf(scope, s)?.backupTime ?? s.creationTime);
  const common = {
    id: n.id,
    name: n.name,
    createdBy: 'Sandbox Admin',
    creationTime: created,
    modifiedBy: 'Sandbox Admin',
    modificationTime: created,
    isFolder: n.isFolder,
    version: '1.0',
    versionId: 512,
    _links: {},
  };
  const owner = e.kind === 'site' ? { siteId: e.id } : { oneDriveId: e.id };
  return n.isFolder
    ? { ...common, ...owner, ...(e.kind === 'site' ? { type: 'LibraryFolder' } : {}) }
    : { ...common, ...owner, sizeBytes: n.sizeBytes, ...(e.kind === 'oneDrive' ? { inheritedPermissions: true } : {}) };
}

function restEntity(s: RestoreSessionRecord, e: Entity): Record<string, unknown> {
  const self = `/v8/RestoreSessions/${s.id}/${e.kind === 'mailbox' ? 'organization/mailboxes' : e.kind === 'site' ? 'Organization/Sites' : 'Organization/OneDrives'}/${e.id}`;
  if (e.kind === 'mailbox')
    return { id: e.id, name: e.name, email: e.email, isArchive: false, isPublic: false, _links: { self: { href: self } } };
  return { id: e.id, name: e.name, url: e.url, _links: { self: { href: self } } };
}

// ---- session lifecycle over the sandbox clock ----

function advanceSession(scope: Scope, s: RestoreSessionRecord): void {
  const now = scope.clock.now().getTime();
  for (const ev of s.events) {
    if (ev.status === 'Running' && ev.endsAt !== null && ev.endsAt <= now) {
      ev.status = ev.outcome;
      ev.endTime = ev.endsAt;
      ev.message = ev.outcome === 'Success' ? `${ev.title} completed successfully.` : `${ev.title} failed: the item could not be restored.`;
    }
  }
  // A restore session ends with its restore; an explore session stays Working until it is stopped.
  if (s.kind === 'restore' && s.state === 'Working' && s.events.every((e) => e.status !== 'Running')) {
    s.state = 'Stopped';
    s.endTime = Math.max(s.creationTime, ...s.events.map((e) => e.endTime ?? s.creationTime));
    s.eTag += 1;
  }
}

/** Stops a session now: its running restores end Cancelled (an explore session's restore sessions with it). */
function stopSession(scope: Scope, s: RestoreSessionRecord): void {
  advanceSession(scope, s);
  if (s.kind === 'explore') {
    for (const r of scope.state.restoreSessions) if (r.exploreSessionId === s.id) stopSession(scope, r);
  }
  if (s.state !== 'Working') return;
  const now = scope.clock.now().getTime();
  s.state = 'Stopped';
  s.endTime = now;
  for (const e of s.events) {
    if (e.status === 'Running')
      Object.assign(e, { status: 'Cancelled', endTime: now, message: `${e.title} was cancelled: the restore session was stopped.` });
  }
  s.eTag += 1;
}

function resultOf(s: RestoreSessionRecord): 'Success' | 'Warning' | 'Failed' {
  if (s.events.some((e) => e.status === 'Failed')) return 'Failed';
  if (s.events.some((e) => e.status === 'Warning' || e.status === 'Cancelled' || e.status === 'Skipped')) return 'Warning';
  return 'Success';
}

function restSession(scope: Scope, s: RestoreSessionRecord): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    organization: organizationName(scope),
    type: s.type,
    creationTime: iso(s.creationTime),
    endTime: iso(s.endTime),
    state: s.state,
    result: resultOf(s),
    initiatedBy: s.initiatedBy,
    details: '',
    scopeName: '',
    clientHost: 'sandbox',
    reason: '',
    eTag: s.eTag,
    _links: { self: { href: `/v8/RestoreSessions/${s.id}` }, events: { href: `/v8/RestoreSessions/${s.id}/Events` } },
  };
}

function organizationName(scope: Scope): string {
  return usersOf(scope)[0]?.name.split('@')[1] ?? '';
}

function restEvent(s: RestoreSessionRecord, e: RestoreEventRecord): Record<string, unknown> {
  const end = e.endTime;
  const secs = Math.round(((end ?? e.startTime) - e.startTime) / 1000);
  const hh = String(Math.floor(secs / 3600)).padStart(2, '0');
  const mm = String(Math.floor((secs % 3600) / 60)).padStart(2, '0');
  return {
    itemName: e.itemName,
    itemType: e.itemType,
    itemSizeBytes: e.itemSizeBytes,
    source: e.source,
    target: e.target,
    id: e.id,
    type: e.type,
    status: e.status,
    startTime: iso(e.startTime),
    endTime: iso(end),
    duration: `${hh}:${mm}:${String(secs % 60).padStart(2, '0')}`,
    title: e.title,
    message: e.message,
    order: e.order,
    organizationId: null,
    userId: e.userId ?? null,
    siteId: e.siteId ?? null,
    _links: { self: { href: `/v8/RestoreSessions/${s.id}/Events/${e.id}` } },
  };
}

function sessionOf(scope: Scope, id: string): RestoreSessionRecord {
  const s = scope.state.restoreSessions.find((x) => x.id === id);
  if (!s) notFound(VEEAM_MESSAGES.restoreSessionNotFound(id));
  advanceSession(scope, s);
  return s;
}

function workingSession(scope: Scope, id: string, type: SessionType): RestoreSessionRecord {
  const s = sessionOf(scope, id);
  if (s.state !== 'Working') conflict(VEEAM_MESSAGES.sessionStopped(id));
  if (s.kind !== 'explore') refuse(VEEAM_MESSAGES.notExploreSession(id));
  if (s.type !== type) refuse(VEEAM_MESSAGES.wrongSessionType(s.type));
  return s;
}

/**
 * The latest restore point at or before `dateTime` (spec /Jobs/{jobId}/explore: a time before the first
 * backup gives a session without data; a time after the last gives the latest point).
 */
function pickPoint(
  scope: Scope,
  type: SessionType,
  dateTime: number | undefined,
  jobId?: string,
  repositoryId?: string,
): RestorePointRecord | undefined {
  const fits = (p: RestorePointRecord) =>
    type === 'Vex' ? p.isExchange : type === 'Veod' ? p.isOneDrive : type === 'Vesp' ? p.isSharePoint : p.isTeams;
  return scope.state.restorePoints
    .filter((p) => (!jobId || p.jobId === jobId) && (!repositoryId || p.repositoryId === repositoryId) && fits(p))
    .filter((p) => dateTime === undefined || p.backupTime <= dateTime)
    .sort((a, b) => b.backupTime - a.backupTime)[0];
}

function explore(req: Req, reply: FastifyReply, opts: { jobId?: string; orgId: string; fields: string[] }) {
  const scope = scopeOf(req);
  const b = onlyKnownProperties(req.body ?? {}, opts.fields);
  if (b.type === undefined || b.type === null) refuse(VEEAM_MESSAGES.required('type'));
  checkEnum('type', b.type, SESSION_TYPES, false);
  checkBoolean('showDeleted', b.showDeleted);
  checkBoolean('showAllVersions', b.showAllVersions);
  const dateTime = parseDateTime('dateTime', b.dateTime);
  const type = b.type as SessionType;
  const point = pickPoint(scope, type, dateTime, opts.jobId, b.repositoryId ? String(b.repositoryId) : undefined);
  const now = scope.clock.now().getTime();
  const s: RestoreSessionRecord = {
    id: randomUUID(),
    kind: 'explore',
    exploreSessionId: null,
    name: `Explore ${TYPE_NAMES[type]} ${new Date(dateTime ?? now).toISOString()}`,
    type,
    jobId: opts.jobId ?? null,
    organizationId: opts.orgId,
    initiatedBy: req.veeamUser ?? '',
    creationTime: now,
    endTime: null,
    state: 'Working',
    restorePointId: point?.id ?? null,
    events: [],
    eTag: 1,
  };
  scope.state.restoreSessions.push(s);
  return reply.code(201).send(restSession(scope, s));
}

/**
 * Starts one restore operation: a restore session of its own (type and restore point of the explore session,
 * same initiator), holding one Restore event that finishes over the sandbox clock. Answers its id
 * (RESTAsyncRestoreResponse): the explore session itself shows no restore events.
 */
function startRestore(
  scope: Scope,
  s: RestoreSessionRecord,
  e: Entity,
  what: { title: string; itemName: string; itemType: string; sizeBytes: number; target: string; names: string[] },
) {
  const now = scope.clock.now().getTime();
  const failOf = configList(scope.config, 'failRestoreOf');
  const fails = [e.url, e.email, e.name, e.sourceId, ...what.names].some((x) => x && failOf.includes(x));
  const stuck = configFlag(scope.config, 'stuckRestores');
  const restore: RestoreSessionRecord = {
    id: randomUUID(),
    kind: 'restore',
    exploreSessionId: s.id,
    name: what.title,
    type: s.type,
    jobId: s.jobId,
    organizationId: s.organizationId,
    initiatedBy: s.initiatedBy,
    creationTime: now,
    endTime: null,
    state: 'Working',
    restorePointId: s.restorePointId,
    events: [],
    eTag: 1,
  };
  restore.events.push({
    id: randomUUID(),
    type: 'Restore',
    status: 'Running',
    startTime: now,
    endTime: null,
    endsAt: stuck ? null : now + configNumber(scope.config, 'restoreDurationMs', 60_000),
    outcome: fails ? 'Failed' : 'Success',
    title: what.title,
    message: `${what.title} is in progress.`,
    order: 1,
    itemName: what.itemName,
    itemType: what.itemType,
    itemSizeBytes: what.sizeBytes,
    source: e.kind === 'mailbox' ? e.email : e.url,
    target: what.target,
    ...(e.kind === 'site' ? { siteId: e.sourceId } : { userId: e.sourceId }),
  });
  scope.state.restoreSessions.push(restore);
  return { sessionId: restore.id };
}

// ---- request bodies (spec RESTRestore*Config / RESTRestoreTo* / RESTRestoreToOriginal* schemas) ----

const CREDENTIAL_FIELDS = [
  'userCode',
  'applicationId',
  'applicationCertificatePassword',
  'applicationCertificate',
  'userName',
  'userPassword',
];
const SITE_RESTORE = [
  ...CREDENTIAL_FIELDS,
  'impersonationAccountName',
  'alias',
  'restoreListViews',
  'changedItems',
  'deletedItems',
  'restoreSubsites',
  'restoreMasterPages',
  'restorePermissions',
  'sendSharedLinksNotification',
  'documentVersion',
  'documentLastVersionAction',
];
const SITE_RESTORE_TO = [...SITE_RESTORE.filter((f) => f !== 'restorePermissions'), 'siteURL', 'officeRegion', 'organizationName'];
const SP_DOCS = [
  ...CREDENTIAL_FIELDS,
  'documents',
  'list',
  'restorePermissions',
  'sendSharedLinksNotification',
  'documentVersion',
  'documentLastVersionAction',
];
const SP_DOCS_TO = [...SP_DOCS.filter((f) => f !== 'restorePermissions'), 'siteURL', 'officeRegion', 'organizationName'];
const SP_FOLDERS = [...SP_DOCS.filter((f) => f !== 'documents'), 'folders', 'siteURL'];
const SP_FOLDERS_TO = [...SP_DOCS_TO.filter((f) => f !== 'documents'), 'folders'];
const OD_ORIGINAL = [...CREDENTIAL_FIELDS, 'documentAction', 'officeRegion', 'organizationName'];
const OD_DOCS = [...OD_ORIGINAL, 'documents'];
const OD_FOLDERS = [...OD_ORIGINAL, 'folders'];
const MB_ORIGINAL = [
  'userName',
  'userPassword',
  'userCode',
  'applicationId',
  'applicationCertificatePassword',
  'applicationCertificate',
  'impersonationAccountName',
];
const MB_TO = [
  ...MB_ORIGINAL,
  'changedItems',
  'deletedItems',
  'markRestoredAsUnread',
  'excludeDrafts',
  'excludeDeletedItems',
  'excludeInPlaceHoldItems',
  'excludeLitigationHoldItems',
  'mailbox',
  'casServer',
  'folder',
  'officeRegion',
  'officeOrganizationName',
];

/**
 * Restoring into Microsoft 365 needs credentials for the organization (spec RESTRestore*Config: a device
 * `userCode`, an Entra `applicationId` + `applicationCertificate`, or `userName` + `userPassword`; with a
 * certificate a site restore also needs `impersonationAccountName`). Enforced when the server's
 * organization is configured that way (config requireRestoreCredentials).
 */
function checkRestoreCredentials(scope: Scope, b: Record<string, unknown>, site: boolean): void {
  if (!configFlag(scope.config, 'requireRestoreCredentials')) return;
  const ok = !!b.userCode || (!!b.applicationId && !!b.applicationCertificate) || (!!b.userName && !!b.userPassword);
  if (!ok) refuse('Restore to Microsoft 365 requires userCode, applicationId with applicationCertificate, or userName with userPassword.');
  if (site && b.applicationCertificate && !b.impersonationAccountName) refuse(VEEAM_MESSAGES.required('impersonationAccountName'));
}

function checkCommon(b: Record<string, unknown>): void {
  checkEnum('documentVersion', b.documentVersion, ['All', 'Last']);
  checkEnum('documentLastVersionAction', b.documentLastVersionAction, ['Overwrite', 'Merge']);
  checkEnum('documentAction', b.documentAction, ['Overwrite', 'Keep']);
  checkEnum('officeRegion', b.officeRegion, ['Worldwide', 'Germany', 'China', 'USDefence', 'USGovernment']);
  for (const f of [
    'restorePermissions',
    'sendSharedLinksNotification',
    'changedItems',
    'deletedItems',
    'restoreSubsites',
    'markRestoredAsUnread',
  ])
    checkBoolean(f, b[f]);
}

/** The browsed documents/folders named in a bulk restore body; each must carry the schema's required fields. */
function pickNodes(s: RestoreSessionRecord, e: Entity, list: unknown, field: 'documents' | 'folders', required: string[]): Node[] {
  if (!Array.isArray(list) || list.length === 0) refuse(VEEAM_MESSAGES.required(field));
  const tree = treeOf(s, e);
  return list.map((raw) => {
    const o = (raw ?? {}) as Record<string, unknown>;
    for (const r of required) if (o[r] === undefined || o[r] === null) refuse(VEEAM_MESSAGES.required(`${field}[].${r}`));
    const n = tree.find((x) => x.id === o.id && x.isFolder === (field === 'folders'));
    if (!n) notFound(VEEAM_MESSAGES.objectNotFound(field === 'folders' ? 'Folder' : 'Document', String(o.id)));
    return n;
  });
}

const NODE_REQUIRED = ['id', 'name', 'createdBy', 'creationTime', 'modifiedBy', 'modificationTime'];

function nodesRestore(scope: Scope, s: RestoreSessionRecord, e: Entity, nodes: Node[], target: string) {
  const size = (n: Node) =>
    n.isFolder ? FIXTURE_DOCUMENTS.filter((d) => d.path.startsWith(`${n.path}/`)).reduce((a, d) => a + d.sizeBytes, 0) : n.sizeBytes;
  return startRestore(scope, s, e, {
    title: `Restore ${nodes.length} item(s) of ${e.name}`,
    itemName: nodes.map((n) => n.path).join(', '),
    itemType: e.kind === 'site' ? 'SharePointItem' : 'OneDriveItem',
    sizeBytes: nodes.reduce((a, n) => a + size(n), 0),
    target,
    names: nodes.flatMap((n) => [n.path, n.name]),
  });
}

/**
 * Restore sessions (seed 002 §Restore Sessions, §Restore Session Events, §SharePoint/OneDrive/Mailbox
 * restore sections; spec /v8/Jobs/{jobId}/explore, /v8/Organizations/{organizationId}/explore,
 * /v8/RestoreSessions/...). v8 restore actions are asynchronous: each answers RESTAsyncRestoreResponse
 * {sessionId} naming a restore session of its own ("Restore session ID"; SOURCE.md §Restore flow step 3),
 * whose state, result and events are that restore's progress. The explore session shows none of them.
 */
export function registerRestoreRoutes(app: FastifyInstance): void {
  app.post(
    '/v8/Jobs/:jobId/explore',
    handle(async (req: Req, reply) => {
      const job = jobOf(scopeOf(req), req.params.jobId);
      return explore(req, reply, {
        jobId: job.id,
        orgId: job.organizationId,
        fields: ['dateTime', 'type', 'showDeleted', 'showAllVersions'],
      });
    }),
  );
  app.post(
    '/v8/Organizations/:organizationId/explore',
    handle(async (req: Req, reply) => {
      const org = organizationOf(scopeOf(req), req.params.organizationId);
      return explore(req, reply, { orgId: org.id, fields: ['dateTime', 'type', 'showDeleted', 'showAllVersions', 'repositoryId'] });
    }),
  );

  app.get(
    '/v8/RestoreSessions',
    handle(async (req: Req) => {
      const scope = scopeOf(req);
      const q = req.query;
      // spec RestoreSession_GetPage: sessions that started (ended) after / prior to the given times.
      const [startFrom, startTo, endFrom, endTo] = ['startTimeFrom', 'startTimeTo', 'endTimeFrom', 'endTimeTo'].map((k) =>
        parseDateTime(k, q[k]),
      );
      checkEnum('orderBy', q.orderBy, ['CreationTime', 'EndTime']);
      for (const s of scope.state.restoreSessions) advanceSession(scope, s);
      const after = (t: number | null, from?: number) => from === undefined || (t !== null && t > from);
      const before = (t: number | null, to?: number) => to === undefined || (t !== null && t < to);
      const key = (s: RestoreSessionRecord) => (q.orderBy === 'EndTime' ? (s.endTime ?? Number.MAX_SAFE_INTEGER) : s.creationTime);
      const asc = q.orderAsc === 'true';
      const list = scope.state.restoreSessions
        .filter((s) => after(s.creationTime, startFrom) && before(s.creationTime, startTo))
        .filter((s) => after(s.endTime, endFrom) && before(s.endTime, endTo))
        .sort((a, b) => (asc ? key(a) - key(b) : key(b) - key(a)));
      return pageOf(
        req,
        list.map((s) => restSession(scope, s)),
        q,
      );
    }),
  );
  app.get(
    '/v8/RestoreSessions/:restoreSessionId',
    handle(async (req: Req) => restSession(scopeOf(req), sessionOf(scopeOf(req), req.params.restoreSessionId))),
  );
  app.post(
    '/v8/RestoreSessions/:restoreSessionId/Stop',
    handle(async (req: Req, reply) => {
      const scope = scopeOf(req);
      stopSession(scope, sessionOf(scope, req.params.restoreSessionId));
      return reply.code(204).send();
    }),
  );
  app.get(
    '/v8/RestoreSessions/:restoreSessionId/Events',
    handle(async (req: Req) => {
      const s = sessionOf(scopeOf(req), req.params.restoreSessionId);
      return pageOf(
        req,
        s.events.map((e) => restEvent(s, e)),
        req.query,
      );
    }),
  );
  app.get(
    '/v8/RestoreSessions/:restoreSessionId/Events/:eventId',
    handle(async (req: Req) => {
      const s = sessionOf(scopeOf(req), req.params.restoreSessionId);
      const e = s.events.find((x) => x.id === req.params.eventId);
      if (!e) notFound(VEEAM_MESSAGES.eventNotFound(req.params.eventId));
      return restEvent(s, e);
    }),
  );
  app.get(
    '/v8/RestoreSessions/:restoreSessionId/Statistics',
    handle(async (req: Req) => {
      const s = sessionOf(scopeOf(req), req.params.restoreSessionId);
      const count = (st: string) => s.events.filter((e) => e.status === st).length;
      return {
        totalItemsCount: s.events.length,
        restoredItemsCount: count('Success') + count('Warning'),
        failedItemsCount: count('Failed'),
        skippedItemsCount: count('Skipped'),
        warnings: [],
        errors: s.events.filter((e) => e.status === 'Failed').map((e) => e.message),
        items: [],
      };
    }),
  );

  registerSiteRoutes(app);
  registerOneDriveRoutes(app);
  registerMailboxRoutes(app);
}

function registerSiteRoutes(app: FastifyInstance): void {
  const base = '/v8/RestoreSessions/:restoreSessionId/Organization/Sites';
  const ctx = (req: Req) => {
    const scope = scopeOf(req);
    const s = sessionOf(scope, req.params.restoreSessionId);
    return { scope, s, e: req.params.siteId ? entityOf(scope, s, 'site', req.params.siteId) : undefined };
  };
  app.get(
    base,
    handle(async (req: Req) => {
      const { scope, s } = ctx(req);
      return pageOf(
        req,
        entitiesOf(scope, s, 'site').map((e) => restEntity(s, e)),
        req.query,
      );
    }),
  );
  app.get(
    `${base}/:siteId`,
    handle(async (req: Req) => {
      const { s, e } = ctx(req);
      return restEntity(s, e!);
    }),
  );
  app.get(
    `${base}/:siteId/Folders`,
    handle(async (req: Req) => {
      const { scope, s, e } = ctx(req);
      return pageOf(
        req,
        childrenOf(s, e!, req.query.parentId)
          .filter((n) => n.isFolder)
          .map((n) => restNode(scope, s, e!, n)),
        req.query,
      );
    }),
  );
  app.get(
    `${base}/:siteId/Documents`,
    handle(async (req: Req) => {
      const { scope, s, e } = ctx(req);
      const withFolders = req.query.includeFolders === 'true';
      return pageOf(
        req,
        childrenOf(s, e!, req.query.parentId)
          .filter((n) => withFolders || !n.isFolder)
          .map((n) => restNode(scope, s, e!, n)),
        req.query,
      );
    }),
  );
  const restoreRoute = (path: string, fields: string[], to: boolean, pick?: 'documents' | 'folders') =>
    app.post(
      `${base}/:siteId${path}`,
      handle(async (req: Req) => {
        const scope = scopeOf(req);
        const s = workingSession(scope, req.params.restoreSessionId, 'Vesp');
        const e = entityOf(scope, s, 'site', req.params.siteId);
        const b = onlyKnownProperties(req.body ?? {}, fields);
        checkCommon(b);
        checkRestoreCredentials(scope, b, !pick);
        if (to && (typeof b.siteURL !== 'string' || !b.siteURL)) refuse(VEEAM_MESSAGES.required('siteURL'));
        const target = to ? String(b.siteURL) : e.url;
        if (pick) return nodesRestore(scope, s, e, pickNodes(s, e, b[pick], pick, NODE_REQUIRED), target);
        return startRestore(scope, s, e, {
          title: `Restore site ${e.name}`,
          itemName: e.name,
          itemType: 'SharePointSite',
          sizeBytes: FIXTURE_ITEM_SIZE_BYTES,
          target,
          names: [],
        });
      }),
    );
  restoreRoute('/restore', SITE_RESTORE, false);
  restoreRoute('/restoreTo', SITE_RESTORE_TO, true);
  restoreRoute('/Documents/restore', SP_DOCS, false, 'documents');
  restoreRoute('/Documents/restoreTo', SP_DOCS_TO, true, 'documents');
  restoreRoute('/Folders/restore', SP_FOLDERS, false, 'folders');
  restoreRoute('/Folders/restoreTo', SP_FOLDERS_TO, true, 'folders');
}

function registerOneDriveRoutes(app: FastifyInstance): void {
  const base = '/v8/RestoreSessions/:restoreSessionId/Organization/OneDrives';
  const ctx = (req: Req) => {
    const scope = scopeOf(req);
    const s = sessionOf(scope, req.params.restoreSessionId);
    return { scope, s, e: req.params.oneDriveId ? entityOf(scope, s, 'oneDrive', req.params.oneDriveId) : undefined };
  };
  app.get(
    base,
    handle(async (req: Req) => {
      const { scope, s } = ctx(req);
      return pageOf(
        req,
        entitiesOf(scope, s, 'oneDrive').map((e) => restEntity(s, e)),
        req.query,
      );
    }),
  );
  app.get(
    `${base}/:oneDriveId`,
    handle(async (req: Req) => {
      const { s, e } = ctx(req);
      return restEntity(s, e!);
    }),
  );
  app.get(
    `${base}/:oneDriveId/Folders`,
    handle(async (req: Req) => {
      const { scope, s, e } = ctx(req);
      return pageOf(
        req,
        childrenOf(s, e!, req.query.parentId)
          .filter((n) => n.isFolder)
          .map((n) => restNode(scope, s, e!, n)),
        req.query,
      );
    }),
  );
  app.get(
    `${base}/:oneDriveId/Documents`,
    handle(async (req: Req) => {
      const { scope, s, e } = ctx(req);
      const withFolders = req.query.includeFolders === 'true';
      return pageOf(
        req,
        childrenOf(s, e!, req.query.parentId)
          .filter((n) => withFolders || !n.isFolder)
          .map((n) => restNode(scope, s, e!, n)),
        req.query,
      );
    }),
  );
  const restoreRoute = (path: string, fields: string[], pick?: 'documents' | 'folders') =>
    app.post(
      `${base}/:oneDriveId${path}`,
      handle(async (req: Req) => {
        const scope = scopeOf(req);
        const s = workingSession(scope, req.params.restoreSessionId, 'Veod');
        const e = entityOf(scope, s, 'oneDrive', req.params.oneDriveId);
        const b = onlyKnownProperties(req.body ?? {}, fields);
        checkCommon(b);
        checkRestoreCredentials(scope, b, false);
        if (pick)
          return nodesRestore(
            scope,
            s,
            e,
            pickNodes(s, e, b[pick], pick, pick === 'documents' ? [...NODE_REQUIRED, 'sizeBytes'] : NODE_REQUIRED),
            e.url,
          );
        return startRestore(scope, s, e, {
          title: `Restore OneDrive of ${e.name}`,
          itemName: e.name,
          itemType: 'OneDriveItem',
          sizeBytes: FIXTURE_ITEM_SIZE_BYTES,
          target: e.url,
          names: [],
        });
      }),
    );
  // The trimmed v8 spec has only restore-to-original for OneDrive (copyTo was trimmed away).
  restoreRoute('/restore', OD_ORIGINAL);
  restoreRoute('/Documents/restore', OD_DOCS, 'documents');
  restoreRoute('/Folders/restore', OD_FOLDERS, 'folders');
}

function registerMailboxRoutes(app: FastifyInstance): void {
  // spec casing: /organization/mailboxes (lower-case "organization" for Exchange).
  const base = '/v8/RestoreSessions/:restoreSessionId/organization/mailboxes';
  const ctx = (req: Req) => {
    const scope = scopeOf(req);
    const s = sessionOf(scope, req.params.restoreSessionId);
    return { scope, s, e: req.params.mailboxId ? entityOf(scope, s, 'mailbox', req.params.mailboxId) : undefined };
  };
  const folderNodes = (s: RestoreSessionRecord, e: Entity) =>
    FIXTURE_MAIL_FOLDERS.map((name) => ({ id: fixtureUuid(`${s.id}|${e.id}|mf|${name}`), name }));
  app.get(
    base,
    handle(async (req: Req) => {
      const { scope, s } = ctx(req);
      return pageOf(
        req,
        entitiesOf(scope, s, 'mailbox').map((e) => restEntity(s, e)),
        req.query,
      );
    }),
  );
  app.get(
    `${base}/:mailboxId`,
    handle(async (req: Req) => {
      const { s, e } = ctx(req);
      return restEntity(s, e!);
    }),
  );
  app.get(
    `${base}/:mailboxId/folders`,
    handle(async (req: Req) => {
      const { s, e } = ctx(req);
      const name = typeof req.query.name === 'string' ? req.query.name.toLowerCase() : undefined;
      const list = req.query.parentId ? [] : folderNodes(s, e!).filter((f) => !name || f.name.toLowerCase() === name);
      return pageOf(
        req,
        list.map((f) => ({ id: f.id, name: f.name, _links: {} })),
        req.query,
      );
    }),
  );
  const restoreRoute = (path: string, to: boolean, folder: boolean) =>
    app.post(
      `${base}/:mailboxId${path}`,
      handle(async (req: Req) => {
        const scope = scopeOf(req);
        const s = workingSession(scope, req.params.restoreSessionId, 'Vex');
        const e = entityOf(scope, s, 'mailbox', req.params.mailboxId);
        const b = onlyKnownProperties(req.body ?? {}, to ? MB_TO : MB_ORIGINAL);
        checkCommon(b);
        checkRestoreCredentials(scope, b, false);
        if (to && (typeof b.mailbox !== 'string' || !b.mailbox)) refuse(VEEAM_MESSAGES.required('mailbox'));
        const f = folder ? folderNodes(s, e).find((x) => x.id === req.params.folderId) : undefined;
        if (folder && !f) notFound(VEEAM_MESSAGES.objectNotFound('Folder', req.params.folderId));
        const target = to ? String(b.mailbox) : e.email;
        return startRestore(scope, s, e, {
          title: f ? `Restore folder ${f.name} of ${e.email}` : `Restore mailbox ${e.email}`,
          itemName: f ? `${e.email}/${f.name}` : e.email,
          itemType: 'ExchangeMailbox',
          sizeBytes: f ? FIXTURE_ITEM_SIZE_BYTES / 4 : FIXTURE_ITEM_SIZE_BYTES,
          target,
          names: f ? [f.name] : [],
        });
      }),
    );
  restoreRoute('/restore', false, false);
  restoreRoute('/restoreTo', true, false);
  restoreRoute('/folders/:folderId/restore', false, true);
  restoreRoute('/folders/:folderId/restoreTo', true, true);
}
