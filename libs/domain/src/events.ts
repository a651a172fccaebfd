/**
 * The events the gateway publishes (GET /v1/events, webhooks). Each describes one change of one
 * resource; the database writes it in the same transaction as the change (see the events migration).
 */
export const EVENT_TYPES = [
  'restore_job.queued',
  'restore_job.submitting',
  'restore_job.running',
  'restore_job.succeeded',
  'restore_job.partially_succeeded',
  'restore_job.failed',
  'restore_job.cancelling',
  'restore_job.cancelled',
  'policy.created',
  'policy.provisioned',
  'policy.updated',
  'policy.activated',
  'policy.deactivated',
  'policy.deleted',
  'policy.failed',
  'protected_item.added',
  'protected_item.protected',
  'protected_item.removed',
  'protected_item.failed',
  // Protection health (a change of protectedItem.protection.state); .failed also when the last backup run failed.
  'protected_item.at_risk',
  'protected_item.healthy',
  'backup_run.queued',
  'backup_run.running',
  'backup_run.succeeded',
  'backup_run.warning',
  'backup_run.failed',
  'connection.created',
  'connection.healthy',
  'connection.unhealthy',
  'connection.deleted',
  // An integration's own set-up (tenantId null for a partner-wide endpoint): its endpoint switched off, a message given up.
  'webhook_endpoint.disabled',
  'message.attempts_exhausted',
  // Offboarding (DELETE /v1/tenants/{id}): started at once; deleted once jobs are drained and vendor objects handled.
  'tenant.offboarding',
  'tenant.deleted',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const EVENT_RESOURCE_TYPES = [
  'restore_job',
  'policy',
  'protected_item',
  'connection',
  'backup_run',
  'webhook_endpoint',
  'message',
  'tenant',
] as const;
export type EventResourceType = (typeof EVENT_RESOURCE_TYPES)[number];

/** A subscription filter: an exact type, a resource wildcard (`restore_job.*`) or everything (`*`). */
export function isEventFilter(value: string): boolean {
  return (
    value === '*' ||
    (EVENT_TYPES as readonly string[]).includes(value) ||
    (EVENT_RESOURCE_TYPES as readonly string[]).some((r) => value === `${r}.*`)
  );
}

export function eventMatches(filters: readonly string[], type: string): boolean {
  return filters.includes('*') || filters.includes(type) || filters.includes(`${type.split('.')[0]}.*`);
}

/** A published event as integrations see it (API and webhook body). */
export interface DomainEvent {
  id: string;
  type: EventType;
  /** Null for an event of a partner-wide webhook endpoint (webhook_endpoint.*, message.*). */
  tenantId: string | null;
  resourceType: EventResourceType;
  resourceId: string;
  occurredAt: string;
  data: Record<string, unknown>;
}
