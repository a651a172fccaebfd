import { z } from 'zod';
import { PROTECTION_STATES, VENDOR_IDS } from '@bg/domain';
import { named } from '../common/openapi';
import { cursorQuery } from '../common/zod';

export const summaryQuery = cursorQuery.extend({ partnerId: z.uuid().optional().describe('The operator only: whose tenants.') });

const counts = z
  .object(
    Object.fromEntries(PROTECTION_STATES.map((s) => [s, z.number().int()])) as Record<(typeof PROTECTION_STATES)[number], z.ZodNumber>,
  )
  .describe('Live protected items by protection state.');

/** One line of GET /v1/protection-summary, for the OpenAPI document. */
export const summaryLineSchema = named(
  'ProtectionSummaryLine',
  z.object({
    tenantId: z.uuid(),
    tenantName: z.string(),
    counts,
    byVendor: z.array(z.object({ vendor: z.enum(VENDOR_IDS), counts })),
    oldestProblem: z
      .object({ protectedItemId: z.uuid(), state: z.enum(PROTECTION_STATES), since: z.iso.datetime(), reason: z.string().nullable() })
      .nullable()
      .describe('The item whose problem (atRisk or failed) has lasted longest.'),
    links: z.object({
      tenant: z.string(),
      problems: z.string().describe('The tenant’s failed items.'),
      atRisk: z.string().describe('The tenant’s items at risk.'),
      oldestProblem: z.string().nullable(),
    }),
  }),
);
