import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/**
 * The AvePoint Graph API's responses as data: the common envelope (seed 001 §Responses:
 * statusCode, message, errors[{code, field, message}], data, requestId, timestamp, traceId) and the
 * messages the simulator sends. Field names in `errors[].field` are PascalCase as in the seed sample
 * ("SiteRestoreScope"), messages follow its FluentValidation wording ("'Site Restore Scope' must not be empty.").
 */
export interface ApiError {
  code: string;
  field: string;
  message: string;
}

/** seed 001 §Responses sample: the only field-level code the docs name. */
export const INVALID_PARAMETER = 'InvalidParameter';

export const AVEPOINT_MESSAGES = {
  badRequest: 'Bad Request',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  notFound: 'Not Found',
  jobNotFound: 'The job does not exist.',
  tooManyRequests: 'Too Many Requests',
  internal: 'Internal Server Error',
  // seed 001 §Responses: the 429 sample message, with the tenant's limit in place of 3.
  concurrentJobs: (limit: number) => `There are already ${limit} restore/export jobs running, cannot start new restore job.`,
  mustNotBeEmpty: (label: string) => `'${label}' must not be empty.`,
  invalidValue: (label: string) => `'${label}' has an invalid value.`,
  // seed 001 §siteRestoreScope.restoreTargets
  tooManyPaths: 'Across all restoreTargets, the total number of file and folder paths cannot exceed 20.',
  parentAndChild: (a: string, b: string) => `Parent and child paths cannot be included in the same request: '${a}' and '${b}'.`,
  filesOrFolders: 'At least one of files or folders must be specified.',
  recoveryFormat: "'Recovery Date Time' must be in ISO 8601 UTC format: yyyy-MM-ddTHH:mm:ssZ or yyyy-MM-ddTHH:mm:ss.fffffffZ.",
  scopeNotFound: (what: string, key: string) => `The ${what} '${key}' was not found in the backup data of this location.`,
  unknownField: (name: string) => `The field '${name}' is not recognized.`,
  noBackupData: 'No backup data is available before the recovery date time.',
  pathNotFound: (p: string) => `The item '${p}' was not found in the backup data.`,
} as const;

const REASON: Record<number, string> = {
  400: AVEPOINT_MESSAGES.badRequest,
  401: AVEPOINT_MESSAGES.unauthorized,
  403: AVEPOINT_MESSAGES.forbidden,
  404: AVEPOINT_MESSAGES.notFound,
  429: AVEPOINT_MESSAGES.tooManyRequests,
  500: AVEPOINT_MESSAGES.internal,
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function reasonPhrase(status: number): string {
  return REASON[status] ?? 'Error';
}

let requestSeq = 0;
const connectionId = `0HN${randomBytes(5).toString('hex').toUpperCase().slice(0, 9)}`;

/** A request id shaped like the docs' samples ("0HNEVHLNSPSEJ:00000009"). */
export function newRequestId(): string {
  requestSeq += 1;
  return `${connectionId}:${String(requestSeq).padStart(8, '0')}`;
}

/** W3C trace id as in the samples ("00-<32 hex>-<16 hex>-00"). */
export function newTraceId(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`;
}

/** ISO timestamp with 7 fraction digits, as in the samples ("2026-02-27T03:54:23.1052191Z"). */
export function dotnetTimestamp(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

export interface EnvelopeInit {
  status: number;
  message?: string;
  errors?: ApiError[];
  data?: unknown;
  metadata?: unknown;
  now: Date;
}

/** Writes the envelope (success or error) with the request id also in the `request-id` header. */
export function sendEnvelope(reply: FastifyReply, init: EnvelopeInit): FastifyReply {
  const requestId = newRequestId();
  const body: Record<string, unknown> = {
    statusCode: init.status,
    message: init.message ?? (init.status < 400 ? '' : reasonPhrase(init.status)),
  };
  if (init.errors?.length) body.errors = init.errors;
  if (init.data !== undefined) body.data = init.data;
  body.requestId = requestId;
  body.timestamp = dotnetTimestamp(init.now);
  if (init.metadata !== undefined) body.metadata = init.metadata;
  body.traceId = newTraceId();
  return reply.code(init.status).header('request-id', requestId).header('content-type', 'application/json; charset=utf-8').send(body);
}

export function invalidParameter(field: string, message: string): ApiError {
  return { code: INVALID_PARAMETER, field, message };
}
