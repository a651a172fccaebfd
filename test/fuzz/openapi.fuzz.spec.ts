import fc from 'fast-check';
import { Client } from 'pg';
import { ERROR_CODE_LIST } from '@bg/domain';
import { newTenant, type TenantContext } from '../support/factories';
import { startStack, type TestStack } from '../support/stack';
import { graphFixture } from '../support/vendor-fixtures';

/**
 * Property-based fuzzing of every operation of /openapi.json: odd path ids, wrong query types, garbage
 * cursors, unknown parameters, bodies of the wrong shape, with a partner key, a tenant key and no key.
 * Properties: never a 5xx; every 4xx is problem+json with a catalog code (and a status the operation
 * declares, when it declares error answers); a refused write changes nothing stored; healthy after.
 * Deterministic: FUZZ_SEED (default below) and FUZZ_RUNS per operation; a failure names both.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261204);
const RUNS = Number(process.env.FUZZ_RUNS ?? 15);
const PROBLEM = 'application/problem+json';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** Refused by the router or the HTTP parser before any operation is chosen: not expected in each operation's responses. */
const ROUTER_STATUSES = new Set([414, 431]);
/** Tables a refused request may write by design (the audit log records refusals). */
const BOOKKEEPING = new Set(['audit_log']);

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  $ref?: string;
  items?: Schema;
};
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  method: (typeof METHODS)[number];
  path: string;
  operationId?: string;
  parameters: Parameter[];
  body?: Schema;
  declared: string[];
}
interface FuzzRequest {
  auth: 'partner' | 'tenant' | 'none';
  path: Record<string, string>;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  body?: { text: string; type: string };
}

const oddStrings = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '%', '%zz', '%00', '..', '../../etc/passwd', '😀', 'é', "'; DROP TABLE tenants;--"),
  fc.constantFrom('-1', '0', '1e309', 'NaN', 'null', 'true', '[]', '{}', '9'.repeat(40), 'eyJhZnRlciI6MX0', 'eyJhZnRlciI6IngifQ'),
  fc.uuid().map(String),
  fc.string({ minLength: 101, maxLength: 3000 }),
);
const jsonLeaf = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.bigInt().map(String), oddStrings);
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, jsonLeaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.string({ maxLength: 12 }), tie('value'), { maxKeys: 4 }),
})).value;
const deepNest = fc.integer({ min: 50, max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n));

/** Values for one schema'd field: mostly wrong or odd, sometimes plausible, so deeper checks are reached too. */
function fieldValue(schema: Schema | undefined): fc.Arbitrary<unknown> {
  const plausible: Array<fc.Arbitrary<unknown>> = [];
  if (schema?.enum?.length) plausible.push(fc.constantFrom(...schema.enum));
  const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
  if (type === 'string')
    plausible.push(
      fc.string({ maxLength: 30 }),
      fc.uuid().map(String),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    );
  if (type === 'integer' || type === 'number') plausible.push(fc.integer({ min: -5, max: 1_000_000_000 }));
  if (type === 'boolean') plausible.push(fc.boolean());
  if (type === 'array') plausible.push(fc.array(schema?.items ? fieldValue(schema.items) : jsonLeaf, { maxLength: 60 }));
  return fc.oneof(jsonValue, ...(plausible.length ? plausible : [jsonLeaf]));
}

function bodyArbitrary(schema: Schema): fc.Arbitrary<{ text: string; type: string }> {
  const props = Object.entries(schema.properties ?? {});
  const shaped = fc
    .tuple(
      ...props.map(([, s]) => fc.option(fieldValue(s), { freq: 3 })),
      fc.dictionary(fc.string({ maxLength: 10 }), jsonLeaf, { maxKeys: 2 }),
      fc.boolean(),
    )
    .map((parts) => {
      const extra = parts[props.length] as Record<string, unknown>;
      const withExtra = parts[props.length + 1] as boolean;
      const out: Record<string, unknown> = withExtra ? { ...extra } : {};
      props.forEach(([name], i) => {
        if (parts[i] !== null) out[name] = parts[i];
      });
      return JSON.stringify(out);
    });
  const json = fc.oneof(
    { weight: 6, arbitrary: shaped },
    { weight: 1, arbitrary: jsonValue.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.constantFrom('null', '[]', '"x"', '1', 'true', '{', '{"a":', '') },
    { weight: 1, arbitrary: deepNest },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => JSON.stringify({ name: 'x'.repeat(n * 400_000) })) },
  );
  return fc.oneof(
    { weight: 9, arbitrary: json.map((text) => ({ text, type: 'application/json' })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded')
        .map((type) => ({ text: 'a=1', type })),
    },
  );
}

/** A path parameter: the test's own tenant/partner most of the time (to get past access checks), else odd. */
function pathValue(name: string, ids: Record<string, string>): fc.Arbitrary<string> {
  const odd = fc.oneof(
    { weight: 5, arbitrary: oddStrings.map((s) => encodeURIComponent(s)) },
    { weight: 1, arbitrary: fc.constantFrom('%zz', '%', 'a%2', '%E0%A4%A') },
  );
  return ids[name] ? fc.oneof({ weight: 4, arbitrary: fc.constant(ids[name]) }, { weight: 1, arbitrary: odd }) : odd;
}

function requestArbitrary(op: Operation, ids: Record<string, string>): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const headerParams = op.parameters.filter((p) => p.in === 'header');
  const asText = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
  return fc.record({
    auth: fc.constantFrom('partner' as const, 'tenant' as const, 'none' as const),
    path: fc.record(Object.fromEntries(pathParams.map((p) => [p.name, pathValue(p.name, ids)]))) as fc.Arbitrary<Record<string, string>>,
    query: fc
      .tuple(
        ...queryParams.map((p) =>
          fc.option(
            fieldValue(p.schema).map((v) => [p.name, asText(v)] as [string, string]),
            { freq: 2 },
          ),
        ),
        fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 10 })), { freq: 4 }),
      )
      .map((pairs) => pairs.filter((p): p is [string, string] => p !== null)),
    headers: fc
      .tuple(...headerParams.map((p) => fc.option(fc.string({ unit: 'binary-ascii', maxLength: 300 }).map((v) => [p.name, v] as const))))
      .map((pairs) =>
        // Header values fetch can send: visible ASCII and spaces, trimmed.
        Object.fromEntries(pairs.filter((p) => p !== null).map(([k, v]) => [k, v.replace(/[^\x20-\x7e]/g, '').trim()])),
      ),
    body: op.body ? fc.option(bodyArbitrary(op.body), { freq: 8 }).map((b) => b ?? undefined) : fc.constant(undefined),
  });
}

function operationsOf(doc: any): Operation[] {
  const resolve = (s: Schema | undefined): Schema | undefined =>
    s?.$ref ? (doc.components?.schemas?.[s.$ref.replace('#/components/schemas/', '')] as Schema) : s;
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const method of METHODS) {
      const o = item[method];
      if (!o) continue;
      const parameters: Parameter[] = [...(item.parameters ?? []), ...(o.parameters ?? [])].map((p: Parameter) => ({
        ...p,
        schema: resolve(p.schema),
      }));
      // Path parameters a route uses but the document does not declare still get values.
      for (const m of path.matchAll(/\{([^}]+)\}/g))
        if (!parameters.some((p) => p.in === 'path' && p.name === m[1])) parameters.push({ name: m[1], in: 'path' });
      ops.push({
        method,
        path,
        operationId: o.operationId,
        parameters,
        body: resolve(o.requestBody?.content?.['application/json']?.schema),
        declared: Object.keys(o.responses ?? {}),
      });
    }
  }
  return ops;
}

describe('fuzz: every operation of the OpenAPI document, with bad and odd input', () => {
  let stack: TestStack;
  let t: TenantContext;
  let db: Client;
  let doc: any;
  let tables: string[];
  let ids: Record<string, string>;
  const logs: string[] = [];

  beforeAll(async () => {
    // Errors only: a 5xx's logged cause goes into its failure message.
    stack = await startStack({ worker: false, logs, config: { LOG_LEVEL: process.env.FUZZ_LOG_LEVEL ?? 'error' } });
    t = await newTenant(stack.admin);
    // A few real resources, so generated requests also reach the code behind "found" (their ids are path values).
    const graph = graphFixture(stack.sandbox.origin);
    const T = `/v1/tenants/${t.tenantId}`;
    const conn = await t.tenant.post(`${T}/connections`, graph.connection);
    expect(conn.status).toBe(201);
    const policy = await t.tenant.post(`${T}/policies`, {
      connectionId: conn.body.id,
      workload: graph.workload,
      displayName: 'fuzz',
      items: graph.items(2),
    });
    expect(policy.status).toBe(202);
    const hook = await t.tenant.post(`${T}/webhooks`, { url: 'https://hooks.example.com/fuzz', eventTypes: ['*'] });
    expect(hook.status).toBe(201);
    ids = {
      tenantId: t.tenantId,
      partnerId: t.partnerId,
      connectionId: conn.body.id,
      policyId: policy.body.id,
      webhookId: hook.body.id,
      vendor: 'graph',
      code: 'NOT_FOUND',
    };
    db = new Client({ connectionString: stack.config.DATABASE_URL });
    await db.connect();
    doc = (await stack.admin.withKey(undefined).get('/openapi.json')).body;
    tables = (
      await db.query(
        `SELECT table_name FROM information_schema.columns c JOIN information_schema.tables USING (table_schema, table_name)
          WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND table_type = 'BASE TABLE' ORDER BY 1`,
      )
    ).rows.map((r) => r.table_name as string);
  });
  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  });

  /**
   * A digest per table of every row the test's partner and tenant own (the owner role sees past RLS). Bookkeeping
   * a refused request may write is left out: a key's `last_used_at` and the audit log (which records refusals).
   */
  async function snapshot(): Promise<Map<string, string>> {
    const digest = `md5(string_agg(md5((to_jsonb(x) - 'last_used_at')::text), '' ORDER BY md5((to_jsonb(x) - 'last_used_at')::text)))`;
    const parts = [
      `SELECT 'partners' AS name, ${digest} AS digest FROM partners x WHERE id = $1`,
      `SELECT 'tenants', ${digest} FROM tenants x WHERE partner_id = $1`,
      `SELECT 'api_keys', ${digest} FROM api_keys x WHERE partner_id = $1`,
      ...tables.filter((name) => !BOOKKEEPING.has(name)).map((name) => `SELECT '${name}', ${digest} FROM ${name} x WHERE tenant_id = $2`),
    ];
    const rows: Array<{ name: string; digest: string | null }> = (await db.query(parts.join(' UNION ALL '), [t.partnerId, t.tenantId]))
      .rows;
    return new Map(rows.map((r) => [r.name, r.digest ?? '']));
  }

  function changed(before: Map<string, string>, after: Map<string, string>): string[] {
    return [...after].filter(([name, digest]) => before.get(name) !== digest).map(([name]) => name);
  }

  async function send(op: Operation, r: FuzzRequest): Promise<{ status: number; type: string; body: any; url: string }> {
    const path = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => r.path[name] ?? '');
    const query = new URLSearchParams(r.query).toString();
    const url = `${stack.baseUrl}${path}${query ? `?${query}` : ''}`;
    const headers: Record<string, string> = { ...r.headers };
    if (r.auth !== 'none') headers.authorization = `Bearer ${r.auth === 'partner' ? t.partnerKey : t.tenantKey}`;
    if (r.body) headers['content-type'] = r.body.type;
    const res = await fetch(url, { method: op.method.toUpperCase(), headers, body: r.body?.text });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: asserted below where it matters */
    }
    return { status: res.status, type: res.headers.get('content-type') ?? '', body, url };
  }

  it('answers every operation with a documented 2xx/4xx, problem+json errors and no stored change on a refusal', async () => {
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThan(40);
    const failures: string[] = [];
    const undeclared = new Set<string>();
    const statuses = new Map<number, number>();
    for (const [index, op] of ops.entries()) {
      const name = `${op.method.toUpperCase()} ${op.path}`;
      const declaresErrors = op.declared.some((s) => /^[45]/.test(s) || s === 'default');
      if (!declaresErrors) undeclared.add(name);
      const write = op.method !== 'get';
      const seed = SEED + index;
      try {
        await fc.assert(
          fc.asyncProperty(requestArbitrary(op, ids), async (r) => {
            const before = write ? await snapshot() : new Map<string, string>();
            const res = await send(op, r);
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            const where = `${name} -> ${res.status} (${res.url.slice(0, 300)})`;
            if (res.status >= 500) {
              const logged = logs.find((l) => l.includes(String(res.body?.instance ?? '-')));
              throw new Error(
                `5xx: ${where}: ${JSON.stringify(res.body).slice(0, 300)}; logged: ${logged?.slice(0, 1500) ?? logs.at(-1)?.slice(0, 1500)}`,
              );
            }
            if (res.status >= 400) {
              if (!res.type.includes(PROBLEM)) throw new Error(`not problem+json: ${where}: ${res.type}`);
              if (!ERROR_CODE_LIST.includes(res.body?.code)) throw new Error(`code not in the catalog: ${where}: ${res.body?.code}`);
              if (res.body.status !== res.status) throw new Error(`problem status ${res.body.status} differs: ${where}`);
              if (
                declaresErrors &&
                !ROUTER_STATUSES.has(res.status) &&
                !op.declared.includes(String(res.status)) &&
                !op.declared.includes('default')
              )
                throw new Error(`status not declared (${op.declared.join(',')}): ${where}`);
              const diff = write ? changed(before, await snapshot()) : [];
              if (diff.length) throw new Error(`a refused write changed stored data (${diff.join(', ')}): ${where}`);
            }
          }),
          { seed, numRuns: RUNS, endOnFailure: true },
        );
      } catch (e) {
        failures.push(`${name} (FUZZ_SEED=${SEED}, operation seed ${seed}): ${describeFailure((e as Error).message, (e as Error).cause)}`);
      }
    }
    const histogram = [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`);
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    console.info(`fuzz: ${ops.length} operations, ${total} requests; statuses ${histogram.join(', ')}`);
    if (undeclared.size)
      console.info(`fuzz: ${undeclared.size} of ${ops.length} operations declare no error answers (status check skipped)`);
    expect(failures).toEqual([]);
    const ready = await stack.admin.withKey(undefined).get('/health/ready');
    expect(ready.status).toBe(200);
  }, 300_000);
});

/** fast-check's report, cut to the counterexample, and the error the property raised (its `cause`). */
function describeFailure(message: string, cause: unknown): string {
  const counterexample = message.split('\n').find((l) => l.startsWith('Counterexample')) ?? message.split('\n')[0];
  const error = cause instanceof Error ? cause.message : String(cause ?? '');
  // Long generated strings (deep nesting, huge names) shortened to their first characters and length.
  const short = (text: string) => text.replace(/(.)\1{40,}/g, (run, c: string) => `${c.repeat(5)}…(${run.length})`);
  return short(`${error} | ${counterexample}`).slice(0, 4000);
}
