import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Op = {
  operationId?: string;
  tags?: string[];
  parameters?: Array<{ $ref?: string; name?: string; in?: string }>;
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema?: unknown }> }>;
};
const doc = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Op>>;
  components: { schemas: Record<string, unknown> };
};
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
    .map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, method, path, op })),
);
const byName = (pred: (o: (typeof operations)[number]) => boolean) => operations.filter((o) => !pred(o)).map((o) => o.name);

/** What issue 11 measured on the document, as rules every operation (also a new one) must keep. */
describe('the OpenAPI document is complete enough for a generated client', () => {
  it('has operations', () => expect(operations.length).toBeGreaterThan(60));

  it('names every operation and tags it', () => {
    expect(byName((o) => !!o.op.operationId && !!o.op.tags?.length)).toEqual([]);
    const ids = operations.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives every answer with a body a schema, and every error answer problem+json', () => {
    const missing: string[] = [];
    for (const { name, op } of operations)
      for (const [status, r] of Object.entries(op.responses)) {
        if (status === '204') continue;
        if (!r.content || Object.values(r.content).some((c) => !c.schema)) missing.push(`${name} ${status}`);
        if (/^[45]/.test(status) && !r.content?.['application/problem+json'] && !(name === 'GET /health/ready' && status === '503'))
          missing.push(`${name} ${status} not problem+json`);
      }
    expect(missing).toEqual([]);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Problem', 'RestoreJob', 'Connection', 'Policy', 'ProtectedItem', 'RestorePoint', 'Event', 'Webhook']),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['WebhookDelivery', 'Partner', 'Tenant', 'ApiKey', 'UsageRow', 'RestoreJobPage', 'UsagePage']),
    );
  });

  it('declares an error answer on every operation, and 404 on every operation with a path parameter', () => {
    expect(byName((o) => Object.keys(o.op.responses).some((s) => /^[45]/.test(s)))).toEqual([]);
    expect(byName((o) => !o.path.includes('{') || !!o.op.responses['404'])).toEqual([]);
  });

  it('declares Idempotency-Key on every POST and Location on every 201 and 202', () => {
    const idempotent = (o: (typeof operations)[number]) =>
      (o.op.parameters ?? []).some((p) => p.$ref === '#/components/parameters/IdempotencyKey' || p.name === 'Idempotency-Key');
    expect(byName((o) => o.method !== 'post' || idempotent(o))).toEqual([]);
    expect(byName((o) => ['201', '202'].every((s) => !o.op.responses[s] || !!o.op.responses[s].headers?.Location))).toEqual([]);
  });

  it('declares the query of every paged list, and no accept header parameter', () => {
    const paged = operations.filter((o) => JSON.stringify(o.op.responses['200'] ?? {}).includes('Page"'));
    // Answered whole in one page (nextCursor null), without a query: keys, partners, vendors, a job's history.
    const unpaged = ['/v1/api-keys', '/v1/partners', '/v1/vendors', '/v1/tenants/{tenantId}/restore-jobs/{jobId}/events'];
    const lists = paged.filter((o) => !unpaged.includes(o.path));
    expect(lists.filter((o) => !(o.op.parameters ?? []).some((p) => p.in === 'query' && p.name === 'limit')).map((o) => o.name)).toEqual(
      [],
    );
    expect(operations.filter((o) => (o.op.parameters ?? []).some((p) => p.in === 'header' && p.name?.toLowerCase() === 'accept'))).toEqual(
      [],
    );
  });
});
