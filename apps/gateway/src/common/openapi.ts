import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';
import { ERROR_CODE_LIST, ERROR_CODES, type ErrorCode } from '@bg/domain';

/**
 * The named response types of the OpenAPI document (components.schemas). A zod schema registered here
 * with `named` is emitted once under its name and referenced everywhere else ($ref), so a generated
 * client gets one `RestoreJob` type instead of a copy per operation.
 */
export const apiSchemas = z.registry<{ id: string }>();

/** Registers `schema` as components.schemas[id]; returns it unchanged. */
export function named<T extends z.ZodType>(id: string, schema: T): T {
  if (!apiSchemas.has(schema)) apiSchemas.add(schema, { id });
  return schema;
}

/** A reference to a named schema (`named`), as an OpenAPI schema object. */
export function schemaRef(schema: z.ZodType): { $ref: string } {
  const meta = apiSchemas.get(schema);
  if (!meta) throw new Error('schemaRef: register the response schema with named(id, schema) first');
  return { $ref: `#/components/schemas/${meta.id}` };
}

const pages = new Map<z.ZodType, z.ZodType>();

/** The page of a named item schema: `{ items: Item[], nextCursor: string | null }`, named `<Item>Page`. */
export function pageOf(item: z.ZodType): z.ZodType {
  let page = pages.get(item);
  if (!page) {
    const id = apiSchemas.get(item)?.id;
    if (!id) throw new Error('pageOf: register the item schema with named(id, schema) first');
    page = named(
      `${id}Page`,
      z.object({
        items: z.array(item),
        nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
      }),
    );
    pages.set(item, page);
  }
  return page;
}

/** RFC 9457 problem details with the normalized `code` (GET /v1/errors). */
export const problemSchema = named(
  'Problem',
  z
    .looseObject({
      type: z.string().describe('/v1/errors/<code>'),
      title: z.string(),
      status: z.number().int(),
      detail: z.string(),
      code: z.enum(ERROR_CODE_LIST as [ErrorCode, ...ErrorCode[]]).describe('The normalized error code.'),
      instance: z.string().optional().describe('The request id (X-Request-Id); quote it when reporting a problem.'),
      errors: z
        .array(z.object({ path: z.string(), message: z.string() }))
        .optional()
        .describe('VALIDATION_FAILED: each invalid field.'),
      vendor: z.string().optional(),
      vendorCode: z.string().optional(),
      retryable: z.boolean().optional(),
      vendorRequestId: z.string().optional(),
    })
    .describe('An error answer (application/problem+json). Further members give details of some codes (state, action, limit ...).'),
);

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The normalized codes answered with an HTTP status, for the description of that status's problem answer. */
function codesOf(status: number): ErrorCode[] {
  return ERROR_CODE_LIST.filter((c) => ERROR_CODES[c].status === status);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'No valid API key',
  403: 'The key may not do this',
  404: 'Not found (also another tenant’s resource)',
  409: 'Conflict with the current state',
  413: 'Body too large',
  415: 'Body not application/json',
  422: 'Refused by a rule',
  429: 'Too many requests',
  500: 'Internal error',
  502: 'The vendor failed',
  503: 'Unavailable, retry later',
  504: 'Timed out',
};

/** The OpenAPI response object of a problem+json answer with this status. */
export function problemResponse(status: number): Record<string, unknown> {
  const codes = codesOf(status);
  return {
    description: `${STATUS_TEXT[status] ?? 'Error'}: problem+json${codes.length ? ` (code: ${codes.join(', ')})` : ''}.`,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

/**
 * Documents the problem+json answers an operation gives beyond the ones every operation has (401/403 on
 * authenticated routes, 400 with a query or body, 404 with a path parameter, 409/422 of Idempotency-Key on
 * POST, 413/415 with a body, 429, 500, 503: added by completeDocument). Use it for the rule refusals of
 * the use case: `@ApiProblems(409, 422)` for NOT_ALLOWED_IN_STATE and UNSUPPORTED_BY_VENDOR.
 */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, ...(problemResponse(status) as { description: string }) })));
}

const location = (description: string) => ({ Location: { description, schema: { type: 'string' } } });

type Answer = { description?: string; location?: string };

/** 200 with a named schema. */
export function ApiOk(schema: z.ZodType, description = 'OK'): MethodDecorator {
  return ApiResponse({ status: 200, description, schema: schemaRef(schema) });
}

/** 200 with a page (`{ items, nextCursor }`) of a named item schema. */
export function ApiPage(item: z.ZodType, description = 'A page; follow nextCursor for the next.'): MethodDecorator {
  return ApiResponse({ status: 200, description, schema: schemaRef(pageOf(item)) });
}

/** 201 with a named schema and the new resource's Location. */
export function ApiCreated(
  schema: z.ZodType,
  { description = 'Created.', location: where = 'The new resource.' }: Answer = {},
): MethodDecorator {
  return ApiResponse({ status: 201, description, schema: schemaRef(schema), headers: location(where) });
}

/**
 * 202 with a named schema and a Location to follow the work at (every 202 of the API sets one: the
 * controller builds it from the stored resource, never from the raw path).
 */
export function ApiAccepted(
  schema: z.ZodType,
  { description = 'Accepted.', location: where = 'Where to follow the work.' }: Answer = {},
): MethodDecorator {
  return ApiResponse({ status: 202, description, schema: schemaRef(schema), headers: location(where) });
}

/** 204 without a body. */
export function ApiNoContent(description = 'Done; no body.'): MethodDecorator {
  return ApiResponse({ status: 204, description });
}

/** The JSON a serializer's value becomes on the wire (a Date is its ISO string). */
export type Jsonified<T> = T extends Date
  ? string
  : T extends Array<infer U>
    ? Jsonified<U>[]
    : T extends object
      ? { [K in keyof T]: Jsonified<T[K]> }
      : T;

/**
 * true when the zod response schema `S` describes what the serializer returns (`R`): every value it builds
 * fits the schema, and it has no top-level field the schema lacks. Use as `documents<typeof schema, R>(true)`
 * beside the schema, so a serializer change that the document misses fails typecheck.
 */
export type Describes<S extends z.ZodType, R> = [Jsonified<R>] extends [z.output<S>]
  ? [Exclude<keyof R, keyof z.output<S>>] extends [never]
    ? true
    : false
  : false;

/** Compile-time only: `documents<typeof restoreJobSchema, RestoreJobResource>(true)`. */
export function documents<S extends z.ZodType, R>(ok: Describes<S, R>): void {
  void ok;
}
