import { z } from 'zod';
import { ArmError } from './azure.errors';

/**
 * Request bodies the simulator accepts, written from the definitions of
 * vendor-specs/azure-dataprotection/dataprotection-2024-04-01.trimmed.swagger.json. Property names bind
 * case-insensitively, as ARM's JSON binding does (seed 004's own PUT example sends "datasourceinfo"):
 * see bindPropertyNames. Discriminators (`objectType`) and enum values are closed and exact; objects are
 * strict, so an unknown field name is refused (stricter than ARM, which ignores unknown members: the
 * point is to make adapter typos fail loudly). Read-only properties are accepted and ignored.
 */

const DataStoreType = z.enum(['OperationalStore', 'VaultStore', 'ArchiveStore']);
const readOnlyResource = {
  id: z.string().optional(),
  name: z.string().optional(),
  type: z.string().optional(),
  systemData: z.record(z.string(), z.unknown()).optional(),
};

const Datasource = z.strictObject({
  datasourceType: z.string().optional(),
  objectType: z.literal('Datasource').optional(),
  resourceID: z.string().min(1),
  resourceLocation: z.string().optional(),
  resourceName: z.string().optional(),
  resourceType: z.string().optional(),
  resourceUri: z.string().optional(),
  resourceProperties: z.record(z.string(), z.unknown()).optional(),
});
const DatasourceSet = Datasource.extend({ objectType: z.literal('DatasourceSet').optional() });

const DataStoreParameters = z.discriminatedUnion('objectType', [
  z.strictObject({
    objectType: z.literal('AzureOperationalStoreParameters'),
    dataStoreType: DataStoreType,
    resourceGroupId: z.string().optional(),
  }),
]);
const BackupDatasourceParameters = z.discriminatedUnion('objectType', [
  z.strictObject({ objectType: z.literal('BlobBackupDatasourceParameters'), containersList: z.array(z.string()) }),
  z.looseObject({ objectType: z.literal('KubernetesClusterBackupDatasourceParameters') }),
]);

const PolicyInfo = z.strictObject({
  policyId: z.string().min(1),
  policyVersion: z.string().optional(),
  policyParameters: z
    .strictObject({
      dataStoreParametersList: z.array(DataStoreParameters).optional(),
      backupDatasourceParametersList: z.array(BackupDatasourceParameters).optional(),
    })
    .optional(),
});

const AuthCredentials = z.strictObject({
  objectType: z.literal('SecretStoreBasedAuthCredentials'),
  secretStoreResource: z
    .strictObject({ uri: z.string().optional(), secretStoreType: z.enum(['Invalid', 'AzureKeyVault']), value: z.string().optional() })
    .optional(),
});

export const BackupInstanceSchema = z.strictObject({
  objectType: z.literal('BackupInstance'),
  friendlyName: z.string().optional(),
  dataSourceInfo: Datasource,
  dataSourceSetInfo: DatasourceSet.optional(),
  policyInfo: PolicyInfo,
  resourceGuardOperationRequests: z.array(z.string()).optional(),
  datasourceAuthCredentials: AuthCredentials.optional(),
  validationType: z.enum(['ShallowValidation', 'DeepValidation']).optional(),
  identityDetails: z
    .strictObject({ useSystemAssignedIdentity: z.boolean().optional(), userAssignedIdentityArmUrl: z.string().optional() })
    .optional(),
  // read-only
  protectionStatus: z.unknown().optional(),
  currentProtectionState: z.string().optional(),
  protectionErrorDetails: z.unknown().optional(),
  provisioningState: z.string().optional(),
});
export type BackupInstanceBody = z.infer<typeof BackupInstanceSchema>;

export const BackupInstanceResourceSchema = z.strictObject({
  ...readOnlyResource,
  tags: z.record(z.string(), z.string()).optional(),
  properties: BackupInstanceSchema,
});

export const ValidateForBackupSchema = z.strictObject({ backupInstance: BackupInstanceSchema });

const DataStoreInfoBase = z.strictObject({ dataStoreType: DataStoreType, objectType: z.string() });
const ScheduleBasedBackupCriteria = z.strictObject({
  objectType: z.literal('ScheduleBasedBackupCriteria'),
  absoluteCriteria: z.array(z.enum(['AllBackup', 'FirstOfDay', 'FirstOfMonth', 'FirstOfWeek', 'FirstOfYear'])).optional(),
  daysOfMonth: z.array(z.strictObject({ date: z.number().int().optional(), isLast: z.boolean().optional() })).optional(),
  daysOfTheWeek: z.array(z.enum(['Friday', 'Monday', 'Saturday', 'Sunday', 'Thursday', 'Tuesday', 'Wednesday'])).optional(),
  monthsOfYear: z
    .array(
      z.enum(['April', 'August', 'December', 'February', 'January', 'July', 'June', 'March', 'May', 'November', 'October', 'September']),
    )
    .optional(),
  scheduleTimes: z.array(z.string()).optional(),
  weeksOfTheMonth: z.array(z.enum(['First', 'Fourth', 'Last', 'Second', 'Third'])).optional(),
});
const TaggingCriteria = z.strictObject({
  criteria: z.array(ScheduleBasedBackupCriteria).optional(),
  isDefault: z.boolean(),
  taggingPriority: z.number().int(),
  tagInfo: z.strictObject({ tagName: z.string(), id: z.string().optional(), eTag: z.string().optional() }),
});
const TriggerContext = z.discriminatedUnion('objectType', [
  z.strictObject({
    objectType: z.literal('ScheduleBasedTriggerContext'),
    schedule: z.strictObject({ repeatingTimeIntervals: z.array(z.string()).min(1), timeZone: z.string().optional() }),
    taggingCriteria: z.array(TaggingCriteria),
  }),
  z.strictObject({
    objectType: z.literal('AdhocBasedTriggerContext'),
    taggingCriteria: z.strictObject({ tagInfo: z.strictObject({ tagName: z.string() }).optional() }),
  }),
]);
const DeleteOption = z.strictObject({ objectType: z.literal('AbsoluteDeleteOption'), duration: z.string() });
const SourceLifeCycle = z.strictObject({
  deleteAfter: DeleteOption,
  sourceDataStore: DataStoreInfoBase,
  targetDataStoreCopySettings: z.array(z.unknown()).optional(),
});
const PolicyRule = z.discriminatedUnion('objectType', [
  z.strictObject({
    objectType: z.literal('AzureBackupRule'),
    name: z.string().min(1),
    backupParameters: z.strictObject({ objectType: z.literal('AzureBackupParams'), backupType: z.string() }).optional(),
    dataStore: DataStoreInfoBase,
    trigger: TriggerContext,
  }),
  z.strictObject({
    objectType: z.literal('AzureRetentionRule'),
    name: z.string().min(1),
    isDefault: z.boolean().optional(),
    lifecycles: z.array(SourceLifeCycle).min(1),
  }),
]);
export const BackupPolicySchema = z.strictObject({
  objectType: z.literal('BackupPolicy'),
  datasourceTypes: z.array(z.string()).min(1),
  policyRules: z.array(PolicyRule),
});
export type BackupPolicyBody = z.infer<typeof BackupPolicySchema>;
export const BackupPolicyResourceSchema = z.strictObject({ ...readOnlyResource, properties: BackupPolicySchema });

const ItemLevelRestoreCriteria = z.discriminatedUnion('objectType', [
  z.strictObject({
    objectType: z.literal('ItemPathBasedRestoreCriteria'),
    itemPath: z.string(),
    isPathRelativeToBackupItem: z.boolean(),
    subItemPathPrefix: z.array(z.string()).optional(),
  }),
  z.strictObject({
    objectType: z.literal('RangeBasedItemLevelRestoreCriteria'),
    minMatchingValue: z.string().optional(),
    maxMatchingValue: z.string().optional(),
  }),
]);
const targetCommon = {
  recoveryOption: z.literal('FailIfExists'),
  restoreLocation: z.string().optional(),
  datasourceInfo: Datasource,
  datasourceSetInfo: DatasourceSet.optional(),
  datasourceAuthCredentials: AuthCredentials.optional(),
};
const RestoreTargetInfoBase = z.discriminatedUnion('objectType', [
  z.strictObject({ objectType: z.literal('RestoreTargetInfo'), ...targetCommon }),
  z.strictObject({
    objectType: z.literal('ItemLevelRestoreTargetInfo'),
    ...targetCommon,
    restoreCriteria: z.array(ItemLevelRestoreCriteria),
  }),
  z.strictObject({
    objectType: z.literal('RestoreFilesTargetInfo'),
    recoveryOption: z.literal('FailIfExists'),
    restoreLocation: z.string().optional(),
    targetDetails: z.strictObject({
      filePrefix: z.string(),
      restoreTargetLocationType: z.enum(['Invalid', 'AzureBlobs', 'AzureFiles']),
      url: z.string(),
      targetResourceArmId: z.string().optional(),
    }),
  }),
]);
const restoreCommon = {
  restoreTargetInfo: RestoreTargetInfoBase,
  sourceDataStoreType: z.enum(['ArchiveStore', 'SnapshotStore', 'OperationalStore', 'VaultStore']),
  sourceResourceId: z.string().optional(),
  resourceGuardOperationRequests: z.array(z.string()).optional(),
  identityDetails: z
    .strictObject({ useSystemAssignedIdentity: z.boolean().optional(), userAssignedIdentityArmUrl: z.string().optional() })
    .optional(),
};
export const RestoreRequestSchema = z.discriminatedUnion('objectType', [
  z.strictObject({
    objectType: z.literal('AzureBackupRecoveryPointBasedRestoreRequest'),
    ...restoreCommon,
    recoveryPointId: z.string().min(1),
  }),
  z.strictObject({
    objectType: z.literal('AzureBackupRecoveryTimeBasedRestoreRequest'),
    ...restoreCommon,
    recoveryPointTime: z.string().min(1),
  }),
  z.strictObject({
    objectType: z.literal('AzureBackupRestoreWithRehydrationRequest'),
    ...restoreCommon,
    recoveryPointId: z.string().min(1),
    rehydrationPriority: z.enum(['Invalid', 'High', 'Standard']),
    rehydrationRetentionDuration: z.string(),
  }),
]);
export type RestoreRequestBody = z.infer<typeof RestoreRequestSchema>;
// TriggerBackupRequest: backupRuleOptions {ruleName, triggerOption {retentionTagOverride?}}, both required.
export const TriggerBackupRequestSchema = z.strictObject({
  backupRuleOptions: z.strictObject({
    ruleName: z.string().min(1),
    triggerOption: z.strictObject({ retentionTagOverride: z.string().optional() }),
  }),
});
export const ValidateRestoreSchema = z.strictObject({ restoreRequestObject: RestoreRequestSchema });

export const FindRestorableTimeRangesSchema = z.strictObject({
  sourceDataStoreType: z.enum(['OperationalStore', 'VaultStore', 'ArchiveStore']),
  startTime: z.string().optional(),
  endTime: z.string().optional(),
});

export const BackupVaultResourceSchema = z.strictObject({
  ...readOnlyResource,
  location: z.string().min(1),
  tags: z.record(z.string(), z.string()).optional(),
  eTag: z.string().optional(),
  identity: z
    .strictObject({
      type: z.enum(['None', 'SystemAssigned', 'UserAssigned', 'SystemAssigned,UserAssigned']).optional(),
      principalId: z.string().optional(),
      tenantId: z.string().optional(),
      userAssignedIdentities: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  properties: z.looseObject({
    storageSettings: z.array(
      z.strictObject({
        datastoreType: z.enum(['ArchiveStore', 'OperationalStore', 'VaultStore']).optional(),
        type: z.enum(['GeoRedundant', 'LocallyRedundant', 'ZoneRedundant']).optional(),
      }),
    ),
  }),
});

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
};
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
const propValuesOf = (schema: z.ZodType): Record<string, Set<unknown>> | undefined =>
  (schema as unknown as { _zod: { propValues?: Record<string, Set<unknown>> } })._zod.propValues;

function memberCI(obj: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

/**
 * ARM binds request property names case-insensitively (its .NET JSON binding; seed 004 §Example request
 * for configure backup sends "datasourceinfo" and the service answers "dataSourceInfo"). Returns `data`
 * with every member renamed to the casing `schema` declares, through objects, arrays, optionals and
 * unions (the option that then parses, else the one its discriminator names). Record keys (tags,
 * resourceProperties) are data and keep their casing; names the schema does not know stay as sent.
 */
export function bindPropertyNames(schema: z.ZodType, data: unknown): unknown {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
      return bindPropertyNames(def.innerType!, data);
    case 'array':
      return Array.isArray(data) ? data.map((d) => bindPropertyNames(def.element!, d)) : data;
    case 'record':
      if (!data || typeof data !== 'object' || Array.isArray(data)) return data;
      return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, bindPropertyNames(def.valueType!, v)]));
    case 'union': {
      const options = def.options!;
      const bound = options.map((o) => bindPropertyNames(o, data));
      const ok = bound.findIndex((b, i) => options[i].safeParse(b).success);
      if (ok >= 0) return bound[ok];
      const disc = def.discriminator;
      const value = disc && data && typeof data === 'object' ? memberCI(data as Record<string, unknown>, disc) : undefined;
      const named = disc ? options.findIndex((o) => propValuesOf(o)?.[disc]?.has(value)) : -1;
      return bound[Math.max(0, named)];
    }
    case 'object': {
      if (!data || typeof data !== 'object' || Array.isArray(data)) return data;
      const shape = def.shape!;
      const canonical = new Map(Object.keys(shape).map((k) => [k.toLowerCase(), k]));
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(data)) {
        const name = canonical.get(k.toLowerCase());
        out[name ?? k] = name ? bindPropertyNames(shape[name], v) : v;
      }
      return out;
    }
    default:
      return data;
  }
}

/** Parses a body or throws InvalidRequestContent naming the first bad path (ARM's deserialization error). */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(bindPropertyNames(schema, body));
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.path.map(String).join('.');
  throw new ArmError(
    'InvalidRequestContent',
    `The request content was invalid and could not be deserialized: '${issue.message}' at path '${path}'.`,
  );
}

/** ISO-8601 days ("P30D", "P4W") -> days, or undefined. */
export function isoDurationDays(duration: string): number | undefined {
  const m = /^P(?:(\d+)W|(\d+)D)$/.exec(duration);
  if (!m) return undefined;
  return m[1] ? Number(m[1]) * 7 : Number(m[2]);
}
