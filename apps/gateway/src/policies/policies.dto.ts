import { z } from 'zod';
import { POLICY_STATUSES, PROTECTION_STATES, VENDOR_IDS, WORKLOADS } from '@bg/domain';
import type { PolicyResource } from '@bg/platform';
import { documents, named } from '../common/openapi';

export const itemInput = z.strictObject({
  externalId: z
    .string()
    .trim()
    .min(1)
    .max(2000)
    .describe("The workload's own id: SharePoint site id, user id/UPN, mailbox, or ARM resource id."),
  displayName: z.string().trim().max(500).optional(),
});

/** The recovery point objective its items' health is judged against; null or absent: the vendor's default. */
const rpoMinutes = z
  .number()
  .int()
  .min(5)
  .max(525600)
  .nullable()
  .describe("Recovery point objective in minutes (5 to 525600); null: the vendor's default (GET /v1/vendors, health.defaultRpoMinutes).");

export const createPolicySchema = z.strictObject({
  connectionId: z.uuid(),
  workload: z.enum(WORKLOADS),
  displayName: z.string().trim().min(1).max(1024),
  active: z.boolean().default(true).describe('Activate the policy at the vendor once created.'),
  items: z.array(itemInput).max(10000).default([]),
  rpoMinutes: rpoMinutes.optional(),
});
export type CreatePolicy = z.infer<typeof createPolicySchema>;

export const updatePolicySchema = z
  .strictObject({ displayName: z.string().trim().min(1).max(1024).optional(), rpoMinutes: rpoMinutes.optional() })
  .refine((b) => b.displayName !== undefined || b.rpoMinutes !== undefined, 'give displayName, rpoMinutes or both');

const normalizedError = z.object({ code: z.string().describe('Normalized error code.'), message: z.string().nullable() }).nullable();

/** The public JSON of a policy (toPolicyResource). */
export const policySchema = named(
  'Policy',
  z.object({
    id: z.uuid(),
    tenantId: z.uuid(),
    connectionId: z.uuid(),
    vendor: z.enum(VENDOR_IDS),
    workload: z.enum(WORKLOADS),
    displayName: z.string(),
    status: z.enum(POLICY_STATUSES),
    desiredActive: z.boolean().describe('Whether the policy is to be active at the vendor (the worker gets it there).'),
    vendorRef: z.string().nullable(),
    vendorStatus: z.string().nullable(),
    error: normalizedError,
    itemCount: z.number().int().optional().describe('Live protected items, where the read counted them.'),
    rpoMinutes: z.number().int().nullable(),
    health: z.object({ state: z.enum(PROTECTION_STATES), since: z.iso.datetime() }).describe('The worst protection state of its items.'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
);
documents<typeof policySchema, PolicyResource>(true);
