import { z } from 'zod';
import { BACKUP_RUN_STATUSES } from '@bg/domain';
import { checkTimeRange, cursorQuery } from '../common/zod';

export const listBackupRunsQuery = cursorQuery
  .extend({
    policyId: z.uuid().optional(),
    protectedItemId: z.uuid().optional().describe('Only runs that covered this item.'),
    status: z.enum(BACKUP_RUN_STATUSES).optional(),
    from: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('Only runs that started (not started yet: were asked for) at or after this time.'),
    to: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('Only runs that started (or were asked for) before this time; not before `from`.'),
  })
  .superRefine(checkTimeRange);
export type ListBackupRunsQuery = z.infer<typeof listBackupRunsQuery>;

const normalizedError = z
  .object({ code: z.string().describe('Normalized error code (the catalog of GET /v1/errors).'), message: z.string() })
  .nullable();

/** The public JSON of a backup run (toBackupRunResource), for the OpenAPI document. */
export const backupRunSchema = z.object({
  id: z.uuid(),
  tenantId: z.uuid(),
  connectionId: z.uuid(),
  policyId: z.uuid(),
  protectedItemId: z.uuid().nullable().describe('The one item the run covers (per-item vendors, on-demand item backups).'),
  trigger: z.enum(['scheduled', 'onDemand']),
  status: z.enum(BACKUP_RUN_STATUSES),
  vendorRef: z.string().nullable().describe("The vendor's id of the run (Veeam job session, Azure backup job, AvePoint job)."),
  vendorStatus: z.string().nullable().describe('The status text as the vendor reports it.'),
  startedAt: z.iso.datetime().nullable(),
  endedAt: z.iso.datetime().nullable(),
  itemsProcessed: z.number().int().nullable().describe('Where the vendor reports it.'),
  bytesProcessed: z.number().int().nullable().describe('Where the vendor reports it.'),
  error: normalizedError.describe('Why the run failed or warned (normalized code, vendor message).'),
  items: z
    .array(z.object({ protectedItemId: z.uuid(), status: z.enum(BACKUP_RUN_STATUSES), error: normalizedError }))
    .optional()
    .describe('GET of one run only: the outcome of each item it covered.'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const backupRunPageSchema = z.object({ items: z.array(backupRunSchema), nextCursor: z.string().nullable() });

export const acceptedBackupSchema = backupRunSchema.extend({
  alreadyRunning: z.boolean().describe('true: a run of this item (or policy) was already going; it is answered instead of a second one.'),
});
