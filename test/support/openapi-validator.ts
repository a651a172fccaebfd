/**
 * Checks real answers against the committed OpenAPI document (packages/sdk/openapi.json): the operation
 * exists, the status is declared, the content type is one the status declares, and the body matches its
 * schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it). Every answer the e2e suite's ApiClient sees
 * goes through here, so an answer the document does not describe fails the test that got it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type Response = { content?: Record<string, { schema?: unknown }> };
type Operation = { operationId: string; responses: Record<string, Response> };
type Doc = { paths: Record<string, Record<string, Operation>>; components: Record<string, unknown> };

const DOC_ID = 'openapi.json';
export const OPENAPI_DOCUMENT = JSON.parse(readFileSync(join(__dirname, '../../packages/sdk/openapi.json'), 'utf8')) as Doc;

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: DOC_ID, components: OPENAPI_DOCUMENT.components });

/** `{tenantId}` templates as regular expressions, most specific (fewest parameters) first. */
const ROUTES = Object.keys(OPENAPI_DOCUMENT.paths)
  .map((template) => ({
    template,
    params: (template.match(/\{/g) ?? []).length,
    re: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }))
  .sort((a, b) => a.params - b.params);

const compiled = new Map<string, ValidateFunction>();

function validatorFor(key: string, schema: unknown): ValidateFunction {
  let v = compiled.get(key);
  if (!v) {
    // The document's refs are relative to the document; point them at the copy ajv holds.
    v = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOC_ID}#/components/`)));
    compiled.set(key, v);
  }
  return v;
}

export interface Answer {
  method: string;
  path: string;
  status: number;
  contentType: string;
  text: string;
}

/** The operation of a concrete request path, or undefined when the document has none. */
export function findOperation(method: string, path: string): { template: string; op: Operation } | undefined {
  const pathname = path.split('?')[0];
  for (const route of ROUTES) {
    const op = OPENAPI_DOCUMENT.paths[route.template][method.toLowerCase()];
    if (op && route.re.test(pathname)) return { template: route.template, op };
  }
  return undefined;
}

/** What is wrong with an answer, given the document; undefined when the document describes it. */
export function answerViolation(a: Answer): string | undefined {
  const found = findOperation(a.method, a.path);
  // The document itself and its viewer are served beside the API, not part of it.
  if (!found && /^\/(openapi\.json|docs|admin\/queues)(\/|$|\?)/.test(a.path)) return undefined;
  if (!found) {
    // An unknown route answers the router's 404 problem; anything else must be a documented operation.
    if (a.status === 404 && a.contentType.startsWith('application/problem+json')) return undefined;
    return `no operation ${a.method} ${a.path} in the document`;
  }
  const where = `${found.op.operationId} (${a.method} ${found.template}) answered ${a.status}`;
  const response = found.op.responses[String(a.status)] ?? found.op.responses.default;
  if (!response) return `${where}, a status the document does not declare (${Object.keys(found.op.responses).join(', ')})`;
  if (!a.text)
    return response.content && a.status !== 204 && a.method !== 'HEAD' ? `${where} without the body the document declares` : undefined;
  const type = a.contentType.split(';')[0].trim().toLowerCase();
  const media = response.content?.[type];
  if (!media)
    return `${where} with content type ${type || '(none)'}; the document declares ${Object.keys(response.content ?? {}).join(', ') || 'no body'}`;
  if (!type.endsWith('json') || media.schema === undefined) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    return `${where} with a ${type} body that is not JSON`;
  }
  const validate = validatorFor(`${found.template} ${a.method} ${a.status} ${type}`, media.schema);
  if (validate(body)) return undefined;
  const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`);
  return `${where} with a body that does not match its schema: ${errors.join('; ')}`;
}
