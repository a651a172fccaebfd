import type { FastifyReply } from 'fastify';

/**
 * Veeam's error responses as data. Every REST operation's `default` response is RESTExceptionInfo
 * {message, errorCode, stackTrace} (seed 002 §Remove Backup Repository "default" sample:
 * {"message", "errorCode": "ProxyOffline", "stackTrace"}); the errorCode enum is the spec's
 * (vb365-rest-v8 RESTExceptionInfo.errorCode). The HTTP status the server pairs with each code is
 * not documented; the simulator uses the status the code's meaning implies (table below).
 */
export const VEEAM_ERROR_CODES = [
  'ProxyOffline',
  'OutdatedChangeToken',
  'ResourceAccessDenied',
  'ResourceNotFound',
  'ParameterValidationFailure',
  'OrganizationTransfer',
  'RepositoryOwnerChangeTooManyLinks',
  'Timeout',
  'OperationConflict',
  'HttpError',
] as const;
export type VeeamErrorCode = (typeof VEEAM_ERROR_CODES)[number];

export const VEEAM_ERROR_STATUS: Record<VeeamErrorCode, number> = {
  ParameterValidationFailure: 400,
  OutdatedChangeToken: 400,
  RepositoryOwnerChangeTooManyLinks: 400,
  ResourceAccessDenied: 403,
  ResourceNotFound: 404,
  OperationConflict: 409,
  OrganizationTransfer: 409,
  HttpError: 500,
  ProxyOffline: 503,
  Timeout: 504,
};

/** The errorCode the simulator writes for an injected fault of a given status. */
export function errorCodeForStatus(status: number): VeeamErrorCode | null {
  if (status === 400) return 'ParameterValidationFailure';
  if (status === 403) return 'ResourceAccessDenied';
  if (status === 404) return 'ResourceNotFound';
  if (status === 409) return 'OperationConflict';
  if (status === 503) return 'ProxyOffline';
  if (status === 504) return 'Timeout';
  if (status >= 500) return 'HttpError';
  return null;
}

export interface RestExceptionInfo {
  message: string;
  errorCode: VeeamErrorCode | null;
  stackTrace: string | null;
}

export function exceptionInfo(errorCode: VeeamErrorCode | null, message: string): RestExceptionInfo {
  return { message, errorCode, stackTrace: null };
}

/** Sends RESTExceptionInfo with the status of its code. */
export function sendVeeamError(reply: FastifyReply, errorCode: VeeamErrorCode, message: string): FastifyReply {
  return reply.code(VEEAM_ERROR_STATUS[errorCode]).send(exceptionInfo(errorCode, message));
}

/**
 * 401 from the bearer check. VB365's REST service is ASP.NET Web API behind OWIN bearer auth, which answers
 * a missing, unknown or expired token with this message and no errorCode.
 */
export const UNAUTHORIZED_MESSAGE = 'Authorization has been denied for this request.';

/**
 * Token endpoint refusals. POST /v8/token's `default` response is RESTExceptionInfo like every other
 * operation's (spec operationId `token`), not an RFC 6749 {error} body. The status is not documented:
 * the simulator answers 400 for every refusal, errorCode ParameterValidationFailure for a malformed request
 * (missing or unknown parameter, unsupported grant type) and no errorCode for refused credentials (wrong
 * password or assertion, an unknown, used or expired refresh token), as its bearer check's 401 has none.
 */
export function sendTokenRefusal(reply: FastifyReply, kind: 'malformed' | 'refused', message: string): FastifyReply {
  return reply.code(400).send(exceptionInfo(kind === 'malformed' ? 'ParameterValidationFailure' : null, message));
}

/**
 * VB365 (since v6) throttles the token endpoint: HTTP 429 "Quota Exceeded" with Retry-After (observed by
 * B. Young, "A look at the web api throttles in VB365 v6 REST API (Token endpoint)"). The body is the
 * throttling library's quota message as a JSON string, not RESTExceptionInfo.
 */
export function tokenQuotaMessage(limit: number): string {
  return `API calls quota exceeded! maximum admitted ${limit} per Minute.`;
}

export const VEEAM_MESSAGES = {
  jobNotFound: (id: string) => `Job with ID ${id} not found.`,
  organizationNotFound: (id: string) => `Organization with ID ${id} not found.`,
  repositoryNotFound: (id: string) => `Backup repository with ID ${id} not found.`,
  userNotFound: (id: string) => `User with ID ${id} not found.`,
  siteNotFound: (id: string) => `Site with ID ${id} not found.`,
  teamNotFound: (id: string) => `Team with ID ${id} not found.`,
  groupNotFound: (id: string) => `Group with ID ${id} not found.`,
  restorePointNotFound: (id: string) => `Restore point with ID ${id} not found.`,
  restoreSessionNotFound: (id: string) => `Restore session with ID ${id} not found.`,
  jobSessionNotFound: (id: string) => `Job session with ID ${id} not found.`,
  eventNotFound: (id: string) => `Event with ID ${id} not found.`,
  objectNotFound: (kind: string, id: string) => `${kind} with ID ${id} not found.`,
  jobRunning: (name: string) => `Job ${name} is already running.`,
  jobDisabled: (name: string) => `Job ${name} is disabled.`,
  jobRunningDelete: (name: string) => `Cannot remove job ${name} while it is running.`,
  sessionStopped: (id: string) => `Restore session ${id} has been stopped.`,
  notExploreSession: (id: string) => `Restore session ${id} is a restore operation, not a session to explore and restore data from.`,
  wrongSessionType: (type: string) => `This operation is not available for a restore session of type ${type}.`,
  limitTooLarge: 'The limit parameter value must not exceed 10000.',
  invalidParameter: (name: string, value: unknown) => `Parameter '${name}' has an invalid value: ${JSON.stringify(value)}.`,
  unknownProperty: (name: string) => `Unknown property '${name}'.`,
  required: (name: string) => `Parameter '${name}' is required.`,
  invalidEnum: (name: string, value: unknown, allowed: readonly string[]) =>
    `Parameter '${name}' has an invalid value ${JSON.stringify(value)}. Allowed values: ${allowed.join(', ')}.`,
} as const;
