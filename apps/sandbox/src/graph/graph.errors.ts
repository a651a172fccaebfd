import { randomUUID } from 'node:crypto';

/** One row of a seed 000 error table: the HTTP status and the exact message Graph sends. */
export interface GraphErrorRow {
  status: number;
  message: string;
}

const row = (status: number, message: string): GraphErrorRow => ({ status, message });

/**
 * Seed 000 ("Common Backup Storage error conditions") as data: operation -> error code -> status + message.
 * Rows the seed lists with status 200 are unit- or artifact-level errors carried inside a 200 body
 * (PATCH delta results, `error` of a protection unit or restore artifact), never as a response status.
 */
export const GRAPH_ERROR_TABLE = {
  createPolicy: {
    InvalidCreateRequest: row(400, 'Create Request Is Null, Invalid Or Its Size Is Too big.'),
    InvalidDisplayName: row(400, 'Please Ensure Policy Name Length Should Be > 0 chars And <= 1024 chars.'),
    EmptyProtectionUnitList: row(400, 'Protection Unit list Is empty.'),
    InvalidProtectionUnitId: row(400, 'Protection Unit Id Is Invalid.'),
    ProtectionUnitsLimitBreached: row(413, 'Number Of Protection Units In Each Request Must Not Exceed 50.'),
    PolicyCreationNotAllowed: row(409, "Can't Create Policy. Another active Policy already Exists."),
    PolicySaveFailed: row(500, 'An Unknown Error Occurred. Please Try Again.'),
  },
  getPolicy: {
    InvalidPolicyId: row(400, 'Policy Id is invalid.'),
    PolicyNotFound: row(404, 'Unable to get the Protection Policy.'),
  },
  patchPolicy: {
    ProtectionUnitAlreadyExists: row(200, 'ProtectionUnit level error: ProtectionUnit already exists.'),
    ProtectionUnitNotFound: row(200, 'ProtectionUnit level error: ProtectionUnit does not exist.'),
    DuplicateProtectionUnitInList: row(400, 'Protection Unit level error: duplicate Protection Unit in list.'),
    PolicyNotFound: row(404, 'Unable to get the Protection Policy.'),
  },
  deletePolicy: {
    InvalidPolicyId: row(400, 'Policy Id is absent.'),
    PolicyNotFound: row(404, 'Policy not found.'),
    PolicyActionNotAllowed: row(403, "Can't delete policy. Policy current status: {0}. Only policy in Inactive status can be deleted."),
  },
  deactivatePolicy: {
    InvalidPolicyId: row(400, 'Policy Id is absent.'),
    PolicyActionNotAllowed: row(403, 'Policy is not in correct state. Please wait till it comes in active state'),
    PolicyNotFound: row(404, 'Unable to get the Protection Policy.'),
  },
  activatePolicy: {
    InvalidPolicyId: row(400, 'Policy Id is absent.'),
    PolicyActionNotAllowed: row(
      403,
      "Can't activate policy. The policy is not in correct state. Please make sure the policy is in Inactive state.",
    ),
    PolicyNotFound: row(404, 'Unable to get the Protection Policy.'),
  },
  listUnits: {
    InvalidPolicyId: row(400, 'Policy Id is invalid.'),
    FilterLengthExceeded: row(400, 'Filter length exceeds the allowed limit.'),
    InvalidProtectionUnitId: row(400, 'Invalid Protection Unit Id'),
    PolicyNotFound: row(404, 'Unable to get the Protection Policy.'),
  },
  getUnit: {
    UnknownError: row(200, 'Unknown Error Occurred. Please try again. If the issue persists, please contact support.'),
    ProtectionUnitNotFound: row(
      200,
      'Requested Protection Unit {id} either does not exist, is deleted, or cannot be found. Please recheck the Protection Unit id and try again.',
    ),
    InvalidArtifactId: row(200, 'Protection Unit to remove was not found.'),
    QuotaExceeded: row(200, 'You have exceeded the backup quota.'),
    InvalidProtectionUnitId: row(400, 'Invalid Protection Unit Id'),
  },
  createSession: {
    InvalidPathType: row(400, 'Restore path type is not present.'),
    InvalidArtifactRequest: row(400, 'There should be at least one restore artifact.'),
    InvalidRestorePoint: row(400, 'Restore Point id is invalid or empty.'),
    DifferentRestoreDestinationType: row(400, 'Different Restore Destination Type.'),
    RestoreArtifactsLimitBreached: row(413, 'Restore Artifacts limit is breached.'),
    DuplicateArtifactInList: row(400, 'The restore artifact requested is already present.'),
  },
  getSession: {
    InvalidRestoreSessionId: row(400, 'RestoreSessionId is absent.'),
    RestoreSessionNotFound: row(404, 'Restore Session Not Found.'),
  },
  patchSession: {
    InvalidRestoreSessionId: row(400, 'RestoreSessionId is absent.'),
    InvalidPatchRequest: row(400, "Can't process the request because it's malformed or incorrect."),
    InvalidRestorePoint: row(400, 'Restore Point is invalid.'),
    // seed 000 §Patch Restore Session: the limit is a 400 here, not the 413 of Create.
    RestoreArtifactsLimitBreached: row(400, 'Restore Artifacts limit is breached.'),
    InvalidArtifactRequest: row(400, 'Restore Artifacts are null.'),
    RestoreSessionActionNotAllowed: row(403, 'Restore session can only be patched in Draft state.'),
    RestoreSessionNotFound: row(404, 'Unable to get restore session'),
    DuplicateArtifactInList: row(400, 'The restore artifact requested is already present.'),
  },
  deleteSession: {
    InvalidRestoreSessionId: row(400, 'RestoreSessionId is absent.'),
    RestoreSessionActionNotAllowed: row(403, 'Restore session can only be deleted in Draft state.'),
    RestoreSessionNotFound: row(404, 'Unable to get restore session'),
    IncompleteArtifactDeletion: row(500, 'Unable to delete session, try again'),
  },
  activateSession: {
    InvalidRestoreSessionId: row(400, 'RestoreSessionId is absent.'),
    RestoreSessionActionNotAllowed: row(403, 'Restore session can only be activated in Draft state.'),
    RestoreSessionNotFound: row(404, 'Unable to get restore session'),
    TooManyActiveRestoreSessions: row(500, 'Temporary error: Too many active restore sessions.'),
  },
  listArtifacts: {
    UnknownError: row(200, 'Unknown Error Occurred. Please try again. If the issue persists, contact Support.'),
    ArtifactNotFound: row(200, 'The requested restore artifact was not found for restore.'),
    InvalidRestoreTime: row(
      200,
      'Restore Artifact cannot be restored to this timestamp, the restore time provided is invalid or beyond retention period.',
    ),
    ArtifactCannotBeRestored: row(
      200,
      'The restore artifact is in an unexpected state such as preservation lock or TenantDivestiture which is blocking the restore.',
    ),
    DuplicateArtifactRestoreRequest: row(
      200,
      'An ongoing Restore was found for the given restore artifact. Please wait till its completion and try again.',
    ),
    InvalidRestoreSessionId: row(400, 'RestoreSession Id is invalid.'),
  },
  createRule: {
    InvalidInclusionRuleCreateRequest: row(400, 'Invalid create request.'),
    InvalidProtectionRuleDetails: row(500, 'Invalid rule details.'),
  },
  getRule: {
    InvalidInclusionRuleId: row(400, 'Rule id is invalid.'),
    ProtectionRuleNotFound: row(404, 'Inclusion details not found.'),
  },
  updateRule: {
    InvalidInclusionRuleId: row(400, 'Rule id is absent.'),
    ProtectionRuleNotFound: row(404, 'Inclusion details not found.'),
  },
  getRestorePoints: {
    FilterLengthExceeded: row(400, 'Filter length exceeds allowed limit'),
    InvalidSearchRequest: row(400, 'Restore point input is invalid'),
    InvalidProtectionUnitId: row(400, 'Invalid Protection unit ID'),
  },
  enable: {
    UnableToReadBillingProfile: row(403, 'Unable to read billing profile from billing profile provider'),
    BillingProfileNotAvailable: row(402, 'Configure the billing profile'),
  },
} as const;

export type GraphOperation = keyof typeof GRAPH_ERROR_TABLE;
export type GraphErrorCode<Op extends GraphOperation> = keyof (typeof GRAPH_ERROR_TABLE)[Op] & string;

/** General Microsoft Graph errors (https://learn.microsoft.com/graph/errors) the simulator also returns. */
export const GRAPH_GENERAL_ERRORS = {
  InvalidAuthenticationToken: row(401, 'Access token validation failure.'),
  BadRequest: row(400, 'Invalid request.'),
  TooManyRequests: row(429, 'Too many requests.'),
  serviceNotAvailable: row(503, 'The service is temporarily unavailable. Please try again later.'),
  generalException: row(500, 'An unspecified error has occurred.'),
} as const;

/** An error the route handlers throw; the sandbox's error handler writes it as a Graph error body. */
export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Throws-ready error for a seed 000 row; `{0}` / `{id}` placeholders are filled from `args`. */
export function graphError<Op extends GraphOperation>(op: Op, code: GraphErrorCode<Op>, args: Record<string, string> = {}): GraphHttpError {
  const r = (GRAPH_ERROR_TABLE[op] as Record<string, GraphErrorRow>)[code];
  return new GraphHttpError(r.status, code, fill(r.message, args));
}

/** A seed 000 row as a `publicError` (unit- and artifact-level errors inside 200 bodies). */
export function graphPublicError<Op extends GraphOperation>(op: Op, code: GraphErrorCode<Op>, args: Record<string, string> = {}) {
  const r = (GRAPH_ERROR_TABLE[op] as Record<string, GraphErrorRow>)[code];
  return { code, message: fill(r.message, args) };
}

function fill(message: string, args: Record<string, string>): string {
  return message.replace(/\{(\w+)\}/g, (m, k: string) => args[k] ?? m);
}

/** The Graph error body: `{"error":{"code","message","innerError":{"request-id","client-request-id","date"}}}`. */
export function graphErrorBody(code: string, message: string, requestId: string = randomUUID(), clientRequestId: string = requestId) {
  return {
    error: {
      code,
      message,
      // Graph sends the date without a zone ("2023-03-03T07:15:31"); the sandbox adds "Z" so bodies validate as the
      // OpenAPI's `date-time` format.
      innerError: {
        date: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        'request-id': requestId,
        'client-request-id': clientRequestId,
      },
    },
  };
}
