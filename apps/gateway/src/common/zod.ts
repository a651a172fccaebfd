import { applyDecorators, type PipeTransform } from '@nestjs/common';
import { ApiBody, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { problem, ProblemError } from './problem';

/** Validates a body / query / param with a zod schema; failures are 400 VALIDATION_FAILED listing each path. */
export class ZodPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(
    private readonly schema: T,
    private readonly where: 'body' | 'query' | 'param' = 'body',
  ) {}

  transform(value: unknown): z.infer<T> {
    if (this.where === 'body' && (value === undefined || value === null)) {
      throw new ProblemError(
        problem('VALIDATION_FAILED', 'A JSON request body is required.', { errors: [{ path: '', message: 'required' }] }),
      );
    }
    if (this.where === 'body' && Buffer.isBuffer(value)) {
      throw new ProblemError(problem('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.'));
    }
    const bad = unstorablePath(value);
    if (bad) {
      throw new ProblemError(
        problem('VALIDATION_FAILED', `The ${this.where} is invalid: ${bad.path || '(root)'}: ${bad.message}`, { errors: [bad] }),
      );
    }
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const errors = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ProblemError(
      problem('VALIDATION_FAILED', `The ${this.where} is invalid: ${errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ')}`, {
        errors,
      }),
    );
  }
}

/** Deeper JSON than any of our bodies needs; refused before any recursive walk (ours, zod's) could exhaust the stack. */
export const MAX_JSON_DEPTH = 32;

/**
 * The first problem of a decoded body or query that no schema should see: a string (or key) holding a NUL
 * character, which Postgres text cannot store, or nesting deeper than MAX_JSON_DEPTH. Walks iteratively,
 * so no input can overflow the stack here; undefined when there is none.
 */
function unstorablePath(value: unknown): { path: string; message: string } | undefined {
  const stack: Array<{ value: unknown; path: string[] }> = [{ value, path: [] }];
  while (stack.length) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { path: path.join('.'), message: 'must not contain a NUL character (\\u0000)' };
      continue;
    }
    if (!v || typeof v !== 'object' || Buffer.isBuffer(v)) continue;
    if (path.length >= MAX_JSON_DEPTH) return { path: path.join('.'), message: `must not nest deeper than ${MAX_JSON_DEPTH} levels` };
    const entries = Object.entries(v);
    for (let k = entries.length - 1; k >= 0; k--) {
      const [key, child] = entries[k];
      if (key.includes('\u0000')) return { path: [...path, key].join('.'), message: 'must not contain a NUL character (\\u0000)' };
      stack.push({ value: child, path: [...path, key] });
    }
  }
  return undefined;
}

export function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** Documents a zod-validated JSON body in the OpenAPI document (`required: false` for a body that may be left out). */
export function ApiZodBody(schema: z.ZodType, description?: string, required = true): MethodDecorator {
  return applyDecorators(ApiBody({ schema: jsonSchema(schema) as never, description, required }));
}

/** Documents every field of a zod-validated query object as a query parameter (type, enum, default, description). */
export function ApiZodQuery(schema: z.ZodObject): MethodDecorator {
  const doc = jsonSchema(schema) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return applyDecorators(
    ...Object.entries(doc.properties ?? {}).map(([name, property]) =>
      ApiQuery({
        name,
        required: doc.required?.includes(name) ?? false,
        description: property.description as string | undefined,
        schema: property as never,
      }),
    ),
  );
}

export const uuidParam = z.uuid({ message: 'must be a UUID' });
export const cursorQuery = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type CursorQuery = z.infer<typeof cursorQuery>;

/** A query's time range: `to` before `from` is 400 VALIDATION_FAILED on `to` (both ISO 8601 date-times, either optional). */
export function checkTimeRange(q: { from?: string; to?: string }, ctx: z.RefinementCtx): void {
  if (q.from && q.to && Date.parse(q.to) < Date.parse(q.from))
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from', input: q.to });
}
