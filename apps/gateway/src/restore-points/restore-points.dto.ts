import { z } from 'zod';
import type { RestorePointResource } from '@bg/platform';
import { documents, named } from '../common/openapi';
import { checkTimeRange, cursorQuery } from '../common/zod';

export const listRestorePointsQuery = cursorQuery
  .extend({
    protectedItemId: z.uuid().optional(),
    from: z.iso.datetime({ offset: true }).optional().describe('Only points in time at or after this time.'),
    to: z.iso.datetime({ offset: true }).optional().describe('Only points in time at or before this time; not before `from`.'),
  })
  .superRefine(checkTimeRange);
export type ListRestorePointsQuery = z.infer<typeof listRestorePointsQuery>;

/** The public JSON of a restore point (toRestorePointResource). */
export const restorePointSchema = named(
  'RestorePoint',
  z.object({
    id: z.uuid(),
    tenantId: z.uuid(),
    connectionId: z.uuid(),
    protectedItemId: z.uuid(),
    pointInTime: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
    tags: z.array(z.string()),
    vendorRef: z.string(),
    createdAt: z.iso.datetime(),
  }),
);
documents<typeof restorePointSchema, RestorePointResource>(true);
