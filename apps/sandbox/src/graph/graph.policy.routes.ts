import { randomUUID } from 'node:crypto';
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
import { GraphHttpError, graphError, graphPublicError } from './graph.errors';
import { failIfListed } from './graph.faults';
import { expands, matchesFilter, pageOf, parseFilter, type ODataQuery } from './graph.odata';
import {
  GRAPH_SERVICE_LIST,
  GRAPH_SERVICES,
  createUnit,
  policyStatus,
  unitForResource as unitForResourceIn,
  unitsOfPolicy,
  type GraphService,
  type GraphServiceNames,
  type PolicyRecord,
  type UnitRecord,
} from './graph.state';
import { policyView, unitView } from './graph.views';

// seed 000 §Create ProtectionPolicy: "Number Of Protection Units In Each Request Must Not Exceed 50."
const MAX_UNITS_PER_REQUEST = 50;
const DEFAULT_TOP = 100;
const MAX_TOP = 999;

type IdParams = { Params: { id: string } };

/**
 * Protection policies and protection units (seed 000, SOURCE.md "Flow" 1-3) under /solutions/backupRestore:
 * typed collections per service (sharePoint/oneDriveForBusiness/exchange) plus the base collections
 * /protectionPolicies and /protectionUnits.
 */
export function registerPolicyRoutes(app: FastifyInstance): void {
  app.get('/protectionPolicies', async (req) => listPolicies(req));
  app.get<IdParams>('/protectionPolicies/:id', async (req) => getPolicy(req, undefined));
  app.delete<IdParams>('/protectionPolicies/:id', async (req, reply) => deletePolicy(req, reply, undefined));
  app.post<IdParams>('/protectionPolicies/:id/activate', async (req, reply) => activatePolicy(req, reply, undefined));
  app.post<IdParams>('/protectionPolicies/:id/deactivate', async (req, reply) => deactivatePolicy(req, reply, undefined));
  app.get('/protectionUnits', async (req) => listUnits(req, undefined, undefined));
  app.get<IdParams>('/protectionUnits/:id', async (req) => getUnit(req, undefined));

  for (const names of GRAPH_SERVICE_LIST) {
    const p = `/${names.policyCollection}`;
    app.get(p, async (req) => listPolicies(req, names.service));
    app.post(p, async (req, reply) => createPolicy(req, reply, names));
    app.get<IdParams>(`${p}/:id`, async (req) => getPolicy(req, names.service));
    app.patch<IdParams>(`${p}/:id`, async (req) => patchPolicy(req, names));
    app.delete<IdParams>(`${p}/:id`, async (req, reply) => deletePolicy(req, reply, names.service));
    app.post<IdParams>(`${p}/:id/activate`, async (req, reply) => activatePolicy(req, reply, names.service));
    app.post<IdParams>(`${p}/:id/deactivate`, async (req, reply) => deactivatePolicy(req, reply, names.service));
    app.get<IdParams>(`${p}/:id/${names.unitsProperty}`, async (req) => {
      const ctx = graphContext(req);
      const policy = findPolicy(ctx, requireGuid(req.params.id, 'listUnits', 'InvalidPolicyId'), names.service, 'listUnits');
      return listUnits(req, names.service, policy.id);
    });
    app.get(`/${names.unitCollection}`, async (req) => listUnits(req, names.service, undefined));
    app.get<IdParams>(`/${names.unitCollection}/:id`, async (req) => getUnit(req, names.service));
  }
}

function findPolicy(
  ctx: GraphRequestContext,
  id: string,
  service: GraphService | undefined,
  op: 'getPolicy' | 'patchPolicy' | 'deletePolicy' | 'activatePolicy' | 'deactivatePolicy' | 'listUnits',
): PolicyRecord {
  const p = ctx.state.policies[id];
  if (!p || (service && p.service !== service)) throw graphError(op, 'PolicyNotFound');
  return p;
}

function view(ctx: GraphRequestContext, req: FastifyRequest, p: PolicyRecord) {
  const names = GRAPH_SERVICES[p.service];
  const v = policyView(ctx, p);
  if (!expands(req, names.unitsProperty)) return v;
  return { ...v, [names.unitsProperty]: unitsOfPolicy(ctx.state, p.id).map((u) => unitView(ctx, u)) };
}

function listPolicies(req: FastifyRequest, service?: GraphService) {
  const ctx = graphContext(req);
  const filter = parseFilter((req.query as ODataQuery).$filter);
  const items = Object.values(ctx.state.policies)
    .filter((p) => !service || p.service === service)
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((p) => view(ctx, req, p))
    .filter((v) => matchesFilter(filter, pathGetter(v), 'protectionPolicyBase'));
  const fragment = `solutions/backupRestore/${service ? GRAPH_SERVICES[service].policyCollection : 'protectionPolicies'}`;
  return collection(ctx, fragment, pageOf(req, items, DEFAULT_TOP, MAX_TOP));
}

function getPolicy(req: FastifyRequest<IdParams>, service: GraphService | undefined) {
  const ctx = graphContext(req);
  const p = findPolicy(ctx, requireGuid(req.params.id, 'getPolicy', 'InvalidPolicyId'), service, 'getPolicy');
  return {
    '@odata.context': odataContext(ctx, `solutions/backupRestore/${GRAPH_SERVICES[p.service].policyCollection}/$entity`),
    ...view(ctx, req, p),
  };
}

function validDisplayName(v: unknown): v is string {
  return typeof v === 'string' && v.trim().length > 0 && v.length <= 1024;
}

/** The directory entry an addition names (`{siteId}` or `{directoryObjectId}`), or undefined. */
function resolveResource(ctx: GraphRequestContext, names: GraphServiceNames, entry: unknown) {
  if (!isObject(entry)) return undefined;
  const key = entry[names.resourceKey] ?? (names.resourceKey === 'directoryObjectId' ? entry.email : undefined);
  if (typeof key !== 'string') return undefined;
  const found = names.resourceKey === 'siteId' ? ctx.directory.site(key) : ctx.directory.user(key);
  return found
    ? {
        resourceId:
          names.resourceKey === 'siteId'
            ? (found as { siteId: string }).siteId
            : (found as { directoryObjectId: string }).directoryObjectId,
        index: found.index,
        restoreBlocked: found.restoreBlocked,
      }
    : undefined;
}

function unitForResource(ctx: GraphRequestContext, service: GraphService, resourceId: string): UnitRecord | undefined {
  return unitForResourceIn(ctx.state, service, resourceId);
}

function newUnit(ctx: GraphRequestContext, p: PolicyRecord, r: { resourceId: string; index: number; restoreBlocked: boolean }): UnitRecord {
  return createUnit(ctx.state, p, r, ctx.now, ctx.config.protectDelayMs, ctx.appId);
}

function createPolicy(req: FastifyRequest, reply: FastifyReply, names: GraphServiceNames) {
  const ctx = graphContext(req);
  const body = req.body;
  if (!isObject(body)) throw graphError('createPolicy', 'InvalidCreateRequest');
  if (!validDisplayName(body.displayName)) throw graphError('createPolicy', 'InvalidDisplayName');
  failIfListed(ctx.config, 'createPolicy');
  const list = body[names.unitsProperty];
  if (list !== undefined && list !== null && !Array.isArray(list)) throw graphError('createPolicy', 'InvalidCreateRequest');
  if (!Array.isArray(list) || list.length === 0) throw graphError('createPolicy', 'EmptyProtectionUnitList');
  if (list.length > MAX_UNITS_PER_REQUEST) throw graphError('createPolicy', 'ProtectionUnitsLimitBreached');
  const active = Object.values(ctx.state.policies).some((p) => p.service === names.service && p.target === 'active');
  if (active) throw graphError('createPolicy', 'PolicyCreationNotAllowed');
  const resources = list.map((e) => resolveResource(ctx, names, e));
  if (resources.some((r) => !r)) throw graphError('createPolicy', 'InvalidProtectionUnitId');
  const ids = resources.map((r) => r!.resourceId);
  if (new Set(ids).size !== ids.length) throw graphError('patchPolicy', 'DuplicateProtectionUnitInList');
  if (ids.some((id) => unitForResource(ctx, names.service, id))) {
    const r = graphPublicError('patchPolicy', 'ProtectionUnitAlreadyExists');
    throw new GraphHttpError(400, r.code, r.message);
  }
  const p: PolicyRecord = {
    id: randomUUID(),
    service: names.service,
    displayName: body.displayName as string,
    target: 'inactive',
    createdAt: ctx.now,
    modifiedAt: ctx.now,
    appId: ctx.appId,
  };
  ctx.state.policies[p.id] = p;
  for (const r of resources) newUnit(ctx, p, r!);
  reply.code(201).header('content-location', `${ctx.base}/solutions/backupRestore/protectionPolicies/${p.id}`);
  return { '@odata.context': odataContext(ctx, `solutions/backupRestore/${names.policyCollection}/$entity`), ...view(ctx, req, p) };
}

/** One entry of a `…ProtectionUnits@delta` result that failed (shape of the Update policy sample). */
function deltaFailure(
  code: 'ProtectionUnitAlreadyExists' | 'ProtectionUnitNotFound',
  entry: Record<string, unknown>,
  op: 'add' | 'remove',
) {
  const err = graphPublicError('patchPolicy', code);
  const contentId = String(entry.id ?? entry.siteId ?? entry.directoryObjectId ?? '');
  return {
    '@contentId': contentId,
    '@Core.DataModificationException': {
      info: { code: err.code, message: err.message },
      failedOperation: op,
      responseCode: op === 'add' ? 409 : 404,
    },
    ...(entry.id ? { id: entry.id } : {}),
    error: err,
  };
}

function patchPolicy(req: FastifyRequest<IdParams>, names: GraphServiceNames) {
  const ctx = graphContext(req);
  const p = findPolicy(ctx, requireGuid(req.params.id, 'getPolicy', 'InvalidPolicyId'), names.service, 'patchPolicy');
  const body = req.body;
  if (!isObject(body)) throw new GraphHttpError(400, 'BadRequest', 'Empty Payload. JSON content expected.');
  if (body.displayName !== undefined && !validDisplayName(body.displayName)) throw graphError('createPolicy', 'InvalidDisplayName');
  const delta = body[`${names.unitsProperty}@delta`] ?? [];
  if (!Array.isArray(delta) || delta.some((e) => !isObject(e)))
    throw new GraphHttpError(400, 'BadRequest', `Invalid value for '${names.unitsProperty}@delta'.`);
  if (delta.length > MAX_UNITS_PER_REQUEST) throw graphError('createPolicy', 'ProtectionUnitsLimitBreached');
  const entries = delta as Record<string, unknown>[];
  const additions = entries.filter((e) => !('@removed' in e));
  const resources = additions.map((e) => resolveResource(ctx, names, e));
  if (resources.some((r) => !r)) throw graphError('createPolicy', 'InvalidProtectionUnitId');
  const keys = [
    ...resources.map((r) => `add|${r!.resourceId}`),
    ...entries.filter((e) => '@removed' in e).map((e) => `remove|${String(e.id)}`),
  ];
  if (new Set(keys).size !== keys.length) throw graphError('patchPolicy', 'DuplicateProtectionUnitInList');

  const results: unknown[] = [];
  for (const e of entries) {
    if ('@removed' in e) {
      const u = typeof e.id === 'string' ? ctx.state.units[e.id] : undefined;
      if (!u || u.policyId !== p.id || u.status === 'removed' || u.status === 'removeRequested') {
        results.push(deltaFailure('ProtectionUnitNotFound', e, 'remove'));
        continue;
      }
      Object.assign(u, { status: 'removeRequested', dueAt: ctx.now + ctx.config.protectDelayMs, modifiedAt: ctx.now });
      results.push(unitView(ctx, u));
      continue;
    }
    const r = resolveResource(ctx, names, e)!;
    if (unitForResource(ctx, names.service, r.resourceId)) {
      results.push(deltaFailure('ProtectionUnitAlreadyExists', e, 'add'));
      continue;
    }
    results.push(unitView(ctx, newUnit(ctx, p, r)));
  }
  if (typeof body.displayName === 'string') p.displayName = body.displayName;
  p.modifiedAt = ctx.now;
  return {
    '@odata.context': odataContext(ctx, `solutions/backupRestore/${names.policyCollection}/$entity`),
    ...view(ctx, req, p),
    [`${names.unitsProperty}@delta`]: results,
  };
}

function policyActionResponse(ctx: GraphRequestContext, req: FastifyRequest, reply: FastifyReply, p: PolicyRecord) {
  // protectionPolicyBase: activate answers 202 Accepted with the policy and Content-Location (Graph docs sample).
  reply.code(202).header('content-location', `${ctx.base}/solutions/backupRestore/protectionPolicies('${p.id}')`);
  return { '@odata.context': odataContext(ctx, 'solutions/backupRestore/protectionPolicies/$entity'), ...view(ctx, req, p) };
}

function activatePolicy(req: FastifyRequest<IdParams>, reply: FastifyReply, service: GraphService | undefined) {
  const ctx = graphContext(req);
  const p = findPolicy(ctx, requireGuid(req.params.id, 'activatePolicy', 'InvalidPolicyId'), service, 'activatePolicy');
  // seed 000 §Activate: only a policy in Inactive state can be activated.
  if (policyStatus(ctx.state, p, ctx.now, ctx.config) !== 'inactive') throw graphError('activatePolicy', 'PolicyActionNotAllowed');
  const due = ctx.now + ctx.config.protectDelayMs;
  Object.assign(p, { target: 'active', updatingUntil: due, modifiedAt: ctx.now });
  for (const u of unitsOfPolicy(ctx.state, p.id)) {
    if (u.status === 'protectRequested' || u.status === 'unprotected' || u.status === 'unprotectRequested') {
      if (u.status === 'unprotectRequested') closeOpenPeriod(u, ctx.now);
      Object.assign(u, { status: 'protectRequested', dueAt: due, modifiedAt: ctx.now });
    }
  }
  return policyActionResponse(ctx, req, reply, p);
}

function closeOpenPeriod(u: UnitRecord, at: number): void {
  const open = u.protectedPeriods.find((x) => x.to === undefined);
  if (open) open.to = at;
}

function deactivatePolicy(req: FastifyRequest<IdParams>, reply: FastifyReply, service: GraphService | undefined) {
  const ctx = graphContext(req);
  const p = findPolicy(ctx, requireGuid(req.params.id, 'deactivatePolicy', 'InvalidPolicyId'), service, 'deactivatePolicy');
  // seed 000 §Deactivate: only an active policy can be deactivated ("Please wait till it comes in active state").
  const status = policyStatus(ctx.state, p, ctx.now, ctx.config);
  if (status !== 'active' && status !== 'activeWithErrors') throw graphError('deactivatePolicy', 'PolicyActionNotAllowed');
  const due = ctx.now + ctx.config.protectDelayMs;
  Object.assign(p, { target: 'inactive', updatingUntil: due, modifiedAt: ctx.now });
  for (const u of unitsOfPolicy(ctx.state, p.id)) {
    if (u.status === 'protected') Object.assign(u, { status: 'unprotectRequested', dueAt: due, modifiedAt: ctx.now });
    else if (u.status === 'protectRequested') Object.assign(u, { status: 'unprotected', dueAt: undefined, modifiedAt: ctx.now });
  }
  return policyActionResponse(ctx, req, reply, p);
}

function deletePolicy(req: FastifyRequest<IdParams>, reply: FastifyReply, service: GraphService | undefined) {
  const ctx = graphContext(req);
  const p = findPolicy(ctx, requireGuid(req.params.id, 'deletePolicy', 'InvalidPolicyId'), service, 'deletePolicy');
  const status = policyStatus(ctx.state, p, ctx.now, ctx.config);
  // seed 000 §Delete Inactive Protection Policy: only an Inactive policy can be deleted.
  if (status !== 'inactive') throw graphError('deletePolicy', 'PolicyActionNotAllowed', { 0: status[0].toUpperCase() + status.slice(1) });
  for (const u of unitsOfPolicy(ctx.state, p.id)) {
    closeOpenPeriod(u, ctx.now);
    Object.assign(u, { status: 'removed', dueAt: undefined, modifiedAt: ctx.now });
  }
  delete ctx.state.policies[p.id];
  reply.code(204);
  return null;
}

function listUnits(req: FastifyRequest, service: GraphService | undefined, policyId: string | undefined) {
  const ctx = graphContext(req);
  const filter = parseFilter((req.query as ODataQuery).$filter);
  if (filter && filter.clauseCount > ctx.config.maxFilterClauses) throw graphError('listUnits', 'FilterLengthExceeded');
  for (const c of filter?.groups.flat() ?? []) {
    if (c.path === 'id' && c.op === 'eq' && !isGuid(c.value)) throw graphError('listUnits', 'InvalidProtectionUnitId');
  }
  const typeName = service ? GRAPH_SERVICES[service].unitType : 'protectionUnitBase';
  const items = Object.values(ctx.state.units)
    .filter((u) => u.status !== 'removed' && (!service || u.service === service) && (!policyId || u.policyId === policyId))
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((u) => unitView(ctx, u))
    .filter((v) => matchesFilter(filter, pathGetter(v), typeName));
  const fragment = policyId
    ? `solutions/backupRestore/${GRAPH_SERVICES[service!].policyCollection}('${policyId}')/${GRAPH_SERVICES[service!].unitsProperty}`
    : `solutions/backupRestore/${service ? GRAPH_SERVICES[service].unitCollection : 'protectionUnits'}`;
  return collection(ctx, fragment, pageOf(req, items, DEFAULT_TOP, MAX_TOP));
}

function getUnit(req: FastifyRequest<IdParams>, service: GraphService | undefined) {
  const ctx = graphContext(req);
  const id = requireGuid(req.params.id, 'getUnit', 'InvalidProtectionUnitId');
  const u = ctx.state.units[id];
  if (!u || u.status === 'removed' || (service && u.service !== service)) {
    // seed 000 lists ProtectionUnitNotFound with status 200 (a unit-level error); a GET of a missing unit has no
    // unit to carry it, so the sandbox answers 404 with that code and message.
    const err = graphPublicError('getUnit', 'ProtectionUnitNotFound', { id });
    throw new GraphHttpError(404, err.code, err.message);
  }
  return {
    '@odata.context': odataContext(ctx, `solutions/backupRestore/${GRAPH_SERVICES[u.service].unitCollection}/$entity`),
    ...unitView(ctx, u),
  };
}
