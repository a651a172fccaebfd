import { z } from 'zod';
import { RESTORE_JOB_STATUSES, VENDOR_IDS, WORKLOADS } from '@bg/domain';
import type { RestoreJobResource, toRestoreJobEventResource } from '@bg/platform';
import { documents, named } from '../common/openapi';
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

const restoreItemSchema = z.object({
  restorePointId: z.uuid(),
  protectedItemId: z.uuid(),
  externalId: z.string(),
  paths: z.array(z.string()).optional(),
  status: z.enum(['pending', 'running', 'succeeded', 'failed', 'cancelled']),
  vendorStatus: z.string().nullable(),
  error: z
    .object({ code: z.string().describe('Normalized error code.'), vendorCode: z.string().nullable(), message: z.string().nullable() })
    .nullable(),
});

/** The public JSON of a restore job (toRestoreJobResource). */
export const restoreJobSchema = named(
  'RestoreJob',
  z.object({
    id: z.uuid(),
    tenantId: z.uuid(),
    connectionId: z.uuid(),
    vendor: z.enum(VENDOR_IDS),
    workload: z.enum(WORKLOADS),
    destination: z.enum(['original', 'new']),
    target: z.record(z.string(), z.string()).nullable(),
    status: z.enum(RESTORE_JOB_STATUSES),
    statusReason: z.string().nullable().describe('Why the job is in its status, in words (waiting for a vendor slot ...).'),
    items: z.array(restoreItemSchema),
    vendorRef: z.string().nullable(),
    vendorStatus: z.string().nullable(),
    error: z
      .looseObject({ code: z.string().describe('Normalized error code.'), message: z.string().nullable() })
      .nullable()
      .describe('Why the job failed; further members detail the code.'),
    cancelRequested: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    completedAt: z.iso.datetime().nullable(),
  }),
);
documents<typeof restoreJobSchema, RestoreJobResource>(true);

/** One entry of a job's history (toRestoreJobEventResource). */
export const restoreJobEventSchema = named(
  'RestoreJobEvent',
  z.object({
    id: z.number().int(),
    type: z.string(),
    fromStatus: z.enum(RESTORE_JOB_STATUSES).nullable(),
    toStatus: z.enum(RESTORE_JOB_STATUSES).nullable(),
    detail: z.record(z.string(), z.unknown()),
    at: z.iso.datetime(),
  }),
);
documents<typeof restoreJobEventSchema, ReturnType<typeof toRestoreJobEventResource>>(true);
