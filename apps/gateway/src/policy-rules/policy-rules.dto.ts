import { z } from 'zod';

/**
 * A policy rule names directory groups; the vendor protects the workload's items (sites, OneDrives, mailboxes)
 * of their members. Vendor-neutral: the adapter turns the ids into the vendor's expression.
 */
export const createPolicyRuleSchema = z.strictObject({
  groupIds: z
    .array(z.uuid())
    .min(1)
    .max(50)
    .describe('Directory group ids (Entra ID group object ids for Microsoft 365) whose members the rule protects.'),
  displayName: z.string().trim().min(1).max(200).optional(),
});
export type CreatePolicyRule = z.infer<typeof createPolicyRuleSchema>;
