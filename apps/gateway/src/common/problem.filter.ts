import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ERROR_CODES, type ErrorCode } from '@bg/domain';
import { isVendorError } from '@bg/adapters';
import { problem, ProblemError, type Problem } from './problem';

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'INVALID_REQUEST',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'INVALID_REQUEST',
  429: 'THROTTLED',
};

/** Seconds a client is asked to wait (Retry-After) when Postgres or Redis is unreachable. */
export const BACKING_SERVICE_RETRY_AFTER_SECONDS = 2;

// Postgres SQLSTATEs of a database that is down, restarting or out of connections: class 08 (connection
// exception), 57P01-57P03 (admin/crash shutdown, cannot connect now), 53300 (too many connections).
const PG_UNAVAILABLE = /^(08...|57P0[1-3]|53300)$/;
const NET_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTCONN']);
// What node-postgres and ioredis throw without a code when the server went away mid-query or is not connected.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed|enableOfflineQueue|MaxRetriesPerRequest|Reached the max retries per request/i;

/**
 * True when `err` says a backing service (Postgres, Redis) is unreachable rather than that the request
 * is wrong: such a request can be retried as is, so it answers 503 with Retry-After, not a bare 500.
 */
export function isBackingServiceUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, message, name } = e as { code?: unknown; message?: unknown; name?: unknown };
    if (typeof code === 'string' && (PG_UNAVAILABLE.test(code) || NET_UNAVAILABLE.has(code))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    if (name === 'MaxRetriesPerRequestError') return true;
    // TypeORM's QueryFailedError keeps the driver's error; AggregateError (connect to several addresses) its parts.
    const inner = (e as { driverError?: unknown; cause?: unknown; errors?: unknown[] }).driverError ?? (e as { cause?: unknown }).cause;
    const parts = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(parts) && parts.some((p) => isBackingServiceUnavailable(p))) return true;
    e = inner;
  }
  return false;
}

/** Turns any error into an application/problem+json answer. Unknown errors: 500 without internals. */
export function toProblem(err: unknown, requestId: string | undefined, logger: Logger): Problem {
  if (err instanceof ProblemError) return { ...err.problem, instance: requestId };
  if (err instanceof DomainError) {
    return {
      ...problem(err.code, err.message, err.details as Partial<Problem>),
      status: ERROR_CODES[err.code].status,
      instance: requestId,
    };
  }
  if (isVendorError(err)) {
    return {
      ...problem(err.code, err.message),
      vendor: err.vendor,
      vendorCode: err.vendorCode,
      retryable: err.retryable,
      vendorRequestId: err.vendorRequestId,
      instance: requestId,
    };
  }
  const fastifyCode = (err as { code?: string })?.code;
  if (fastifyCode === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError || fastifyCode === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return problem('MALFORMED_JSON', 'The request body is not valid JSON.', { instance: requestId });
  }
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return problem('PAYLOAD_TOO_LARGE', 'The request body exceeds the size limit.', { instance: requestId });
  if (fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return problem('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.', { instance: requestId });
  if (err instanceof HttpException) {
    const status = err.getStatus();
    if (status === 400 && /not valid JSON/i.test(err.message))
      return problem('MALFORMED_JSON', 'The request body is not valid JSON.', { instance: requestId });
    const code = STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_REQUEST');
    const detail = status === 404 ? 'No such route.' : typeof err.getResponse() === 'string' ? String(err.getResponse()) : err.message;
    return { ...problem(code, detail), status, instance: requestId };
  }
  const status = (err as { statusCode?: number })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { ...problem(STATUS_CODES[status] ?? 'INVALID_REQUEST', (err as Error).message), status, instance: requestId };
  }
  if (isBackingServiceUnavailable(err)) {
    logger.warn(`backing service unavailable: ${(err as Error)?.message}`);
    return problem(
      'SERVICE_UNAVAILABLE',
      'The service is briefly unavailable (its database or queue is not reachable). Retry after the Retry-After delay.',
      {
        instance: requestId,
      },
    );
  }
  logger.error({ err }, 'unhandled error');
  return problem('INTERNAL', 'An internal error occurred. Quote the instance id when reporting it.', { instance: requestId });
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const body = toProblem(exception, String(req.id ?? ''), this.logger);
    if (body.code === 'SERVICE_UNAVAILABLE') reply.header('retry-after', String(BACKING_SERVICE_RETRY_AFTER_SECONDS));
    void reply.status(body.status).header('content-type', 'application/problem+json').send(body);
  }
}
