import { z } from 'zod';
import { POLICY_RULE_STATUSES, VENDOR_IDS } from '@bg/domain';
import type { PolicyRuleResource } from '@bg/platform';
import { documents, named } from '../common/openapi';

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

/** The public JSON of a policy rule (toPolicyRuleResource). */
export const policyRuleSchema = named(
  'PolicyRule',
  z.object({
    id: z.uuid(),
    tenantId: z.uuid(),
    policyId: z.uuid(),
    vendor: z.enum(VENDOR_IDS),
    displayName: z.string().nullable(),
    groupIds: z.array(z.uuid()),
    status: z.enum(POLICY_RULE_STATUSES),
    vendorRef: z.string().nullable(),
    vendorStatus: z.string().nullable(),
    error: z.object({ code: z.string().describe('Normalized error code.'), message: z.string().nullable() }).nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
);
documents<typeof policyRuleSchema, PolicyRuleResource>(true);
