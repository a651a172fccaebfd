import type { VendorId } from '@bg/domain';

/** Queue and job names shared by the gateway (outbox writer) and the worker (processors). */
export const QUEUES = {
  restoreJobs: 'restore-jobs',
  policies: 'policies',
  policyRules: 'policy-rules',
  connections: 'connections',
  maintenance: 'maintenance',
  webhooks: 'webhooks',
  usage: 'usage',
  backups: 'backups',
  tenants: 'tenants',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Jobs carry ids, never data or secrets. */
export interface JobPayloads {
  /**
   * connectionId saves the worker a lookup and vendor lets it pick the job lock-free when the vendor has no
   * admission gate (both absent in rows written before they were added); requestId is the API request's
   * id, sent on to the vendor calls made for the job (CallContext).
   */
  'restore-job.submit': { tenantId: string; restoreJobId: string; connectionId?: string; vendor?: VendorId; requestId?: string };
  /** A poll tick for one connection: polls every job of it whose next_poll_at is due. */
  'restore-job.poll': { tenantId: string; connectionId: string };
  'restore-job.cancel': { tenantId: string; restoreJobId: string; connectionId?: string; requestId?: string };
  /** requestId: the API request that asked for the change (stamped by the outbox), sent on to the vendor calls. */
  'policy.sync': { tenantId: string; policyId: string; requestId?: string };
  'policy.refresh': { tenantId: string; policyId: string; attempt?: number; requestId?: string };
  /** Brings a policy rule and the vendor's rule together (create + run, poll its state, delete); re-queued while applying. */
  'policy-rule.sync': { tenantId: string; policyId: string; ruleId: string; attempt?: number; requestId?: string };
  'connection.verify': { tenantId: string; connectionId: string; requestId?: string };
  'maintenance.reconcile': Record<string, never>;
  'maintenance.refresh-restore-points': Record<string, never>;
  /** Written by the events trigger (see the events migration) when an endpoint subscribes. */
  /** tenantId null (with partnerId): an event of a partner-wide webhook endpoint. */
  'webhook.fanout': { tenantId: string | null; partnerId?: string; eventId: string };
  'webhook.deliver': { deliveryId: string };
  'usage.rollup': { day?: string };
  /** Samples what the vendor reports in its own units (capabilities.usageSamples) for one connection. */
  'usage.sample': { tenantId: string; connectionId: string };
  /** Reads a policy's backup runs back from the vendor and judges its items' protection health. */
  'backup.sync': { tenantId: string; policyId: string; requestId?: string };
  /** Starts an on-demand backup run at the vendor. */
  'backup.start': { tenantId: string; backupRunId: string; requestId?: string };
  /** Reads an on-demand run's progress at the vendor; re-queued (delayed) until it ends. */
  'backup.poll': { tenantId: string; backupRunId: string; attempt?: number; requestId?: string };
  'maintenance.sync-backups': Record<string, never>;
  'maintenance.prune-idempotency': Record<string, never>;
  /** Deletes events, finished webhook deliveries and rolled-up usage facts past their retention, in bounded batches. */
  'maintenance.prune-retention': Record<string, never>;
  /** Deletes audit log entries past AUDIT_RETENTION_DAYS. */
  'maintenance.prune-audit-log': Record<string, never>;
  /** Offboarding's worker side: waits for the tenant's jobs and vendor deletions, destroys credentials, ends it deleted. */
  'tenant.offboard': { tenantId: string; requestId?: string };
  /** Purges the data of tenants deleted longer ago than OFFBOARD_RETENTION_DAYS. */
  'maintenance.purge-offboarded': Record<string, never>;
}
export type JobName = keyof JobPayloads;

export const JOB_QUEUE: Record<JobName, QueueName> = {
  'restore-job.submit': QUEUES.restoreJobs,
  'restore-job.poll': QUEUES.restoreJobs,
  'restore-job.cancel': QUEUES.restoreJobs,
  'policy.sync': QUEUES.policies,
  'policy.refresh': QUEUES.policies,
  'policy-rule.sync': QUEUES.policyRules,
  'connection.verify': QUEUES.connections,
  'maintenance.reconcile': QUEUES.maintenance,
  'maintenance.refresh-restore-points': QUEUES.maintenance,
  'webhook.fanout': QUEUES.webhooks,
  'webhook.deliver': QUEUES.webhooks,
  'usage.rollup': QUEUES.usage,
  'usage.sample': QUEUES.usage,
  'backup.sync': QUEUES.backups,
  'backup.start': QUEUES.backups,
  'backup.poll': QUEUES.backups,
  'maintenance.sync-backups': QUEUES.maintenance,
  'maintenance.prune-idempotency': QUEUES.maintenance,
  'maintenance.prune-retention': QUEUES.maintenance,
  'maintenance.prune-audit-log': QUEUES.maintenance,
  'tenant.offboard': QUEUES.tenants,
  'maintenance.purge-offboarded': QUEUES.maintenance,
};
