import { z } from 'zod';
import { OPERATIONS, VENDOR_IDS, WORKLOADS } from '@bg/domain';
import { named } from '../common/openapi';

/** A vendor's capabilities and connection fields (GET /v1/vendors). Further members: the vendor's notes and samples. */
export const vendorSchema = named(
  'Vendor',
  z.looseObject({
    vendor: z.enum(VENDOR_IDS),
    displayName: z.string(),
    operations: z.array(z.enum(OPERATIONS)),
    workloads: z.array(z.enum(WORKLOADS)),
    restoreGranularity: z.array(z.enum(['wholeItem', 'filesAndFolders', 'pointInTime', 'mailItems'])),
    destinations: z.array(z.enum(['original', 'new'])),
    policyEmulated: z.boolean().optional(),
    limits: z
      .record(z.string(), z.unknown())
      .describe('Documented limits (protectedItemsPerRequest, restoreItemsPerJob ...), enforced before the call.'),
    health: z.looseObject({
      backupRuns: z.enum(['perPolicy', 'perItem', 'none']),
      onDemandBackup: z.enum(['item', 'policy', 'none']),
      defaultRpoMinutes: z.number().int(),
      notes: z.array(z.string()),
    }),
    defaultEndpoint: z.string(),
    credentialFields: z.array(z.object({ name: z.string(), required: z.boolean(), secret: z.boolean(), description: z.string() })),
  }),
);
