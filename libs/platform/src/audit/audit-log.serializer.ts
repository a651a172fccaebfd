import type { AuditEntry } from '@bg/domain';

/** The public JSON of an audit log entry. */
export function toAuditEntryResource(e: AuditEntry) {
  return {
    id: e.id,
    at: e.at,
    actor: { kind: e.actorKind, keyId: e.actorKeyId, partnerId: e.partnerId },
    tenantId: e.tenantId,
    action: e.action,
    resource: { type: e.resourceType, id: e.resourceId },
    method: e.method,
    route: e.route,
    requestId: e.requestId,
    sourceAddress: e.sourceAddress,
    outcome: e.outcome,
    httpStatus: e.httpStatus,
    errorCode: e.errorCode,
  };
}
export type AuditEntryResource = ReturnType<typeof toAuditEntryResource>;
