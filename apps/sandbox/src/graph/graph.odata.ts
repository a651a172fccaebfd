import type { FastifyRequest } from 'fastify';
import { GraphHttpError } from './graph.errors';

/** OData query options the simulator reads. */
export interface ODataQuery {
  $top?: string;
  $skiptoken?: string;
  $filter?: string;
  $expand?: string;
  $orderby?: string;
  [k: string]: string | undefined;
}

export interface FilterClause {
  path: string;
  op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
  value: string | number | boolean | null;
}

/** A parsed `$filter`: an OR of AND-groups of simple `<path> <op> <literal>` clauses. */
export interface ParsedFilter {
  groups: FilterClause[][];
  clauseCount: number;
}

const CLAUSE = /^\(*\s*([\w/@.]+)\s+(eq|ne|lt|le|gt|ge)\s+('(?:[^']|'')*'|[^\s()]+)\s*\)*$/i;

/** Splits on top-level ` and ` / ` or ` outside string literals. */
function tokenize(expr: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < expr.length; i += 1) {
    const ch = expr[i];
    if (ch === "'") quoted = !quoted;
    if (!quoted) {
      const m = /^\s+(and|or)\s+/i.exec(expr.slice(i));
      if (m) {
        parts.push(cur, m[1].toLowerCase());
        cur = '';
        i += m[0].length - 1;
        continue;
      }
    }
    cur += ch;
  }
  parts.push(cur);
  return parts;
}

function literal(raw: string): FilterClause['value'] {
  if (raw.startsWith("'")) return raw.slice(1, -1).replace(/''/g, "'");
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (raw === 'null') return null;
  if (/^\d{4}-\d{2}-\d{2}T/.test(raw)) return raw;
  const n = Number(raw);
  if (Number.isFinite(n)) return n;
  throw new GraphHttpError(400, 'BadRequest', `Invalid filter clause: unexpected literal '${raw}'.`);
}

/**
 * Parses the subset of OData `$filter` the Backup Storage API examples use. More than `maxClauses`
 * clauses is refused by the caller with the operation's FilterLengthExceeded (seed 000).
 */
export function parseFilter(expr: string | undefined): ParsedFilter | undefined {
  if (!expr || !expr.trim()) return undefined;
  const tokens = tokenize(expr.trim());
  const groups: FilterClause[][] = [[]];
  let count = 0;
  tokens.forEach((t, i) => {
    if (i % 2 === 1) {
      if (t === 'or') groups.push([]);
      return;
    }
    const m = CLAUSE.exec(t.trim());
    if (!m) throw new GraphHttpError(400, 'BadRequest', `Invalid filter clause: syntax error at '${t.trim()}'.`);
    groups[groups.length - 1].push({ path: m[1], op: m[2].toLowerCase() as FilterClause['op'], value: literal(m[3]) });
    count += 1;
  });
  return { groups, clauseCount: count };
}

function compare(actual: unknown, op: FilterClause['op'], expected: FilterClause['value']): boolean {
  let a: unknown = actual;
  let e: unknown = expected;
  if (typeof e === 'string' && typeof a === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(e) && /^\d{4}-\d{2}-\d{2}T/.test(a)) {
    a = Date.parse(a);
    e = Date.parse(e);
  } else if (typeof a === 'string' && typeof e === 'string') {
    a = a.toLowerCase();
    e = e.toLowerCase();
  }
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'lt':
      return (a as number) < (e as number);
    case 'le':
      return (a as number) <= (e as number);
    case 'gt':
      return (a as number) > (e as number);
    case 'ge':
      return (a as number) >= (e as number);
  }
}

/**
 * Evaluates a parsed filter against a resource through `get(path)`; `get` returns `undefined` for a
 * property the type lacks, which is a 400 like Graph's "Could not find a property named …".
 */
export function matchesFilter(filter: ParsedFilter | undefined, get: (path: string) => unknown, typeName: string): boolean {
  if (!filter) return true;
  return filter.groups.some((g) =>
    g.every((c) => {
      const v = get(c.path);
      if (v === undefined) {
        throw new GraphHttpError(400, 'BadRequest', `Could not find a property named '${c.path}' on type 'microsoft.graph.${typeName}'.`);
      }
      return compare(v, c.op, c.value);
    }),
  );
}

/** The values a filter pins `path` to with `eq` (e.g. every `protectionUnit/id eq '…'`). */
export function filterEqValues(filter: ParsedFilter | undefined, path: string): string[] {
  if (!filter) return [];
  return filter.groups
    .flat()
    .filter((c) => c.path.toLowerCase() === path.toLowerCase() && c.op === 'eq')
    .map((c) => String(c.value));
}

export interface Page<T> {
  value: T[];
  nextLink?: string;
  /** Total matches, when the request asked `$count=true`. */
  count?: number;
}

/**
 * One page of `items` with `@odata.nextLink` when more remain. The link is absolute and carries every
 * other query option unchanged; clients must follow it as is (SOURCE.md §Pagination).
 */
export function pageOf<T>(req: FastifyRequest, items: T[], defaultTop: number, maxTop: number): Page<T> {
  const q = req.query as ODataQuery;
  const top = q.$top === undefined ? defaultTop : Number(q.$top);
  if (!Number.isInteger(top) || top < 0) throw new GraphHttpError(400, 'BadRequest', `Invalid value '${q.$top}' for query option '$top'.`);
  const size = Math.min(top || defaultTop, maxTop);
  let offset = 0;
  if (q.$skiptoken) {
    try {
      offset = Number(JSON.parse(Buffer.from(q.$skiptoken, 'base64url').toString('utf8')).o);
    } catch {
      offset = NaN;
    }
    if (!Number.isInteger(offset) || offset < 0) throw new GraphHttpError(400, 'BadRequest', 'The skip token is invalid or expired.');
  }
  const value = items.slice(offset, offset + size);
  const count = String(q.$count).toLowerCase() === 'true' ? items.length : undefined;
  if (offset + size >= items.length) return { value, count };
  const [path, query = ''] = req.url.split('?');
  const kept = query.split('&').filter((p) => p && !/^(\$|%24)skiptoken=/i.test(p));
  kept.push(`$skiptoken=${Buffer.from(JSON.stringify({ o: offset + size })).toString('base64url')}`);
  return { value, count, nextLink: `https://${req.headers.host}${path}?${kept.join('&')}` };
}

/** True when `$expand` names `property` (also `*`). */
export function expands(req: FastifyRequest, property: string): boolean {
  const e = (req.query as ODataQuery).$expand;
  if (!e) return false;
  return e.split(',').some((p) => {
    const name = p.trim().split('(')[0];
    return name === '*' || name.toLowerCase() === property.toLowerCase();
  });
}

/** The `$filter` nested in `$expand=<property>($filter=…)`, as the List restorePoints doc uses it. */
export function expandFilter(req: FastifyRequest, property: string): string | undefined {
  const e = (req.query as ODataQuery).$expand;
  if (!e) return undefined;
  const m = new RegExp(`${property}\\(\\$filter=(.*)\\)`, 'i').exec(e);
  return m?.[1];
}
