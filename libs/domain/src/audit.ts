/** Who made an audited request: the operator, a partner key, a tenant key, or nobody known (no or a bad key). */
export const AUDIT_ACTOR_KINDS = ['admin', 'partner', 'tenant', 'anonymous'] as const;
export type AuditActorKind = (typeof AUDIT_ACTOR_KINDS)[number];

/** succeeded: 2xx/3xx; refused: 4xx (the request was turned down); failed: 5xx (our fault). */
export const AUDIT_OUTCOMES = ['succeeded', 'refused', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** One row of the audit log (append-only). Never a request or response body. */
export interface AuditEntry {
  id: string;
  at: Date;
  actorKind: AuditActorKind;
  /** The API key's id; "admin" for ADMIN_API_KEY; null when anonymous. */
  actorKeyId: string | null;
  partnerId: string | null;
  tenantId: string | null;
  /** `<resource>.<verb>` from the method and route pattern: restore_job.create, connection.verify, api_key.delete. */
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  method: string;
  /** The route pattern (`/v1/tenants/:tenantId/restore-jobs`); null when no route matched. */
  route: string | null;
  requestId: string;
  sourceAddress: string | null;
  outcome: AuditOutcome;
  httpStatus: number;
  /** The normalized error code of a refusal or failure (problem+json `code`). */
  errorCode: string | null;
}

export function auditOutcome(status: number): AuditOutcome {
  return status >= 500 ? 'failed' : status >= 400 ? 'refused' : 'succeeded';
}

/**
 * Path segments that name a collection. A static segment after an id that is not one of these is a verb
 * (`/restore-jobs/:jobId/cancel` -> restore_job.cancel); nested collections take their parent's name where
 * the bare noun would be vague.
 */
const COLLECTIONS: Record<string, string> = {
  partners: 'partner',
  tenants: 'tenant',
  'api-keys': 'api_key',
  connections: 'connection',
  policies: 'policy',
  rules: 'policy_rule',
  'protected-items': 'protected_item',
  'restore-points': 'restore_point',
  'restore-jobs': 'restore_job',
  'backup-runs': 'backup_run',
  webhooks: 'webhook',
  deliveries: 'webhook_delivery',
  events: 'event',
  usage: 'usage',
  'audit-log': 'audit_log',
  protection: 'protection',
  vendors: 'vendor',
  errors: 'error',
};

const METHOD_VERBS: Record<string, { collection: string; item: string }> = {
  GET: { collection: 'list', item: 'read' },
  HEAD: { collection: 'list', item: 'read' },
  POST: { collection: 'create', item: 'update' },
  PUT: { collection: 'update', item: 'update' },
  PATCH: { collection: 'update', item: 'update' },
  DELETE: { collection: 'delete', item: 'delete' },
};

const snake = (s: string) => s.replace(/-/g, '_');
/** A collection segment we do not know (a route added later): its singular, snake_case. */
const singular = (s: string) => snake(s.endsWith('ies') ? `${s.slice(0, -3)}y` : s.endsWith('s') ? s.slice(0, -1) : s);

/** What an audited request did, from its method and route pattern: a stable action name, the resource type, and the route parameter holding its id. */
export interface AuditActionOf {
  action: string;
  resourceType: string | null;
  /** The name of the route parameter that holds the resource id (e.g. "jobId"); null when the route has none (a create). */
  idParam: string | null;
}

/**
 * Derives the action of a request: `<resource>.<verb>`, the resource being the last collection in the route
 * pattern and the verb a trailing action segment (`cancel`, `verify`, `rotate-secret`) or the method's
 * (create, update, delete; list and read for GET). A request that matched no route is `route.unmatched`.
 */
export function auditActionOf(method: string, route: string | null | undefined): AuditActionOf {
  if (!route) return { action: 'route.unmatched', resourceType: null, idParam: null };
  const segments = route.split('/').filter((s) => s && s !== 'v1');
  let resourceType: string | null = null;
  let idParam: string | null = null;
  let verb: string | null = null;
  segments.forEach((seg, i) => {
    if (seg.startsWith(':')) {
      if (resourceType) idParam = seg.slice(1);
      return;
    }
    const afterId = i > 0 && segments[i - 1].startsWith(':');
    if (afterId && i === segments.length - 1 && !(seg in COLLECTIONS)) {
      verb = snake(seg);
      return;
    }
    resourceType = COLLECTIONS[seg] ?? singular(seg);
    idParam = null;
  });
  const verbs = METHOD_VERBS[method.toUpperCase()] ?? { collection: method.toLowerCase(), item: method.toLowerCase() };
  const finalVerb = verb ?? (idParam ? verbs.item : verbs.collection);
  return { action: `${resourceType ?? 'root'}.${finalVerb}`, resourceType, idParam };
}
