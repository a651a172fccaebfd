import { z } from 'zod';
import { RESTORE_JOB_STATUSES } from '@bg/domain';
import { cursorQuery } from '../common/zod';

export const createRestoreJobSchema = z.strictObject({
  items: z
    .array(
      z.strictObject({
        restorePointId: z.uuid(),
        paths: z
          .array(z.string().min(1).max(2000))
          .max(1000)
          .optional()
          .describe('Files/folders inside the item (vendors with file-level restore).'),
      }),
    )
    .min(1)
    .max(1000),
  destination: z.enum(['original', 'new']).default('original'),
  target: z
    .record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/), z.string().max(2000))
    .optional()
    .describe('Where to restore for destination "new" (vendor-neutral keys, e.g. siteUrl, userPrincipalName, storageAccountId).'),
});
export type CreateRestoreJob = z.infer<typeof createRestoreJobSchema>;

export const listRestoreJobsQuery = cursorQuery.extend({ status: z.enum(RESTORE_JOB_STATUSES).optional() });
/** A job's history is read whole by most callers: a page holds up to 200 entries by default. */
export const listRestoreJobEventsQuery = cursorQuery.extend({ limit: z.coerce.number().int().min(1).max(200).default(200) });
