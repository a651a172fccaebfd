import { z } from 'zod';
import { WORKLOADS } from '@bg/domain';

export const itemInput = z.strictObject({
  externalId: z.string().trim().min(1).max(2000).describe('The workload\'s own id: SharePoint site id, user id/UPN, mailbox, or ARM resource id.'),
  displayName: z.string().trim().max(500).optional(),
});

export const createPolicySchema = z.strictObject({
  connectionId: z.uuid(),
  workload: z.enum(WORKLOADS),
  displayName: z.string().trim().min(1).max(1024),
  active: z.boolean().default(true).describe('Activate the policy at the vendor once created.'),
  items: z.array(itemInput).max(10000).default([]),
});
export type CreatePolicy = z.infer<typeof createPolicySchema>;

export const updatePolicySchema = z.strictObject({ displayName: z.string().trim().min(1).max(1024) });

export interface PolicyRow {
  id: string; tenant_id: string; connection_id: string; vendor: string; workload: string; display_name: string;
  status: string; desired_active: boolean; vendor_ref: string | null; vendor_status: string | null;
  error_code: string | null; error_message: string | null; created_at: Date; updated_at: Date; item_count?: number;
}

export function toPolicy(r: PolicyRow) {
  return {
    id: r.id, tenantId: r.tenant_id, connectionId: r.connection_id, vendor: r.vendor, workload: r.workload,
    displayName: r.display_name, status: r.status, desiredActive: r.desired_active,
    vendorRef: r.vendor_ref, vendorStatus: r.vendor_status,
    error: r.error_code ? { code: r.error_code, message: r.error_message } : null,
    itemCount: r.item_count ?? undefined, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}
