import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { collection, graphContext, isGuid, isObject, odataContext, requireGuid, type GraphRequestContext } from './graph.context';
import { graphError } from './graph.errors';
import { failIfListed } from './graph.faults';
import { pageOf } from './graph.odata';
import { GRAPH_SERVICE_LIST, type GraphServiceNames, type PolicyRecord, type RuleRecord } from './graph.state';
import { ruleView } from './graph.views';

const DEFAULT_TOP = 100;
const MAX_TOP = 999;

type IdParams = { Params: { id: string } };
type PolicyRuleParams = { Params: { id: string; ruleId: string } };

/**
 * Inclusion rules (dynamic protection), seed 000 §Create / Get / Update Inclusion Rule and the derived OpenAPI:
 *   /{drive|site|mailbox}InclusionRules                        list, create
 *   /{…}InclusionRules/{id}                                    get, update (PATCH), delete
 *   /{…}InclusionRules/{id}/run, /deleteAndUnprotect           actions
 *   /{policyCollection}/{policyId}/{…}InclusionRules[/{id}]    list, get; create (Graph docs "Create protectionRuleBase")
 *
 * Status (protectionRuleStatus): a new rule is `draft`; `run` makes it `active`; `ruleRunMs` later it is applied
 * (graph.state.ts applyRule) and ends `completed`, or `completedWithErrors` when a matching resource is protected
 * by another policy. The Graph docs say a new rule starts `active` and that `draft` is not supported yet; the
 * sandbox keeps the spec's draft step so `run` means something, and a client must accept both.
 *
 * Expressions: `(memberOf -any (group.id -in ['<group id>', …]))` (the form of the driveExpression examples) for
 * all three kinds; a group's members are fixed per tenant (graph.fixtures.ts graphSandboxGroupMembers). A rule
 * created at the root collection (the spec has no policy on it) belongs to the service's only policy; with none or
 * several it is refused as InvalidInclusionRuleCreateRequest.
 */
export function registerRuleRoutes(app: FastifyInstance): void {
  for (const names of GRAPH_SERVICE_LIST) {
    const r = `/${names.ruleCollection}`;
    const p = `/${names.policyCollection}/:id/${names.ruleCollection}`;
    app.get(r, async (req) => listRules(req, names, undefined));
    app.post(r, async (req, reply) => createRule(req, reply, names, servicePolicy(graphContext(req), names)));
    app.get<IdParams>(`${r}/:id`, async (req) => ruleBody(graphContext(req), names, findRule(req, names, req.params.id, 'getRule')));
    app.patch<IdParams>(`${r}/:id`, async (req) => updateRule(req, names));
    app.delete<IdParams>(`${r}/:id`, async (req, reply) => deleteRule(req, reply, names));
    app.post<IdParams>(`${r}/:id/run`, async (req) => runRule(req, names));
    app.post<IdParams>(`${r}/:id/deleteAndUnprotect`, async (req) => deleteAndUnprotect(req, names));
    app.get<IdParams>(p, async (req) => listRules(req, names, policyOf(req, names)));
    app.post<IdParams>(p, async (req, reply) => createRule(req, reply, names, policyOf(req, names)));
    app.get<PolicyRuleParams>(`${p}/:ruleId`, async (req) => {
      const policy = policyOf(req, names);
      const rule = findRule(req, names, req.params.ruleId, 'getRule');
      if (rule.policyId !== policy.id) throw graphError('getRule', 'ProtectionRuleNotFound');
      return ruleBody(graphContext(req), names, rule);
    });
  }
}

function policyOf(req: FastifyRequest<IdParams>, names: GraphServiceNames): PolicyRecord {
  const ctx = graphContext(req);
  const p = ctx.state.policies[requireGuid(req.params.id, 'getPolicy', 'InvalidPolicyId')];
  if (!p || p.service !== names.service) throw graphError('getPolicy', 'PolicyNotFound');
  return p;
}

function servicePolicy(ctx: GraphRequestContext, names: GraphServiceNames): PolicyRecord {
  const policies = Object.values(ctx.state.policies).filter((p) => p.service === names.service);
  if (policies.length !== 1) throw graphError('createRule', 'InvalidInclusionRuleCreateRequest');
  return policies[0];
}

function findRule(req: FastifyRequest, names: GraphServiceNames, id: string, op: 'getRule' | 'updateRule'): RuleRecord {
  const ctx = graphContext(req);
  const rule = ctx.state.rules[requireGuid(id, op, 'InvalidInclusionRuleId')];
  if (!rule || rule.service !== names.service) throw graphError(op, 'ProtectionRuleNotFound');
  return rule;
}

function ruleBody(ctx: GraphRequestContext, names: GraphServiceNames, rule: RuleRecord) {
  return { '@odata.context': odataContext(ctx, `solutions/backupRestore/${names.ruleCollection}/$entity`), ...ruleView(ctx, rule) };
}

const GROUP_EXPRESSION = /^\(\s*memberOf\s+-any\s+\(\s*group\.id\s+-in\s+\[([^\]]*)\]\s*\)\s*\)$/i;

/** The group ids of `(memberOf -any (group.id -in ['…', …]))`, or undefined when the expression is not of that form. */
export function groupIdsOf(expression: unknown): string[] | undefined {
  if (typeof expression !== 'string') return undefined;
  const m = GROUP_EXPRESSION.exec(expression.trim());
  if (!m) return undefined;
  const ids = m[1].split(',').map((x) => x.trim().replace(/^'(.*)'$/, '$1'));
  return ids.length > 0 && ids.every(isGuid) ? ids.map((x) => x.toLowerCase()) : undefined;
}

function createRule(req: FastifyRequest, reply: FastifyReply, names: GraphServiceNames, policy: PolicyRecord) {
  const ctx = graphContext(req);
  const body = req.body;
  const groupIds = isObject(body) ? groupIdsOf(body[names.ruleExpression]) : undefined;
  if (!groupIds) throw graphError('createRule', 'InvalidInclusionRuleCreateRequest');
  failIfListed(ctx.config, 'createRule');
  const rule: RuleRecord = {
    id: randomUUID(),
    service: names.service,
    policyId: policy.id,
    expression: (body as Record<string, string>)[names.ruleExpression],
    groupIds,
    status: 'draft',
    unitIds: [],
    createdAt: ctx.now,
    modifiedAt: ctx.now,
    appId: ctx.appId,
  };
  ctx.state.rules[rule.id] = rule;
  reply.code(201);
  return ruleBody(ctx, names, rule);
}

function listRules(req: FastifyRequest, names: GraphServiceNames, policy: PolicyRecord | undefined) {
  const ctx = graphContext(req);
  const items = Object.values(ctx.state.rules)
    .filter((r) => r.service === names.service && (!policy || r.policyId === policy.id))
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((r) => ruleView(ctx, r));
  const fragment = policy
    ? `solutions/backupRestore/${names.policyCollection}('${policy.id}')/${names.ruleCollection}`
    : `solutions/backupRestore/${names.ruleCollection}`;
  return collection(ctx, fragment, pageOf(req, items, DEFAULT_TOP, MAX_TOP));
}

function updateRule(req: FastifyRequest<IdParams>, names: GraphServiceNames) {
  const ctx = graphContext(req);
  const rule = findRule(req, names, req.params.id, 'updateRule');
  const body = req.body;
  if (isObject(body) && body[names.ruleExpression] !== undefined) {
    const groupIds = groupIdsOf(body[names.ruleExpression]);
    if (!groupIds) throw graphError('createRule', 'InvalidInclusionRuleCreateRequest');
    Object.assign(rule, { expression: body[names.ruleExpression], groupIds, modifiedAt: ctx.now });
  }
  return ruleBody(ctx, names, rule);
}

function deleteRule(req: FastifyRequest<IdParams>, reply: FastifyReply, names: GraphServiceNames) {
  const ctx = graphContext(req);
  const rule = findRule(req, names, req.params.id, 'getRule');
  // Delete removes the rule only; the units it added stay protected (deleteAndUnprotect removes them too).
  delete ctx.state.rules[rule.id];
  reply.code(204);
  return null;
}

/** `run`: a draft or applied rule becomes active and is applied `ruleRunMs` later (static rules run once per call). */
function runRule(req: FastifyRequest<IdParams>, names: GraphServiceNames) {
  const ctx = graphContext(req);
  const rule = findRule(req, names, req.params.id, 'getRule');
  if (rule.status !== 'active' && rule.status !== 'deleteRequested') {
    Object.assign(rule, { status: 'active', dueAt: ctx.now + ctx.config.ruleRunMs, error: undefined, modifiedAt: ctx.now });
  }
  return ruleBody(ctx, names, rule);
}

/** `deleteAndUnprotect`: the rule reads deleteRequested, its units are removed, and it is gone after protectDelayMs. */
function deleteAndUnprotect(req: FastifyRequest<IdParams>, names: GraphServiceNames) {
  const ctx = graphContext(req);
  const rule = findRule(req, names, req.params.id, 'getRule');
  const due = ctx.now + ctx.config.protectDelayMs;
  for (const id of rule.unitIds) {
    const u = ctx.state.units[id];
    if (u && u.status !== 'removed' && u.status !== 'removeRequested')
      Object.assign(u, { status: 'removeRequested', dueAt: due, modifiedAt: ctx.now });
  }
  Object.assign(rule, { status: 'deleteRequested', dueAt: due, modifiedAt: ctx.now });
  return ruleBody(ctx, names, rule);
}
