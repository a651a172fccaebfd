import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  collection,
  graphContext,
  isGuid,
  isObject,
  odataContext,
  pathGetter,
  requireGuid,
  type GraphRequestContext,
} from './graph.context';
import { GraphHttpError, graphError } from './graph.errors';
import { failIfListed, injectedFor } from './graph.faults';
import { expandFilter, expands, matchesFilter, pageOf, parseFilter, type ODataQuery } from './graph.odata';
import {
  GRAPH_SERVICE_LIST,
  GRAPH_SERVICES,
  isSessionRunning,
  RETENTION_MS,
  restorePointId,
  restorePointTimes,
  sessionStatus,
  type ArtifactRecord,
  type GraphService,
  type GraphServiceNames,
  type SessionRecord,
  type UnitRecord,
} from './graph.state';
import { artifactView, restorePointView, sessionView, unitView } from './graph.views';

// seed 000 §Patch Restore Session: "Exceeded maximum artifacts limit of 50 for single request".
const MAX_ARTIFACTS = 50;
// Graph docs, restorePoint: search: "You can include a maximum of 20 protection units in a single request".
const MAX_SEARCH_UNITS = 20;
// Graph docs, List restorePoints: "This API returns a maximum of five restorePoint objects".
const RESTORE_POINT_LIMIT = 5;
const DEFAULT_TOP = 100;
const MAX_TOP = 999;
const FAST_RESTORE_TAG = 'fastRestore';

type IdParams = { Params: { id: string } };

/** Restore points (list, get, search) and restore sessions with their artifacts (SOURCE.md "Flow" 5-7). */
export function registerRestoreRoutes(app: FastifyInstance): void {
  app.get('/restorePoints', async (req) => listRestorePoints(req));
  app.post('/restorePoints/search', async (req) => searchRestorePoints(req));
  app.get<IdParams>('/restorePoints/:id', async (req) => getRestorePoint(req, false));
  app.get<IdParams>('/restorePoints/:id/protectionUnit', async (req) => getRestorePoint(req, true));

  app.get('/restoreSessions', async (req) => listSessions(req, undefined));
  app.post('/restoreSessions', async (req, reply) => {
    const type = isObject(req.body) ? String(req.body['@odata.type'] ?? '') : '';
    const names = GRAPH_SERVICE_LIST.find((n) => type.replace(/^#?microsoft\.graph\./, '') === n.sessionType);
    if (!names) throw new GraphHttpError(400, 'BadRequest', "A type named '@odata.type' of a restoreSessionBase subtype is required.");
    return createSession(req, reply, names);
  });
  app.get<IdParams>('/restoreSessions/:id', async (req) => getSession(req, undefined));
  app.patch<IdParams>('/restoreSessions/:id', async (req) => patchSession(req, undefined));
  app.delete<IdParams>('/restoreSessions/:id', async (req, reply) => deleteSession(req, reply, undefined));
  app.post<IdParams>('/restoreSessions/:id/activate', async (req) => activateSession(req, undefined));

  for (const names of GRAPH_SERVICE_LIST) {
    const s = `/${names.sessionCollection}`;
    app.get(s, async (req) => listSessions(req, names.service));
    app.post(s, async (req, reply) => createSession(req, reply, names));
    app.get<IdParams>(`${s}/:id`, async (req) => getSession(req, names.service));
    app.patch<IdParams>(`${s}/:id`, async (req) => patchSession(req, names.service));
    app.delete<IdParams>(`${s}/:id`, async (req, reply) => deleteSession(req, reply, names.service));
    app.post<IdParams>(`${s}/:id/activate`, async (req) => activateSession(req, names.service));
    app.get<IdParams>(`${s}/:id/${names.artifactsProperty}`, async (req) => listArtifacts(req, names));
    app.get<{ Params: { id: string; artifactId: string } }>(`${s}/:id/${names.artifactsProperty}/:artifactId`, async (req) => {
      const ctx = graphContext(req);
      const session = findSession(ctx, requireGuid(req.params.id, 'listArtifacts', 'InvalidRestoreSessionId'), names.service, 'getSession');
      const a = session.artifacts.find((x) => x.id === req.params.artifactId);
      if (!a) {
        const r = graphError('listArtifacts', 'ArtifactNotFound');
        throw new GraphHttpError(404, r.code, r.message);
      }
      return {
        '@odata.context': odataContext(
          ctx,
          `solutions/backupRestore/${names.sessionCollection}('${session.id}')/${names.artifactsProperty}/$entity`,
        ),
        ...artifactView(ctx, session, a, expands(req, 'restorePoint')),
      };
    });
  }
}

// ---------------------------------------------------------------- restore points

interface PointEntry {
  id: string;
  unit: UnitRecord;
  time: number;
}

function pointsOf(ctx: GraphRequestContext, units: UnitRecord[]): PointEntry[] {
  return units.flatMap((u) =>
    restorePointTimes(u, ctx.now, ctx.config.backupIntervalMs).map((time) => ({ id: restorePointId(u.id, time), unit: u, time })),
  );
}

/** Hands out a restore point id: from now on it can be read and restored from. */
function remember(ctx: GraphRequestContext, p: PointEntry): void {
  ctx.state.restorePoints[p.id] = { unitId: p.unit.id, time: p.time };
}

/**
 * The unit ids of `$expand=protectionUnit($filter=id eq '…' [or id eq '…'])`, the documented way to name the
 * units (List restorePoints doc: "The two query parameters are required"). Missing: InvalidSearchRequest.
 */
function unitIdsFromQuery(ctx: GraphRequestContext, req: FastifyRequest): string[] {
  const q = req.query as ODataQuery;
  const filter = parseFilter(q.$filter);
  const nested = parseFilter(expandFilter(req, 'protectionUnit'));
  const clauses = (filter?.clauseCount ?? 0) + (nested?.clauseCount ?? 0);
  if (clauses > ctx.config.maxFilterClauses) throw graphError('getRestorePoints', 'FilterLengthExceeded');
  const idClauses = nested?.groups.flat() ?? [];
  if (idClauses.length === 0 || idClauses.some((c) => c.path.toLowerCase() !== 'id' || c.op !== 'eq'))
    throw graphError('getRestorePoints', 'InvalidSearchRequest');
  const ids = idClauses.map((c) => c.value);
  if (ids.some((id) => !isGuid(id))) throw graphError('getRestorePoints', 'InvalidProtectionUnitId');
  return ids as string[];
}

/**
 * The upper bound of `$filter=protectionDateTime lt <time>` (List restorePoints doc: the required `$filter`, in the
 * only form it shows). Any other clause, operator (ge, le, gt, eq) or an unreadable time: InvalidSearchRequest
 * (seed 000 §Get Restore Point: "Requested date time limit ... is invalid").
 */
function upperBoundFromQuery(req: FastifyRequest): number {
  const filter = parseFilter((req.query as ODataQuery).$filter);
  const clauses = filter?.groups.length === 1 ? filter.groups[0] : [];
  const bounds = clauses.map((c) =>
    c.path.toLowerCase() === 'protectiondatetime' && c.op === 'lt' && typeof c.value === 'string' ? Date.parse(c.value) : NaN,
  );
  if (bounds.length === 0 || bounds.some((t) => !Number.isFinite(t))) throw graphError('getRestorePoints', 'InvalidSearchRequest');
  return Math.min(...bounds);
}

/**
 * GET /restorePoints as documented (List restorePoints): `$expand=protectionUnit($filter=id eq '…')&$filter=
 * protectionDateTime lt …`, both required. "This API returns a maximum of five restorePoint objects. If you don't
 * include the orderBy parameter, the five most recent restore points are returned": five at most, no nextLink;
 * `$orderby=protectionDateTime asc` gives the five oldest before the bound.
 */
function listRestorePoints(req: FastifyRequest) {
  const ctx = graphContext(req);
  const q = req.query as ODataQuery;
  const unitIds = unitIdsFromQuery(ctx, req);
  const before = upperBoundFromQuery(req);
  const units = unitIds.map((id) => ctx.state.units[id]).filter((u): u is UnitRecord => u !== undefined);
  const asc = /protectionDateTime\s+asc/i.test(q.$orderby ?? '');
  const items = pointsOf(ctx, units)
    .filter((p) => p.time < before)
    .sort((a, b) => (asc ? a.time - b.time : b.time - a.time) || a.id.localeCompare(b.id))
    .slice(0, RESTORE_POINT_LIMIT);
  items.forEach((p) => remember(ctx, p));
  const withUnit = expands(req, 'protectionUnit');
  return collection(ctx, 'solutions/backupRestore/restorePoints', {
    value: items.map((p) => restorePointView(ctx, p.id, p.unit, p.time, withUnit)),
  });
}

function getRestorePoint(req: FastifyRequest<IdParams>, unitOnly: boolean) {
  const ctx = graphContext(req);
  const ref = ctx.state.restorePoints[req.params.id];
  const unit = ref ? ctx.state.units[ref.unitId] : undefined;
  if (!ref || !unit) throw new GraphHttpError(404, 'itemNotFound', `Restore point '${req.params.id}' was not found.`);
  if (unitOnly) return { '@odata.context': odataContext(ctx, 'solutions/backupRestore/protectionUnits/$entity'), ...unitView(ctx, unit) };
  return {
    '@odata.context': odataContext(ctx, 'solutions/backupRestore/restorePoints/$entity'),
    ...restorePointView(ctx, req.params.id, unit, ref.time, expands(req, 'protectionUnit')),
  };
}

function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

/** POST /restorePoints/search: per unit, the latest (or oldest) point in the period (restorePointSearchResponse, restorePoint: search doc). */
function searchRestorePoints(req: FastifyRequest) {
  const ctx = graphContext(req);
  const body = req.body;
  if (!isObject(body)) throw graphError('getRestorePoints', 'InvalidSearchRequest');
  const ids = body.protectionUnitIds;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_SEARCH_UNITS)
    throw graphError('getRestorePoints', 'InvalidSearchRequest');
  if (ids.some((id) => !isGuid(id))) throw graphError('getRestorePoints', 'InvalidProtectionUnitId');
  const period = isObject(body.protectionTimePeriod) ? body.protectionTimePeriod : undefined;
  const start = parseTime(period?.startDateTime);
  // restorePoint: search docs: the period is required, but their artifactQuery sample sends only startDateTime:
  // an absent endDateTime is no upper bound; a present one must be a time not before the start.
  const end = period?.endDateTime === undefined || period.endDateTime === null ? Infinity : parseTime(period.endDateTime);
  if (start === undefined || end === undefined || start > end) throw graphError('getRestorePoints', 'InvalidSearchRequest');
  const preference = body.restorePointPreference ?? 'latest';
  if (preference !== 'latest' && preference !== 'oldest') throw graphError('getRestorePoints', 'InvalidSearchRequest');
  // Graph docs: "When you provide an expression for the artifactQuery property, you must provide only one protection unit ID".
  if (body.artifactQuery && ids.length !== 1) throw graphError('getRestorePoints', 'InvalidSearchRequest');
  const onlyFast =
    typeof body.tags === 'string' &&
    body.tags
      .split(',')
      .map((t) => t.trim())
      .includes(FAST_RESTORE_TAG);

  const searchResults: unknown[] = [];
  const noResultProtectionUnitIds: string[] = [];
  for (const id of ids as string[]) {
    const unit = ctx.state.units[id];
    const hits = unit ? pointsOf(ctx, [unit]).filter((p) => p.time >= start && p.time <= end) : [];
    const views = hits
      .map((p) => ({ p, v: restorePointView(ctx, p.id, p.unit, p.time, true) }))
      .filter((x) => !onlyFast || x.v.tags === FAST_RESTORE_TAG);
    if (views.length === 0) {
      noResultProtectionUnitIds.push(id);
      continue;
    }
    const pick = preference === 'latest' ? views[0] : views[views.length - 1];
    remember(ctx, pick.p);
    searchResults.push({ ...(body.artifactQuery ? { artifactHitCount: 1 + (pick.p.time % 50) } : {}), restorePoint: pick.v });
  }
  return {
    '@odata.context': odataContext(ctx, 'microsoft.graph.restorePointSearchResponse'),
    searchResponseId: randomBytes(18).toString('base64url'),
    searchResults,
    noResultProtectionUnitIds,
  };
}

// ---------------------------------------------------------------- restore sessions

type SessionOp = 'getSession' | 'patchSession' | 'deleteSession' | 'activateSession';

function findSession(ctx: GraphRequestContext, id: string, service: GraphService | undefined, op: SessionOp): SessionRecord {
  const s = ctx.state.sessions[id];
  if (!s || (service && s.service !== service)) throw graphError(op, 'RestoreSessionNotFound');
  return s;
}

function sessionBody(ctx: GraphRequestContext, req: FastifyRequest, s: SessionRecord) {
  const names = GRAPH_SERVICES[s.service];
  return {
    '@odata.context': odataContext(ctx, `solutions/backupRestore/${names.sessionCollection}/$entity`),
    ...sessionView(ctx, s, expands(req, names.artifactsProperty)),
  };
}

/** The restore point an artifact binds: `{"restorePoint":{"@odata.id":"<id>"}}` (docs sample) or `restorePoint@odata.bind`. */
function boundRestorePointId(entry: Record<string, unknown>): string | undefined {
  const rp = entry.restorePoint;
  const raw = isObject(rp) ? (rp['@odata.id'] ?? rp.id) : entry['restorePoint@odata.bind'];
  if (typeof raw !== 'string' || !raw) return undefined;
  const m = /restorePoints(?:\('([^']+)'\)|\/([^/?]+))\/?$/.exec(raw);
  return m ? (m[1] ?? m[2]) : raw;
}

/**
 * Checks a list of artifacts to add (create or PATCH) in the seed's order and returns their records.
 * `existing` are the session's artifacts already present (PATCH).
 */
function resolveArtifacts(
  ctx: GraphRequestContext,
  names: GraphServiceNames,
  list: Record<string, unknown>[],
  op: 'createSession' | 'patchSession',
  existing: ArtifactRecord[],
): ArtifactRecord[] {
  const dests = list.map((e) => e.destinationType);
  if (dests.some((d) => d !== 'new' && d !== 'inPlace')) {
    throw op === 'createSession' ? graphError('createSession', 'InvalidPathType') : graphError('patchSession', 'InvalidPatchRequest');
  }
  // 003: "Restoring to both a new location and the same URL in a single restore session isn't supported."
  if (new Set([...dests, ...existing.map((a) => a.destinationType)]).size > 1)
    throw graphError('createSession', 'DifferentRestoreDestinationType');
  const records = list.map((e) => {
    const id = boundRestorePointId(e);
    const ref = id ? ctx.state.restorePoints[id] : undefined;
    const unit = ref ? ctx.state.units[ref.unitId] : undefined;
    if (!id || !ref || !unit || unit.service !== names.service) throw graphError(op, 'InvalidRestorePoint');
    return {
      id: randomUUID(),
      restorePointId: id,
      unitId: unit.id,
      protectionTime: ref.time,
      destinationType: e.destinationType as 'new' | 'inPlace',
      createdAt: ctx.now,
    } satisfies ArtifactRecord;
  });
  const unitIds = [...existing, ...records].map((a) => a.unitId);
  if (new Set(unitIds).size !== unitIds.length) throw graphError(op, 'DuplicateArtifactInList');
  return records;
}

function createSession(req: FastifyRequest, reply: FastifyReply, names: GraphServiceNames) {
  const ctx = graphContext(req);
  const body = req.body;
  const list = isObject(body) ? body[names.artifactsProperty] : undefined;
  if (!Array.isArray(list) || list.length === 0 || list.some((e) => !isObject(e)))
    throw graphError('createSession', 'InvalidArtifactRequest');
  // seed 000 §Create Restore Session: more than 50 artifacts -> 413 RestoreArtifactsLimitBreached.
  if (list.length > MAX_ARTIFACTS) throw graphError('createSession', 'RestoreArtifactsLimitBreached');
  const artifacts = resolveArtifacts(ctx, names, list as Record<string, unknown>[], 'createSession', []);
  const s: SessionRecord = {
    id: randomUUID(),
    service: names.service,
    artifacts,
    createdAt: ctx.now,
    modifiedAt: ctx.now,
    appId: ctx.appId,
  };
  ctx.state.sessions[s.id] = s;
  reply.code(201).header('location', `${ctx.base}/solutions/backupRestore/${names.sessionCollection}/${s.id}`);
  return sessionBody(ctx, req, s);
}

function listSessions(req: FastifyRequest, service: GraphService | undefined) {
  const ctx = graphContext(req);
  const filter = parseFilter((req.query as ODataQuery).$filter);
  const items = Object.values(ctx.state.sessions)
    .filter((s) => !service || s.service === service)
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((s) => sessionView(ctx, s, service ? expands(req, GRAPH_SERVICES[service].artifactsProperty) : false))
    .filter((v) => matchesFilter(filter, pathGetter(v), 'restoreSessionBase'));
  const fragment = `solutions/backupRestore/${service ? GRAPH_SERVICES[service].sessionCollection : 'restoreSessions'}`;
  return collection(ctx, fragment, pageOf(req, items, DEFAULT_TOP, MAX_TOP));
}

function getSession(req: FastifyRequest<IdParams>, service: GraphService | undefined) {
  const ctx = graphContext(req);
  return sessionBody(
    ctx,
    req,
    findSession(ctx, requireGuid(req.params.id, 'getSession', 'InvalidRestoreSessionId'), service, 'getSession'),
  );
}

function patchSession(req: FastifyRequest<IdParams>, service: GraphService | undefined) {
  const ctx = graphContext(req);
  const s = findSession(ctx, requireGuid(req.params.id, 'patchSession', 'InvalidRestoreSessionId'), service, 'patchSession');
  const names = GRAPH_SERVICES[s.service];
  if (sessionStatus(s, ctx.now) !== 'draft') throw graphError('patchSession', 'RestoreSessionActionNotAllowed');
  const body = req.body;
  if (!isObject(body)) throw graphError('patchSession', 'InvalidPatchRequest');
  const delta = body[`${names.artifactsProperty}@delta`] ?? body[names.artifactsProperty];
  if (delta === undefined || delta === null) throw graphError('patchSession', 'InvalidArtifactRequest');
  if (!Array.isArray(delta) || delta.some((e) => !isObject(e))) throw graphError('patchSession', 'InvalidPatchRequest');
  if (delta.length === 0) throw graphError('patchSession', 'InvalidArtifactRequest');
  if (delta.length > MAX_ARTIFACTS) throw graphError('patchSession', 'RestoreArtifactsLimitBreached');
  const entries = delta as Record<string, unknown>[];
  const removals = entries.filter((e) => '@removed' in e).map((e) => String(e.id));
  if (removals.some((id) => !s.artifacts.some((a) => a.id === id))) throw graphError('patchSession', 'InvalidPatchRequest');
  const kept = s.artifacts.filter((a) => !removals.includes(a.id));
  const added = resolveArtifacts(
    ctx,
    names,
    entries.filter((e) => !('@removed' in e)),
    'patchSession',
    kept,
  );
  if (kept.length + added.length > MAX_ARTIFACTS) throw graphError('patchSession', 'RestoreArtifactsLimitBreached');
  s.artifacts = [...kept, ...added];
  s.modifiedAt = ctx.now;
  return sessionBody(ctx, req, s);
}

function deleteSession(req: FastifyRequest<IdParams>, reply: FastifyReply, service: GraphService | undefined) {
  const ctx = graphContext(req);
  const s = findSession(ctx, requireGuid(req.params.id, 'deleteSession', 'InvalidRestoreSessionId'), service, 'deleteSession');
  if (sessionStatus(s, ctx.now) !== 'draft') throw graphError('deleteSession', 'RestoreSessionActionNotAllowed');
  failIfListed(ctx.config, 'deleteSession');
  delete ctx.state.sessions[s.id];
  reply.code(204);
  return null;
}

/** The artifact-level error an artifact will end with, decided when the session is activated. */
function failureOf(ctx: GraphRequestContext, a: ArtifactRecord, busyUnits: Set<string>): ArtifactRecord['failure'] {
  const unit = ctx.state.units[a.unitId];
  const injected = unit ? injectedFor(ctx.config.artifactErrors, unit) : undefined;
  if (injected) return injected;
  if (unit?.restoreBlocked) return 'ArtifactCannotBeRestored';
  if (a.protectionTime < ctx.now - RETENTION_MS) return 'InvalidRestoreTime';
  if (busyUnits.has(a.unitId)) return 'DuplicateArtifactRestoreRequest';
  return undefined;
}

function activateSession(req: FastifyRequest<IdParams>, service: GraphService | undefined) {
  const ctx = graphContext(req);
  const s = findSession(ctx, requireGuid(req.params.id, 'activateSession', 'InvalidRestoreSessionId'), service, 'activateSession');
  if (sessionStatus(s, ctx.now) !== 'draft') throw graphError('activateSession', 'RestoreSessionActionNotAllowed');
  const running = Object.values(ctx.state.sessions).filter((x) => isSessionRunning(x, ctx.now));
  // seed 000 §Activate Restore Session: at most 25 sessions active at once.
  if (running.length >= ctx.config.maxActiveRestoreSessions) throw graphError('activateSession', 'TooManyActiveRestoreSessions');
  const busy = new Set(running.flatMap((x) => x.artifacts.map((a) => a.unitId)));
  for (const a of s.artifacts) a.failure = failureOf(ctx, a, busy);
  Object.assign(s, {
    activatedAt: ctx.now,
    modifiedAt: ctx.now,
    activatingMs: ctx.config.activatingMs,
    restoreDurationMs: ctx.config.restoreDurationMs,
  });
  return sessionBody(ctx, req, s);
}

function listArtifacts(req: FastifyRequest<IdParams>, names: GraphServiceNames) {
  const ctx = graphContext(req);
  const s = findSession(ctx, requireGuid(req.params.id, 'listArtifacts', 'InvalidRestoreSessionId'), names.service, 'getSession');
  const filter = parseFilter((req.query as ODataQuery).$filter);
  const withPoint = expands(req, 'restorePoint');
  const items = s.artifacts
    .map((a) => artifactView(ctx, s, a, withPoint))
    .filter((v) => matchesFilter(filter, pathGetter(v), names.artifactType));
  return collection(
    ctx,
    `solutions/backupRestore/${names.sessionCollection}('${s.id}')/${names.artifactsProperty}`,
    pageOf(req, items, DEFAULT_TOP, MAX_TOP),
  );
}
