import { z } from 'zod';
import { BACKUP_RUN_STATUSES } from '@bg/domain';
import { cursorQuery } from '../common/zod';

export const listBackupRunsQuery = cursorQuery.extend({
  policyId: z.uuid().optional(),
  protectedItemId: z.uuid().optional().describe('Only runs that covered this item.'),
  status: z.enum(BACKUP_RUN_STATUSES).optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('Only runs first seen (or asked for) at or after this time.'),
  to: z.iso.datetime({ offset: true }).optional().describe('Only runs first seen (or asked for) before this time.'),
});
export type ListBackupRunsQuery = z.infer<typeof listBackupRunsQuery>;
