import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';
import { apiSchemas, problemResponse } from './openapi';

/** The API version: the document's info.version and the SDK package's version (packages/sdk/package.json). */
export const API_VERSION = '1.0.0';

type Operation = {
  operationId?: string;
  parameters?: Array<{ name?: string; in?: string; $ref?: string }>;
  requestBody?: unknown;
  responses: Record<string, unknown>;
  security?: unknown[];
  tags?: string[];
};

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** "RestoreJobsController" + "create" -> "restoreJobsCreate" (the SDK's and the docs' name of the operation). */
function operationId(controllerKey: string, methodKey: string): string {
  const base = controllerKey.replace(/Controller$/, '');
  return `${base[0].toLowerCase()}${base.slice(1)}${methodKey[0].toUpperCase()}${methodKey.slice(1)}`;
}

/**
 * The OpenAPI 3.1 document of the gateway, built from the controllers' decorators (no server, no database:
 * it reads metadata only, so scripts/emit-openapi.ts can build it from an app created in preview mode).
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setOpenAPIVersion('3.1.0')
      .setTitle('backup-gateway')
      .setDescription(
        'One vendor-neutral API for Microsoft 365 and Azure backup vendors. Errors are RFC 9457 application/problem+json with a normalized `code` (GET /v1/errors). Every POST honours Idempotency-Key. Lists use cursor pagination (`cursor`, `limit`; answer `nextCursor`).',
      )
      .setVersion(API_VERSION)
      .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
      .addServer('/', 'The gateway that serves this document (npm start: http://localhost:3000)')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_API_KEY, a partner key or a tenant key' })
      .build(),
    { operationIdFactory: operationId },
  );
  return completeDocument(doc);
}

/**
 * What every operation shares, added here once so that no controller can forget it: the named schemas,
 * the Idempotency-Key header of every POST (IdempotencyInterceptor is bound to every POST), and the
 * problem+json answers any operation can give given its shape. Rule refusals specific to a use case are
 * declared on the handler with @ApiProblems.
 */
export function completeDocument(doc: OpenAPIObject): OpenAPIObject {
  const { schemas } = z.toJSONSchema(apiSchemas, { uri: (id) => `#/components/schemas/${id}`, io: 'output', unrepresentable: 'any' });
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, ...(schemas as Record<string, object>) } };
  doc.components.parameters = {
    ...doc.components.parameters,
    IdempotencyKey: {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'A retry with the same key and request answers the first answer (status, Location, body) for 24 h; the same key with another request answers 422 IDEMPOTENCY_KEY_REUSED, one still in flight 409 IDEMPOTENCY_IN_FLIGHT.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    },
  };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (op) completeOperation(path, method, op);
    }
  }
  return clean(doc) as OpenAPIObject;
}

function completeOperation(path: string, method: (typeof METHODS)[number], op: Operation): void {
  const params = op.parameters ?? [];
  // The accept header is content negotiation (declared as response content types), never a parameter.
  op.parameters = params.filter((p) => !(p.in === 'header' && p.name?.toLowerCase() === 'accept'));
  if (method === 'post' && !op.parameters.some((p) => p.$ref === '#/components/parameters/IdempotencyKey' || p.name === 'Idempotency-Key'))
    op.parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
  // A public route (health, errors, vendors) says so, rather than leaving the key requirement undefined.
  op.security ??= [];
  const statuses = new Set<number>([500, 503]);
  if (op.security?.length) [401, 403, 429].forEach((s) => statuses.add(s));
  if (op.parameters.some((p) => p.in === 'query') || op.requestBody) statuses.add(400);
  if (op.requestBody) [400, 413, 415].forEach((s) => statuses.add(s));
  // A path parameter: 404 for an unknown id, 400 for one the router cannot decode (bad percent-encoding).
  if (path.includes('{')) [400, 404].forEach((s) => statuses.add(s));
  if (method === 'post') [409, 422].forEach((s) => statuses.add(s));
  for (const status of [...statuses].sort()) op.responses[String(status)] ??= problemResponse(status);
}

/** Drops what zod emits for standalone JSON Schema ($schema, $id) and the regex beside a format (uuid, date-time). */
function clean(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(clean);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  const obj = node as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) {
    if (k === '$schema' || (k === '$id' && typeof v === 'string' && v.startsWith('#/components/'))) continue;
    if (k === 'pattern' && typeof obj.format === 'string' && ['uuid', 'date-time', 'date'].includes(obj.format)) continue;
    out[k] = clean(v);
  }
  return out;
}
