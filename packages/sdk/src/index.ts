/**
 * @backup-gateway/sdk: a typed client of the backup-gateway API. The types (`paths`, `components`) are
 * generated from the OpenAPI document the build emits (npm run openapi); calls go through openapi-fetch,
 * so a path, parameter or body that the document does not declare fails to compile.
 *
 *   const api = createClient({ baseUrl: 'http://localhost:3000', apiKey: process.env.BG_KEY });
 *   const job = await unwrap(api.POST('/v1/tenants/{tenantId}/restore-jobs', {
 *     params: { path: { tenantId }, header: idempotent() },
 *     body: { items: [{ restorePointId }] },
 *   }));
 */
import { randomUUID } from 'node:crypto';
import createFetchClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

export type { components, operations, paths };
/** Every named schema of the API: `Schemas['RestoreJob']`, `Schemas['Problem']` ... */
export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];
export type ApiClient = Client<paths>;

export interface ClientOptions {
  /** The gateway's origin, e.g. http://localhost:3000. */
  baseUrl: string;
  /** ADMIN_API_KEY, a partner key or a tenant key; sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** 'auto': every POST without an Idempotency-Key gets a random one, so a retried request is answered once. */
  idempotencyKeys?: 'auto' | 'none';
  /** Another fetch (tests, proxies). */
  fetch?: (input: Request) => Promise<Response>;
  headers?: Record<string, string>;
}

/** A client whose every call is typed from the document: `api.GET('/v1/tenants/{tenantId}', { params: { path: { tenantId } } })`. */
export function createClient(options: ClientOptions): ApiClient {
  const client = createFetchClient<paths>({
    baseUrl: options.baseUrl.replace(/\/$/, ''),
    fetch: options.fetch,
    headers: { ...options.headers, ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
  });
  if (options.idempotencyKeys === 'auto') client.use(autoIdempotencyKey);
  return client;
}

const autoIdempotencyKey: Middleware = {
  onRequest({ request }) {
    if (request.method === 'POST' && !request.headers.has('idempotency-key')) request.headers.set('idempotency-key', randomUUID());
    return request;
  },
};

/** The Idempotency-Key header of one POST: `params: { header: idempotent() }` (a random key) or `idempotent(myKey)`. */
export function idempotent(key: string = randomUUID()): { 'Idempotency-Key': string } {
  return { 'Idempotency-Key': key };
}

/** A problem+json answer (RFC 9457) as an Error: `status`, the normalized `code` and the whole problem. */
export class ProblemError extends Error {
  readonly code: Problem['code'] | undefined;
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    readonly response: Response,
  ) {
    super(problem ? `${status} ${problem.code}: ${problem.detail}` : `HTTP ${status}`);
    this.name = 'ProblemError';
    this.code = problem?.code;
  }
}

/** The answer's data, or a ProblemError for an error answer: `const job = await unwrap(api.GET(...))`. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || error !== undefined) throw new ProblemError(response.status, error as Problem | undefined, response);
  return data as T;
}
