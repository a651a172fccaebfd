import { z } from 'zod';
import { BACKUP_RUN_STATUSES, PROTECTED_ITEM_STATUSES, PROTECTION_STATES } from '@bg/domain';
import type { ProtectedItemResource } from '@bg/platform';
import { documents, named } from '../common/openapi';
import { cursorQuery } from '../common/zod';
import { itemInput } from '../policies/policies.dto';

export const listItemsQuery = cursorQuery.extend({
  policyId: z.uuid().optional(),
  status: z.string().max(40).optional(),
  state: z
    .enum(PROTECTION_STATES)
    .optional()
    .describe('Only live items in this protection state (healthy, atRisk, failed, unprotected, unknown).'),
});
export type ListItemsQuery = z.infer<typeof listItemsQuery>;

export const addItemsSchema = z.strictObject({ policyId: z.uuid(), items: z.array(itemInput).min(1).max(10000) });
export type AddItems = z.infer<typeof addItemsSchema>;

const when = z.iso.datetime().nullable();

/** An item's protection health (ItemProtection; protection-health.ts in the domain), for the OpenAPI document. */
export const protectionSchema = named(
  'ItemProtection',
  z
    .object({
      state: z.enum(PROTECTION_STATES),
      since: z.iso.datetime().describe('Since when the item is in this state.'),
      reason: z.string().nullable().describe('Why, in words, naming the times it was judged from.'),
      lastBackupAt: when.describe('When the vendor last backed the item up (any outcome), where it reports runs.'),
      lastSuccessfulBackupAt: when,
      lastRunStatus: z.enum(BACKUP_RUN_STATUSES).nullable(),
      lastRunError: z
        .object({ code: z.string().describe('Normalized error code.'), message: z.string().describe("The vendor's message.") })
        .nullable(),
      latestRestorePointAt: when,
      vendorUnprotected: z.boolean().describe('The vendor lists the item but no longer backs it up (protection stopped, offboarded ...).'),
    })
    .describe("Is the item actually being backed up: judged against its policy's rpoMinutes (or the vendor's default RPO)."),
);

/** The public JSON of a protected item (toProtectedItemResource). */
export const protectedItemSchema = named(
  'ProtectedItem',
  z.object({
    id: z.uuid(),
    tenantId: z.uuid(),
    policyId: z.uuid(),
    connectionId: z.uuid(),
    kind: z.string(),
    externalId: z.string(),
    displayName: z.string().nullable(),
    status: z.enum(PROTECTED_ITEM_STATUSES),
    vendorRef: z.string().nullable(),
    vendorStatus: z.string().nullable(),
    sizeBytes: z.number().int().nullable(),
    error: z.object({ code: z.string().describe('Normalized error code.'), message: z.string().nullable() }).nullable(),
    protection: protectionSchema,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
);
documents<typeof protectedItemSchema, ProtectedItemResource>(true);

/** POST .../protected-items: the items added (status pending). */
export const addedItemsSchema = named('AddedProtectedItems', z.object({ items: z.array(protectedItemSchema) }));
