import { z } from 'zod';
import { AUDIT_ACTOR_KINDS, AUDIT_OUTCOMES } from '@bg/domain';
import { cursorQuery } from '../common/zod';

const auditFilters = cursorQuery.extend({
  action: z
    .string()
    .regex(/^[a-z_]+\.([a-z_]+|\*)$/, 'must be an action such as restore_job.create, or "<resource>.*"')
    .optional()
    .describe('An action (restore_job.create, connection.update, api_key.create ...) or "<resource>.*".'),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  actorKeyId: z.string().min(1).max(100).optional().describe('The API key id of the actor ("admin" for the operator key).'),
  resourceId: z.string().min(1).max(200).optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('Only entries at or after this time.'),
  until: z.iso.datetime({ offset: true }).optional().describe('Only entries before this time.'),
});
const sinceBeforeUntil = (q: { since?: string; until?: string }) => !q.since || !q.until || Date.parse(q.since) < Date.parse(q.until);

/** GET /v1/audit-log */
export const auditLogQuery = auditFilters
  .extend({ tenantId: z.uuid().optional().describe('The entries of one tenant you may reach.') })
  .refine(sinceBeforeUntil, { path: ['until'], message: 'must be after since' });
export type AuditLogQuery = z.infer<typeof auditLogQuery>;
/** GET /v1/tenants/{tenantId}/audit-log */
export const tenantAuditLogQuery = auditFilters.refine(sinceBeforeUntil, { path: ['until'], message: 'must be after since' });

/** The public JSON of an audit log entry (toAuditEntryResource), for the OpenAPI document. */
export const auditEntrySchema = z.object({
  id: z.uuid(),
  at: z.iso.datetime(),
  actor: z.object({
    kind: z.enum(AUDIT_ACTOR_KINDS).describe('admin: the operator key (ADMIN_API_KEY); anonymous: no valid key.'),
    keyId: z.string().nullable().describe('The API key id; "admin" for the operator; null when anonymous.'),
    partnerId: z.uuid().nullable(),
  }),
  tenantId: z.uuid().nullable().describe('The tenant the action was in; null for partner-level and operator actions.'),
  action: z
    .string()
    .describe('<resource>.<verb>, from the method and route: restore_job.create, restore_job.cancel, connection.verify ...'),
  resource: z.object({
    type: z.string().nullable(),
    id: z.string().nullable().describe('From the path, or the id of the resource a create made.'),
  }),
  method: z.string(),
  route: z.string().nullable().describe('The route pattern, e.g. /v1/tenants/:tenantId/restore-jobs; null when no route matched.'),
  requestId: z.string().describe('The X-Request-Id of the request (problem+json `instance`).'),
  sourceAddress: z.string().nullable().describe('The client address (X-Forwarded-For is trusted).'),
  outcome: z.enum(AUDIT_OUTCOMES).describe('succeeded (2xx), refused (4xx) or failed (5xx).'),
  httpStatus: z.number().int(),
  errorCode: z.string().nullable().describe('The normalized error code of a refusal or failure.'),
});
export const auditEntryPageSchema = z.object({ items: z.array(auditEntrySchema), nextCursor: z.string().nullable() });
