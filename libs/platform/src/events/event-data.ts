import { backupRunFromRow, type BackupRunRow } from '../backup-runs/backup-run.repository';
import { toBackupRunResource } from '../backup-runs/backup-run.serializer';
import { connectionFromRow, type ConnectionRow } from '../connections/connection.repository';
import { toConnectionResource } from '../connections/connection.serializer';
import { policyFromRow, type PolicyRow } from '../policies/policy.repository';
import { toPolicyResource } from '../policies/policy.serializer';
import { protectedItemFromRow, type ProtectedItemRow } from '../protected-items/protected-item.repository';
import { toProtectedItemResource } from '../protected-items/protected-item.serializer';
import { restoreJobFromRow, type RestoreJobRow } from '../restore-jobs/restore-job.repository';
import { toRestoreJobResource } from '../restore-jobs/restore-job.serializer';
import { tenantFromRow, type TenantRow } from '../tenants/tenant.repository';
import { toTenantResource } from '../tenants/tenant.serializer';
import { webhookDeliveryFromRow, type WebhookDeliveryRow } from '../webhooks/webhook-delivery.repository';
import { webhookEndpointFromRow, type WebhookEndpointRow } from '../webhooks/webhook-endpoint.repository';
import { toWebhookDeliveryResource, toWebhookResource } from '../webhooks/webhook.serializer';

/**
 * The public `data` of an event. The events trigger stores the changed row as it was ("row" format,
 * secrets removed, the previous status under "$previous"); this builds the payload with the resource's
 * own mapper and serializer — the code that builds its REST answer — plus the state it moved from.
 * Events stored before the snapshot migration ("resource" format) already hold their payload.
 */
export function eventData(resourceType: string, data: Record<string, unknown>, format: string | undefined): Record<string, unknown> {
  if (format !== 'row') return data;
  const { $previous: previous = null, ...row } = data;
  switch (resourceType) {
    case 'restore_job':
      return { ...toRestoreJobResource(restoreJobFromRow(row as unknown as RestoreJobRow)), previousStatus: previous };
    case 'policy':
      return { ...toPolicyResource(policyFromRow(row as unknown as PolicyRow)), previousStatus: previous };
    case 'protected_item':
      return { ...toProtectedItemResource(protectedItemFromRow(row as unknown as ProtectedItemRow)), previousStatus: previous };
    case 'connection':
      return { ...toConnectionResource(connectionFromRow(row as unknown as ConnectionRow)), previousHealth: previous };
    case 'backup_run':
      return { ...toBackupRunResource(backupRunFromRow(row as unknown as BackupRunRow)), previousStatus: previous };
    case 'webhook_endpoint':
      return toWebhookResource(webhookEndpointFromRow(row as unknown as WebhookEndpointRow));
    case 'tenant':
      return { ...toTenantResource(tenantFromRow(row as unknown as TenantRow)), previousStatus: previous };
    case 'message':
      return toWebhookDeliveryResource(webhookDeliveryFromRow(row as unknown as WebhookDeliveryRow));
    default:
      throw new Error(`no serializer for events of ${resourceType}`);
  }
}
