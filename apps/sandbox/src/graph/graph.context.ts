import type { FastifyRequest } from 'fastify';
import type { SandboxScope } from '../support';
import { GraphHttpError, graphError, type GraphErrorCode, type GraphOperation } from './graph.errors';
import type { GraphTenantState } from './graph.state';
import type { GraphViewContext } from './graph.views';

/** What the auth hook attaches to every authenticated Graph API request. */
export interface GraphRequestContext extends GraphViewContext {
  tenantId: string;
  appId: string;
  scope: SandboxScope<GraphTenantState>;
  /** `https://<host>/graph/v1.0`, for @odata.context / @odata.nextLink / Content-Location. */
  base: string;
}

const CONTEXT = new WeakMap<FastifyRequest, GraphRequestContext>();

export function setGraphContext(req: FastifyRequest, ctx: GraphRequestContext): void {
  CONTEXT.set(req, ctx);
}

export function graphContext(req: FastifyRequest): GraphRequestContext {
  const ctx = CONTEXT.get(req);
  if (!ctx) throw new GraphHttpError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
  return ctx;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(id: unknown): id is string {
  return typeof id === 'string' && GUID.test(id);
}

/** Ids of this API are GUIDs; anything else is the operation's "invalid, null or empty id" error (seed 000). */
export function requireGuid<Op extends GraphOperation>(id: string | undefined, op: Op, code: GraphErrorCode<Op>): string {
  if (!isGuid(id)) throw graphError(op, code);
  return id;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `@odata.context` of a response, as Graph sends it. */
export function odataContext(ctx: GraphRequestContext, fragment: string): string {
  return `${ctx.base}/$metadata#${fragment}`;
}

/** A collection body: `@odata.context`, `value` and `@odata.nextLink` when more pages remain. */
export function collection<T>(ctx: GraphRequestContext, fragment: string, page: { value: T[]; nextLink?: string; count?: number }) {
  return {
    '@odata.context': odataContext(ctx, fragment),
    ...(page.count !== undefined ? { '@odata.count': page.count } : {}),
    ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
    value: page.value,
  };
}

/** Reads `a/b/c` from a view object (for `$filter`); undefined when the path does not exist on the type. */
export function pathGetter(view: Record<string, unknown>): (path: string) => unknown {
  return (path) => {
    let cur: unknown = view;
    for (const part of path.split('/')) {
      if (!isObject(cur) || !(part in cur)) return undefined;
      cur = cur[part];
    }
    return cur;
  };
}
