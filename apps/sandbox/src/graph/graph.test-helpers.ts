import { randomUUID } from 'node:crypto';
import { SandboxControl } from '../../../../test/support/sandbox';
import { graphSandboxSites, graphSandboxUsers } from './graph.fixtures';

/** A client secret the simulated Entra accepts (>= 16 chars, not starting with "bad"). */
export const GOOD_SECRET = 'sandbox-secret-0123456789';
export const CLIENT_ID = '11111111-2222-4333-8444-555555555555';

export interface GraphResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Gets a token from the sandbox's Entra token endpoint with a plain form POST. */
export async function fetchToken(
  origin: string,
  tenantId: string,
  secret = GOOD_SECRET,
  extra: Record<string, string> = {},
): Promise<GraphResponse> {
  const res = await fetch(`${origin}/graph/login/${tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: secret,
      scope: 'https://graph.microsoft.com/.default',
      ...extra,
    }).toString(),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** A tenant of its own (fresh scope), a token for it and a small Graph client over fetch. */
export class GraphTestTenant {
  readonly tenantId = randomUUID();
  readonly control: SandboxControl;
  token = '';

  constructor(readonly origin: string) {
    this.control = new SandboxControl(origin, 'graph', this.tenantId);
  }

  static async create(origin: string, config: Record<string, unknown> = {}): Promise<GraphTestTenant> {
    const t = new GraphTestTenant(origin);
    if (Object.keys(config).length) await t.control.configure(config);
    const res = await fetchToken(origin, t.tenantId);
    if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
    t.token = res.body.access_token;
    return t;
  }

  get api(): string {
    return `${this.origin}/graph/v1.0/solutions/backupRestore`;
  }

  sites(n: number) {
    return graphSandboxSites(this.tenantId, n);
  }

  users(n: number) {
    return graphSandboxUsers(this.tenantId, n);
  }

  /** Calls `path` (relative to /solutions/backupRestore, or an absolute URL such as a nextLink). */
  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<GraphResponse<T>> {
    const url = path.startsWith('https://') ? path : `${this.api}${path}`;
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  /** Creates a SharePoint policy over the first `n` sites (from `offset`) and returns its id. */
  async sharePointPolicy(n: number, offset = 0, name = 'SharePoint policy'): Promise<string> {
    const sites = this.sites(offset + n).slice(offset);
    const res = await this.call('POST', '/sharePointProtectionPolicies', {
      displayName: name,
      siteProtectionUnits: sites.map((s) => ({ siteId: s.siteId })),
    });
    if (res.status !== 201) throw new Error(`create policy: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  /** Activates a policy and moves the clock past the protection delay, so every unit is protected. */
  async activateAndSettle(policyId: string): Promise<void> {
    const res = await this.call('POST', `/protectionPolicies/${policyId}/activate`);
    if (res.status !== 202) throw new Error(`activate: ${res.status} ${JSON.stringify(res.body)}`);
    await this.control.advanceClock(1000);
  }

  /** The tenant's sandbox time (ISO). */
  async now(): Promise<string> {
    return (await this.control.advanceClock(0)).now;
  }

  /**
   * The documented List restorePoints query of one unit: `$expand=protectionUnit($filter=id eq '…')&$filter=
   * protectionDateTime lt <before>`; `before` defaults to one second past the tenant's sandbox time.
   */
  async restorePointsPath(unitId: string, before?: string): Promise<string> {
    const bound = before ?? new Date(Date.parse(await this.now()) + 1000).toISOString();
    return `/restorePoints?$expand=protectionUnit($filter=id eq '${unitId}')&$filter=protectionDateTime lt ${bound}`;
  }

  /** The latest restore point id of each unit of a policy (through the documented list call). */
  async latestPoints(
    policyId: string,
    collection = 'sharePointProtectionPolicies',
    unitsProperty = 'siteProtectionUnits',
  ): Promise<string[]> {
    const units = await this.call('GET', `/${collection}/${policyId}/${unitsProperty}?$top=999`);
    const ids: string[] = [];
    for (const u of units.body.value) {
      const rp = await this.call('GET', await this.restorePointsPath(u.id));
      ids.push(rp.body.value[0].id);
    }
    return ids;
  }
}
