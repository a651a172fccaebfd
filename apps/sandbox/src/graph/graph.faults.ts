import { graphError } from './graph.errors';

/**
 * Graph's per-item fault injection, beside the server-wide FaultInjector (support/faults.ts, whole responses):
 * errors seed 000 lists with HTTP 200, carried by one protection unit or one restore artifact inside a successful
 * body. Set through scope config (PATCH /_sandbox/graph/scopes/<tenant>/config), keyed by the unit id or by the
 * protected resource (siteId / directoryObjectId), so a test can name a resource before its unit exists:
 *
 *   unitErrors:     { "<unit id | siteId | directoryObjectId>": "QuotaExceeded" | "UnknownError" | "InvalidArtifactId" | "ProtectionUnitNotFound" }
 *   artifactErrors: { "<unit id | siteId | directoryObjectId>": "UnknownError" | "ArtifactNotFound" }
 *   stoppedBackups: [ "<unit id | siteId | directoryObjectId>", ... ]  backups that stop happening: the unit still
 *                   reads `protected` but takes no new restore points until it is unlisted (graph.state.ts)
 *
 * A unit with an injected error carries it as its `error` (publicError, seed 000 §Get Protection unit); a pending
 * protection of it does not complete, a protected one takes no new restore points, and its active policy reads
 * `activeWithErrors`. An artifact error is fixed
 * when the restore session is activated; the artifact ends `failed` with it (seed 000 §List Restore Artifacts).
 */
export const INJECTABLE_UNIT_ERRORS = ['UnknownError', 'ProtectionUnitNotFound', 'InvalidArtifactId', 'QuotaExceeded'] as const;
export const INJECTABLE_ARTIFACT_ERRORS = ['UnknownError', 'ArtifactNotFound'] as const;

export type InjectedUnitError = (typeof INJECTABLE_UNIT_ERRORS)[number];
export type InjectedArtifactError = (typeof INJECTABLE_ARTIFACT_ERRORS)[number];

/** `{ key: code }` from raw scope config, keys lower-cased (site ids are case-insensitive), unknown codes dropped. */
export function injectedErrors<C extends string>(raw: unknown, allowed: readonly C[]): Record<string, C> {
  const out: Record<string, C> = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if ((allowed as readonly string[]).includes(String(v))) out[k.toLowerCase()] = v as C;
  }
  return out;
}

/** The injected error of a unit (by its id, else its resource), or undefined. */
export function injectedFor<C extends string>(errors: Record<string, C>, unit: { id: string; resourceId: string }): C | undefined {
  return errors[unit.id.toLowerCase()] ?? errors[unit.resourceId.toLowerCase()];
}

/**
 * Operations whose seed 000 table lists a transient 500 the sandbox can produce on demand: scope config
 * `failOperations: ["createRule", …]` answers that row for every call of the operation while it is listed.
 *   createPolicy  -> 500 PolicySaveFailed            (seed 000 §Create ProtectionPolicy)
 *   deleteSession -> 500 IncompleteArtifactDeletion  (seed 000 §Delete Restore Session)
 *   createRule    -> 500 InvalidProtectionRuleDetails (seed 000 §Create Inclusion Rule)
 */
export const TRANSIENT_FAILURES = {
  createPolicy: 'PolicySaveFailed',
  deleteSession: 'IncompleteArtifactDeletion',
  createRule: 'InvalidProtectionRuleDetails',
} as const;

export type TransientOperation = keyof typeof TRANSIENT_FAILURES;

/** The listed operations of raw scope config `failOperations`, unknown names dropped. */
export function transientOperations(raw: unknown): TransientOperation[] {
  if (!Array.isArray(raw)) return [];
  return raw.map(String).filter((op): op is TransientOperation => op in TRANSIENT_FAILURES);
}

/** Throws the operation's seed 000 transient 500 when scope config `failOperations` lists it. */
export function failIfListed(config: { failOperations: readonly TransientOperation[] }, op: TransientOperation): void {
  if (!config.failOperations.includes(op)) return;
  if (op === 'createPolicy') throw graphError('createPolicy', TRANSIENT_FAILURES.createPolicy);
  if (op === 'deleteSession') throw graphError('deleteSession', TRANSIENT_FAILURES.deleteSession);
  throw graphError('createRule', TRANSIENT_FAILURES.createRule);
}
