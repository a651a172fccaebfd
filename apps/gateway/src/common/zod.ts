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
    const nul = nulPath(value);
    if (nul !== undefined) {
      throw new ProblemError(
        problem('VALIDATION_FAILED', `The ${this.where} is invalid: ${nul || '(root)'}: must not contain a NUL character (\\u0000)`, {
          errors: [{ path: nul, message: 'must not contain a NUL character (\\u0000)' }],
        }),
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

/** The path of the first string (or key) holding a NUL character, which Postgres text cannot store; undefined when none. */
function nulPath(value: unknown, path: string[] = []): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') : undefined;
  if (!value || typeof value !== 'object' || Buffer.isBuffer(value)) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\u0000')) return [...path, k].join('.');
    const found = nulPath(v, [...path, k]);
    if (found !== undefined) return found;
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

/** A query's time range: `to` before `from` is 400 VALIDATION_FAILED on `to` (both ISO 8601 date-times, either optional). */
export function checkTimeRange(q: { from?: string; to?: string }, ctx: z.RefinementCtx): void {
  if (q.from && q.to && Date.parse(q.to) < Date.parse(q.from))
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from', input: q.to });
}
