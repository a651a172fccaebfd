import { problem, ProblemError } from './problem';

/** A page of a list answer. `nextCursor` is null on the last page. Order is by id (time-ordered UUIDv7). */
export interface ListPage<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');
}

const UUID_ID = /^[0-9a-f-]{36}$/i;
/** A bigserial id (history entries). */
export const SEQUENCE_ID = /^[1-9][0-9]{0,17}$/;

/** The id a cursor points after; a cursor that is not one of ours (or not of an `id` shape) is 400 VALIDATION_FAILED. */
export function decodeCursor(cursor: string | undefined, id: RegExp = UUID_ID): string | undefined {
  if (!cursor) return undefined;
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof after === 'string' && id.test(after)) return after;
  } catch {
    // fall through
  }
  throw new ProblemError(
    problem('VALIDATION_FAILED', 'The cursor is not valid; use the nextCursor of a previous page.', {
      errors: [{ path: 'cursor', message: 'invalid' }],
    }),
  );
}

/** Builds a page from `limit + 1` fetched rows. */
export function toPage<R extends { id: string }, T>(rows: R[], limit: number, map: (r: R) => T): ListPage<T> {
  const more = rows.length > limit;
  const slice = more ? rows.slice(0, limit) : rows;
  return { items: slice.map(map), nextCursor: more ? encodeCursor(slice[slice.length - 1].id) : null };
}
