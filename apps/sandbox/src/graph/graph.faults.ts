/**
 * Graph's per-item fault injection, beside the server-wide FaultInjector (support/faults.ts, whole responses):
 * errors seed 000 lists with HTTP 200, carried by one protection unit or one restore artifact inside a successful
 * body. Set through scope config (PATCH /_sandbox/graph/scopes/<tenant>/config), keyed by the unit id or by the
 * protected resource (siteId / directoryObjectId), so a test can name a resource before its unit exists:
 *
 *   unitErrors:     { "<unit id | siteId | directoryObjectId>": "QuotaExceeded" | "UnknownError" | "InvalidArtifactId" | "ProtectionUnitNotFound" }
 *   artifactErrors: { "<unit id | siteId | directoryObjectId>": "UnknownError" | "ArtifactNotFound" }
 *
 * A unit with an injected error carries it as its `error` (publicError, seed 000 §Get Protection unit); a pending
 * protection of it does not complete, and its active policy reads `activeWithErrors`. An artifact error is fixed
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
