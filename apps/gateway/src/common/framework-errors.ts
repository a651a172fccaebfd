import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { problem, type Problem } from './problem';

/**
 * The answer to a refusal Fastify's router makes before any route (and so before Nest's filter) runs — a
 * path that is not valid percent-encoding, a path parameter longer than `maxParamLength` — sent as
 * problem+json like every other error (bootstrap's `frameworkErrors`).
 */
export function frameworkErrorProblem(err: { code?: string }, requestId: string): Problem {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return problem('URI_TOO_LONG', 'A path segment of the request is too long.', { instance: requestId });
  if (err.code === 'FST_ERR_BAD_URL')
    return problem('INVALID_REQUEST', 'The request path is not valid percent-encoding.', { instance: requestId });
  return problem('INVALID_REQUEST', 'The request could not be routed.', { instance: requestId });
}

/**
 * Fastify's `clientErrorHandler`: errors Node's HTTP parser raises before there is a request (headers
 * over `maxHeaderSize`, a malformed request line, a header timeout). There is no reply object yet, so the
 * answer is written to the socket, as Node and Fastify do by default, but as problem+json.
 */
export function clientErrorProblem(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, body] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', problem('HEADERS_TOO_LARGE', 'The request headers exceed the size limit.')]
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT'
        ? [408, 'Request Timeout', { ...problem('INVALID_REQUEST', 'The request was not received in time.'), status: 408 }]
        : [400, 'Bad Request', problem('INVALID_REQUEST', 'The request is not valid HTTP.')];
  const json = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    );
  }
  socket.destroy(err);
}

/** Writes a problem answer on the raw response (no reply object exists for router-level refusals), with the request id. */
export function sendProblem(res: ServerResponse, body: Problem): void {
  const json = JSON.stringify(body);
  res.writeHead(body.status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(json),
    ...(body.instance ? { 'x-request-id': body.instance } : {}),
  });
  res.end(json);
}
