import { z } from 'zod';
import { PROTECTION_STATES } from '@bg/domain';
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
