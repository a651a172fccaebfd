/**
 * The e2e tests' client, built on the generated SDK (@backup-gateway/sdk, openapi-fetch over the types
 * generated from packages/sdk/openapi.json).
 *
 * - `client.sdk` is the typed SDK: `client.sdk.GET('/v1/tenants/{tenantId}', { params: { path: { tenantId } } })`;
 *   a path, parameter or body the document does not declare fails typecheck.
 * - `get/post/patch/delete/request` keep the older string-path form (raw bodies, any header) for the
 *   tests written with it; they go through the SDK's request too.
 * - Every answer either form receives is checked against the document (operation, status, content
 *   type, body schema: openapi-validator.ts) and a mismatch throws, failing the test. `unchecked()` is for
 *   the few tests that send what no operation declares on purpose (router refusals, broken URLs).
 */
import { createClient, type ApiClient as Sdk } from '@backup-gateway/sdk';
import { answerViolation } from './openapi-validator';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  contentType: string;
}

/** An answer the OpenAPI document does not describe. */
export class UndocumentedAnswerError extends Error {
  override name = 'UndocumentedAnswerError';
}

export class ApiClient {
  /** The typed SDK with this client's key; its answers are checked against the document too. */
  readonly sdk: Sdk;
  private readonly checkedFetch: (request: Request) => Promise<Response>;

  constructor(
    readonly baseUrl: string,
    readonly key?: string,
    readonly checked = true,
  ) {
    this.checkedFetch = async (request) => {
      const res = await fetch(request);
      if (this.checked) await assertDocumented(request, res.clone());
      return res;
    };
    this.sdk = createClient({ baseUrl, apiKey: key, fetch: this.checkedFetch });
  }

  withKey(key: string | undefined): ApiClient {
    return new ApiClient(this.baseUrl, key, this.checked);
  }

  /** The same client without the document check, for requests no operation declares on purpose. */
  unchecked(): ApiClient {
    return new ApiClient(this.baseUrl, this.key, false);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined) h['content-type'] ??= 'application/json';
    const { response, data, error } = await this.sdk.request(
      method.toLowerCase() as never,
      path as never,
      {
        body: body as never,
        headers: h,
        // Tests send raw strings (malformed JSON, wrong types) as they are.
        bodySerializer: (b: unknown) => (typeof b === 'string' ? b : JSON.stringify(b)),
        parseAs: 'text',
      } as never,
    );
    const text = ((data ?? error) as string | undefined) ?? '';
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep text */
    }
    return {
      status: response.status,
      headers: response.headers,
      body: parsed as T,
      contentType: response.headers.get('content-type') ?? '',
    };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  patch<T = any>(path: string, body?: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

async function assertDocumented(request: Request, res: Response): Promise<void> {
  const url = new URL(request.url);
  const text = await res.text();
  const violation = answerViolation({
    method: request.method,
    path: `${url.pathname}${url.search}`,
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    text,
  });
  if (violation) throw new UndocumentedAnswerError(`${violation}\n  answer: ${text.slice(0, 500)}`);
}
