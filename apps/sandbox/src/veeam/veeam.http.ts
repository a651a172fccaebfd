import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthedRequest } from './veeam.auth';
import { sendVeeamError, VEEAM_MESSAGES } from './veeam.errors';

/**
 * Paging and request-shape checks shared by the simulator's routes.
 *
 * Paging: seed 002 §Get Backup Repositories: `limit` "The maximum supported number of items per page is
 * 10,000. The default value is 30.", `offset` "Excludes from a response page the first N items ... The
 * default value is 0." Responses are PageOf<T> {offset, limit, setId, results, _links} (spec
 * `x-veeam-page-result`).
 */
export const DEFAULT_LIMIT = 30;
export const MAX_LIMIT = 10_000;

export class RequestRefused extends Error {
  constructor(
    readonly errorCode: 'ParameterValidationFailure' | 'ResourceNotFound' | 'OperationConflict' | 'ResourceAccessDenied',
    message: string,
  ) {
    super(message);
  }
}

export function refuse(message: string): never {
  throw new RequestRefused('ParameterValidationFailure', message);
}

export function notFound(message: string): never {
  throw new RequestRefused('ResourceNotFound', message);
}

export function conflict(message: string): never {
  throw new RequestRefused('OperationConflict', message);
}

/**
 * Wraps a route handler so RequestRefused becomes the vendor's RESTExceptionInfo. `R` is the request as the
 * route sees it (its params/query/body shapes and the bearer check's AuthedRequest fields).
 */
export function handle<R extends FastifyRequest>(
  fn: (req: R, reply: FastifyReply) => unknown,
): (req: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      return await fn(req as R, reply);
    } catch (e) {
      if (e instanceof RequestRefused) return sendVeeamError(reply, e.errorCode, e.message);
      throw e;
    }
  };
}

function intParam(name: string, raw: unknown, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const s = String(raw);
  if (!/^-?\d+$/.test(s)) refuse(VEEAM_MESSAGES.invalidParameter(name, raw));
  return Number(s);
}

export interface Paging {
  offset: number;
  limit: number;
}

export function parsePaging(query: Record<string, unknown>): Paging {
  const limit = intParam('limit', query.limit, DEFAULT_LIMIT);
  const offset = intParam('offset', query.offset, 0);
  if (limit > MAX_LIMIT) refuse(VEEAM_MESSAGES.limitTooLarge);
  if (limit < 1) refuse(VEEAM_MESSAGES.invalidParameter('limit', query.limit));
  if (offset < 0) refuse(VEEAM_MESSAGES.invalidParameter('offset', query.offset));
  return { offset, limit };
}

/**
 * One page of `all` as PageOf<T>. The spec types `_links` as an open HAL dictionary (RESTLinkHALDictionary;
 * seed 002's samples name only "property1"/"property2"), so a client cannot count on any relation. Veeam's
 * REST reference (Pagination page) shows `first`, `prev`, `self` and `next` with hrefs of the same path and
 * offset ± limit, "if it is possible to navigate to other pages". The scope's `pageLinks` config chooses:
 * 'navigation' (default: that documented form), 'self' (only the page itself) or 'none' (no links).
 */
export function pageOf<T>(req: FastifyRequest, all: T[], query: Record<string, unknown>): Record<string, unknown> {
  const { offset, limit } = parsePaging(query);
  const results = all.slice(offset, offset + limit);
  const path = req.url.split('?')[0];
  const link = (o: number) => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (k !== 'offset' && k !== 'limit' && v !== undefined) qs.set(k, String(v));
    qs.set('offset', String(o));
    qs.set('limit', String(limit));
    return { href: `${path}?${qs.toString()}` };
  };
  const mode = (req as FastifyRequest & AuthedRequest).veeamScope?.config.pageLinks ?? 'navigation';
  const links: Record<string, { href: string }> = {};
  if (mode === 'navigation' && offset > 0) Object.assign(links, { first: link(0), prev: link(Math.max(0, offset - limit)) });
  if (mode !== 'none') links.self = link(offset);
  if (mode === 'navigation' && offset + limit < all.length) links.next = link(offset + limit);
  return { offset, limit, setId: randomUUID(), results, _links: links };
}

/** Refuses properties the schema does not define, so a misspelt field fails loudly. */
export function onlyKnownProperties(body: unknown, allowed: readonly string[], what = 'request body'): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) refuse(`The ${what} must be a JSON object.`);
  const obj = body as Record<string, unknown>;
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) refuse(VEEAM_MESSAGES.unknownProperty(k));
  return obj;
}

export function checkEnum(name: string, value: unknown, allowed: readonly string[], nullable = true): void {
  if (value === undefined || (nullable && value === null)) return;
  if (typeof value !== 'string' || !allowed.includes(value)) refuse(VEEAM_MESSAGES.invalidEnum(name, value, allowed));
}

export function checkBoolean(name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'boolean') refuse(VEEAM_MESSAGES.invalidParameter(name, value));
}

export function checkString(name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') refuse(VEEAM_MESSAGES.invalidParameter(name, value));
}

/** Parses an ISO 8601 date-time parameter (query or body). */
export function parseDateTime(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const t = Date.parse(String(value));
  if (typeof value !== 'string' || Number.isNaN(t)) refuse(VEEAM_MESSAGES.invalidParameter(name, value));
  return t;
}

export const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
