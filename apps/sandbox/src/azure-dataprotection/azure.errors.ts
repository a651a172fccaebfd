import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/**
 * The Azure errors the simulator answers with, as data: ARM's own codes (auth, api-version, not found,
 * throttling) and the Data Protection service's codes. DPP errors carry an `additionalInfo` entry of type
 * `UserFacingError` with `isRetryable` / `isUserError` (seed 004 §Example responses for validate backup).
 */
export interface AzureErrorDef {
  status: number;
  message: string;
  /** Present for Data Protection service errors (they come with a UserFacingError); absent for ARM's own. */
  userFacing?: { isRetryable: boolean; isUserError: boolean; recommendedAction?: string[] };
}

export const AZURE_ERRORS = {
  // ARM front door (learn.microsoft.com "Troubleshoot common Azure deployment errors")
  AuthenticationFailed: { status: 401, message: "Authentication failed. The 'Authorization' header is missing." },
  InvalidAuthenticationToken: { status: 401, message: 'The access token is invalid.' },
  InvalidAuthenticationTokenAudience: {
    status: 401,
    message:
      "The access token has been obtained for wrong audience or resource. It should exactly match with one of the allowed audiences 'https://management.azure.com/'.",
  },
  ExpiredAuthenticationToken: { status: 401, message: 'The access token expiry UTC time is earlier than current UTC time.' },
  AuthorizationFailed: {
    status: 403,
    message: 'The client does not have authorization to perform this action over this scope or the scope is invalid.',
  },
  MissingApiVersionParameter: { status: 400, message: 'The api-version query parameter (?api-version=) is required for all requests.' },
  InvalidApiVersionParameter: { status: 400, message: 'The api-version is invalid.' },
  NoRegisteredProviderFound: { status: 400, message: 'No registered resource provider found for this location and API version.' },
  InvalidRequestContent: { status: 400, message: 'The request content was invalid and could not be deserialized.' },
  UnsupportedMediaType: { status: 415, message: "The content media type is not supported. Content-Type must be 'application/json'." },
  ResourceGroupNotFound: { status: 404, message: 'Resource group could not be found.' },
  ResourceNotFound: { status: 404, message: 'The Resource was not found.' },
  SubscriptionRequestsThrottled: {
    status: 429,
    message:
      'Number of requests for subscription exceeded. Please try again after the Retry-After period. Refer to https://aka.ms/arm-throttling',
  },
  InternalServerError: { status: 500, message: 'Encountered internal server error.' },
  ServiceUnavailable: { status: 503, message: 'The service is temporarily unavailable.' },
  GatewayTimeout: { status: 504, message: 'The gateway did not receive a response within the specified time period.' },
  Conflict: { status: 409, message: 'The operation conflicts with another operation on the resource.' },
  AnotherOperationInProgress: { status: 409, message: 'Another operation is in progress on the resource.' },
  // Data Protection service (seed 004 §Error response, §Track response)
  UserErrorDppDatasourceAlreadyProtected: {
    status: 400,
    message: 'Datasource is already protected under the Backup vault.',
    userFacing: {
      isRetryable: false,
      isUserError: false,
      recommendedAction: ['Delete the backup instance from the Backup vault to re-protect the datasource in any other vault.'],
    },
  },
  UserErrorMissingRequiredPermissions: {
    status: 400,
    message: 'Appropriate permissions to perform the operation is missing.',
    userFacing: {
      isRetryable: false,
      isUserError: false,
      recommendedAction: [
        'Grant appropriate permissions to perform this operation as mentioned at https://aka.ms/UserErrorMissingRequiredPermissions and retry the operation.',
      ],
    },
  },
  // Data Protection service, seen in public azurerm issues (hashicorp/terraform-provider-azurerm #20774, #33470)
  UserErrorDppPolicyObjectInUse: {
    status: 400,
    message: 'Cannot delete the backup policy as one or more backup instances have been configured for protection with this policy.',
    userFacing: { isRetryable: false, isUserError: true },
  },
  BMSUserErrorInvalidInput: {
    status: 400,
    message: 'Input provided for the call is invalid.',
    userFacing: { isRetryable: false, isUserError: true },
  },
  // Data Protection service, restore-time and transient failures (simulator's choice of wording)
  UserErrorRestorePointInTimeNotInRange: {
    status: 400,
    message: 'The requested point in time is outside the restorable time ranges of the backup instance.',
    userFacing: { isRetryable: false, isUserError: true },
  },
  UserErrorBackupInstanceNotProtected: {
    status: 400,
    message: 'The backup instance is not in a state that allows this operation.',
    userFacing: { isRetryable: false, isUserError: true },
  },
  UserErrorRestoreTargetAlreadyExists: {
    status: 400,
    message: 'The restore target already has blobs in the requested ranges and recoveryOption is FailIfExists.',
    userFacing: { isRetryable: false, isUserError: true },
  },
  CloudInternalError: {
    status: 500,
    message: 'An internal error occurred in the Data Protection service.',
    userFacing: { isRetryable: true, isUserError: false },
  },
} satisfies Record<string, AzureErrorDef>;

export type AzureErrorCode = keyof typeof AZURE_ERRORS;

export interface CloudErrorBody {
  error: {
    code: string;
    message: string;
    target?: string | null;
    details?: unknown[];
    additionalInfo?: Array<{ type: string; info: Record<string, unknown> }>;
  };
}

/** The `Error` object of a CloudError (also used inside a failed OperationResource). */
export function cloudErrorObject(code: AzureErrorCode, message?: string, activityId: string = randomUUID()): CloudErrorBody['error'] {
  const def: AzureErrorDef = AZURE_ERRORS[code];
  const msg = message ?? def.message;
  if (!def.userFacing) return { code, message: msg };
  return {
    code,
    message: msg,
    target: null,
    additionalInfo: [
      {
        type: 'UserFacingError',
        info: {
          message: msg,
          recommendedAction: def.userFacing.recommendedAction ?? [],
          details: null,
          code,
          target: '',
          innerError: null,
          isRetryable: def.userFacing.isRetryable,
          isUserError: def.userFacing.isUserError,
          properties: { ActivityId: activityId },
        },
      },
    ],
  };
}

/** The ARM code a bare status maps to (faults injected without a body). */
export function codeForStatus(status: number): AzureErrorCode | string {
  switch (status) {
    case 400:
      return 'InvalidRequestContent';
    case 401:
      return 'InvalidAuthenticationToken';
    case 403:
      return 'AuthorizationFailed';
    case 404:
      return 'ResourceNotFound';
    case 409:
      return 'Conflict';
    case 429:
      return 'SubscriptionRequestsThrottled';
    case 502:
      return 'BadGateway';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'GatewayTimeout';
    default:
      return status >= 500 ? 'InternalServerError' : 'BadRequest';
  }
}

/** Thrown by route code; the error handler writes it as a CloudError. */
export class ArmError extends Error {
  constructor(
    readonly code: AzureErrorCode,
    message?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? AZURE_ERRORS[code].message);
  }
  get status(): number {
    return AZURE_ERRORS[this.code].status;
  }
}

export function sendArmError(reply: FastifyReply, err: ArmError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  if (err.status === 401) {
    // ARM's challenge (learn.microsoft.com "Azure REST API reference: authentication")
    reply.header(
      'www-authenticate',
      'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="' + err.code + '"',
    );
  }
  return reply
    .code(err.status)
    .header('content-type', 'application/json; charset=utf-8')
    .send({ error: cloudErrorObject(err.code, err.message) } satisfies CloudErrorBody);
}
