/**
 * Counts what issue 11 measured on the OpenAPI document: operations answering a body that declare a response
 * schema, operations declaring an error answer, list operations declaring their query parameters, POSTs
 * declaring Idempotency-Key and 202 answers declaring Location.
 *
 *   node -r ./test/support/ts-register.cjs scripts/openapi-stats.ts [packages/sdk/openapi.json]
 */
import { readFileSync } from 'node:fs';

type Op = {
  parameters?: Array<{ name?: string; in?: string; $ref?: string }>;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }>; headers?: Record<string, unknown> }>;
  operationId?: string;
  tags?: string[];
};
type Doc = { paths: Record<string, Record<string, Op>>; components?: { parameters?: Record<string, { name: string; in: string }> } };

export function openApiStats(doc: Doc) {
  const s = {
    operations: 0,
    answeringABody: 0,
    withResponseSchema: 0,
    withErrorResponse: 0,
    lists: 0,
    listsWithQuery: 0,
    posts: 0,
    postsWithIdempotencyKey: 0,
    accepted202: 0,
    accepted202WithLocation: 0,
    withOperationIdAndTag: 0,
    namedSchemas: Object.keys((doc.components as { schemas?: object } | undefined)?.schemas ?? {}).length,
  };
  const param = (p: { name?: string; in?: string; $ref?: string }) =>
    p.$ref ? doc.components?.parameters?.[p.$ref.split('/').pop() as string] : p;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      s.operations++;
      if (op.operationId && op.tags?.length) s.withOperationIdAndTag++;
      const ok = Object.entries(op.responses ?? {}).filter(([st]) => /^2/.test(st) && st !== '204');
      if (ok.length) {
        s.answeringABody++;
        if (ok.every(([, r]) => Object.values(r.content ?? {}).some((c) => c.schema))) s.withResponseSchema++;
      }
      if (Object.keys(op.responses ?? {}).some((st) => /^[45]/.test(st))) s.withErrorResponse++;
      const params = (op.parameters ?? []).map(param);
      // A list: a GET whose path does not end with a parameter, answering items.
      if (method === 'get' && !path.endsWith('}') && !path.startsWith('/health')) {
        s.lists++;
        if (params.some((p) => p?.in === 'query' && p.name === 'limit')) s.listsWithQuery++;
      }
      if (method === 'post') {
        s.posts++;
        if (params.some((p) => p?.in === 'header' && p.name === 'Idempotency-Key')) s.postsWithIdempotencyKey++;
      }
      const accepted = op.responses?.['202'];
      if (accepted) {
        s.accepted202++;
        if (accepted.headers?.Location) s.accepted202WithLocation++;
      }
    }
  }
  return s;
}

if (require.main === module) {
  const file = process.argv[2] ?? 'packages/sdk/openapi.json';
  process.stdout.write(`${JSON.stringify(openApiStats(JSON.parse(readFileSync(file, 'utf8')) as Doc), null, 2)}\n`);
}
