import { randomUUID } from 'node:crypto';
import { startSandbox, type RunningSandbox } from '../sandbox.server';
import { AvePointSandbox } from './avepoint.sandbox';
import { avepointSandboxSecret } from './avepoint.fixtures';

/** Test helpers for the AvePoint simulator's own specs (plain HTTP, no adapter code). */
export async function startAvePointSandbox(): Promise<RunningSandbox> {
  return startSandbox({ port: 0, host: '127.0.0.1', certPath: process.env.SANDBOX_CERT_PATH!, vendors: [new AvePointSandbox()] });
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: any;
}

export class AvePointTestClient {
  readonly clientId: string;
  token?: string;

  constructor(
    readonly origin: string,
    clientId?: string,
  ) {
    this.clientId = clientId ?? `t${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  }

  async raw(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
    const res = await fetch(`${this.origin}/avepoint${path}`, { method, body: init.body, headers: init.headers });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep text */
    }
    return { status: res.status, headers: res.headers, body };
  }

  requestToken(form: Record<string, string>): Promise<RawResponse> {
    return this.raw('POST', '/identity/connect/token', {
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  async login(scope = 'microsoft365backup.jobInfo.read.all microsoft365backup.restore.readwrite.all'): Promise<string> {
    const res = await this.requestToken({
      client_id: this.clientId,
      client_secret: avepointSandboxSecret(this.clientId),
      scope,
      grant_type: 'client_credentials',
    });
    if (res.status !== 200) throw new Error(`token refused: ${JSON.stringify(res.body)}`);
    this.token = res.body.access_token;
    return this.token!;
  }

  api(method: string, path: string, body?: unknown): Promise<RawResponse> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return this.raw(method, `/api${path}`, { body: body === undefined ? undefined : JSON.stringify(body), headers });
  }

  async control(method: string, suffix: string, body?: unknown): Promise<any> {
    const res = await fetch(`${this.origin}/_sandbox/avepoint/scopes/${encodeURIComponent(this.clientId)}${suffix}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`control ${suffix}: ${res.status}`);
    return res.json();
  }

  configure(config: Record<string, unknown>): Promise<unknown> {
    return this.control('PATCH', '/config', config);
  }
  advance(ms: number): Promise<unknown> {
    return this.control('POST', '/clock', { advanceMs: ms });
  }
}

/** A valid SharePoint restore body for a tenant slug (seed 001 sample shape). */
export function siteRestoreBody(slug: string, site = 'Finance', overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    serviceType: 1,
    recoveryDateTime: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    siteRestoreScope: {
      siteUrl: `https://${slug}.sharepoint.com/sites/${site}`,
      restoreTargets: [
        { libraryName: 'Documents', folders: [{ relativePath: 'Shared/Reports/2026' }], files: [{ relativePath: 'Shared/Budget.xlsx' }] },
      ],
    },
    ...overrides,
  };
}
