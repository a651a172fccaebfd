import { z } from 'zod';
import { WORKLOADS } from '@bg/domain';

export const itemInput = z.strictObject({
  externalId: z
    .string()
    .trim()
    .min(1)
    .max(2000)
    .describe("The workload's own id: SharePoint site id, user id/UPN, mailbox, or ARM resource id."),
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
