import { randomUUID } from 'node:crypto';
import { startSandbox, type RunningSandbox } from '../sandbox.server';
import { AzureDataProtectionSandbox } from './azure.sandbox';
import { AZURE_FIXTURE, storageAccountId, vaultId } from './azure.fixtures';

/** Test helpers for the Azure simulator's own specs (plain HTTP, no adapter code). */
export async function startAzureSandbox(): Promise<RunningSandbox> {
  return startSandbox({
    port: 0,
    host: '127.0.0.1',
    certPath: process.env.SANDBOX_CERT_PATH!,
    vendors: [new AzureDataProtectionSandbox()],
  });
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: any;
}

export const API = 'api-version=2024-04-01';
export const BLOB = 'Microsoft.Storage/storageAccounts/blobServices';

/** One simulated tenant + subscription, talking plain HTTP. */
export class AzureTestClient {
  readonly tenantId = randomUUID();
  readonly subscriptionId = randomUUID();
  readonly clientId = randomUUID();
  token?: string;

  constructor(readonly origin: string) {}

  get vaultPath(): string {
    return `${vaultId(this.subscriptionId, AZURE_FIXTURE.resourceGroup, AZURE_FIXTURE.vaultName)}`;
  }
  storageId(n: number): string {
    return storageAccountId(this.subscriptionId, `bgblob${String(n).padStart(2, '0')}`);
  }

  async raw(method: string, url: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
    const res = await fetch(url.startsWith('https://') ? url : `${this.origin}/azure${url}`, {
      method,
      body: init.body,
      headers: init.headers,
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep text */
    }
    return { status: res.status, headers: res.headers, body };
  }

  requestToken(form: Record<string, string>, tenant = this.tenantId): Promise<RawResponse> {
    return this.raw('POST', `/login/${tenant}/oauth2/v2.0/token`, {
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  async login(): Promise<string> {
    const res = await this.requestToken({
      grant_type: 'client_credentials',
      client_id: this.clientId,
      client_secret: 'sandbox-secret-0123456789',
      scope: 'https://management.azure.com/.default',
    });
    if (res.status !== 200) throw new Error(`token refused: ${JSON.stringify(res.body)}`);
    this.token = res.body.access_token;
    return this.token!;
  }

  /** ARM call; `path` is relative to /azure/management and gets api-version unless it has a query already. */
  arm(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
    const h: Record<string, string> = { authorization: `Bearer ${this.token}`, ...headers };
    if (body !== undefined) h['content-type'] = 'application/json';
    const url = path.startsWith('https://') ? path : `/management${path}${path.includes('?') ? '' : `?${API}`}`;
    return this.raw(method, url, { body: body === undefined ? undefined : JSON.stringify(body), headers: h });
  }

  async control(method: string, suffix: string, body?: unknown): Promise<any> {
    const res = await fetch(`${this.origin}/_sandbox/azure/scopes/${encodeURIComponent(this.tenantId)}${suffix}`, {
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
  async calls(): Promise<Array<{ method: string; path: string; status: number; body?: any; query?: any }>> {
    return (await this.control('GET', '/calls')).calls;
  }

  /** A blob backup policy with operational retention, as seed 004's prerequisites describe. */
  policyBody(days = 30): Record<string, unknown> {
    return {
      properties: {
        objectType: 'BackupPolicy',
        datasourceTypes: [BLOB],
        policyRules: [
          {
            objectType: 'AzureRetentionRule',
            name: 'Default',
            isDefault: true,
            lifecycles: [
              {
                deleteAfter: { objectType: 'AbsoluteDeleteOption', duration: `P${days}D` },
                sourceDataStore: { dataStoreType: 'OperationalStore', objectType: 'DataStoreInfoBase' },
              },
            ],
          },
        ],
      },
    };
  }

  /**
   * A blob policy with operational retention and a vaulted AzureBackupRule "BackupDaily" on the schedule
   * `interval` (PolicyCRUD_CreateOrUpdateBackupPolicy's rule shape), its VaultStore data kept `vaultDays`.
   */
  vaultedPolicyBody(interval: string, vaultDays = 7): Record<string, unknown> {
    return {
      properties: {
        objectType: 'BackupPolicy',
        datasourceTypes: [BLOB],
        policyRules: [
          {
            objectType: 'AzureBackupRule',
            name: 'BackupDaily',
            backupParameters: { objectType: 'AzureBackupParams', backupType: 'Discrete' },
            dataStore: { dataStoreType: 'VaultStore', objectType: 'DataStoreInfoBase' },
            trigger: {
              objectType: 'ScheduleBasedTriggerContext',
              schedule: { repeatingTimeIntervals: [interval] },
              taggingCriteria: [{ isDefault: true, taggingPriority: 99, tagInfo: { tagName: 'Default' } }],
            },
          },
          {
            objectType: 'AzureRetentionRule',
            name: 'Default',
            isDefault: true,
            lifecycles: [
              {
                deleteAfter: { objectType: 'AbsoluteDeleteOption', duration: 'P30D' },
                sourceDataStore: { dataStoreType: 'OperationalStore', objectType: 'DataStoreInfoBase' },
              },
              {
                deleteAfter: { objectType: 'AbsoluteDeleteOption', duration: `P${vaultDays}D` },
                sourceDataStore: { dataStoreType: 'VaultStore', objectType: 'DataStoreInfoBase' },
              },
            ],
          },
        ],
      },
    };
  }

  /** The scope clock's time (epoch ms). */
  async now(): Promise<number> {
    return Date.parse(((await this.advance(0)) as { now: string }).now);
  }

  /**
   * seed 004 §Prepare the request to configure backup, for storage account bgblobNN; with `containers` (a vaulted
   * policy), the BlobBackupDatasourceParameters naming them.
   */
  backupInstance(n: number, policy: string, containers?: string[]): Record<string, unknown> {
    const name = `bgblob${String(n).padStart(2, '0')}`;
    return {
      objectType: 'BackupInstance',
      dataSourceInfo: {
        datasourceType: BLOB,
        objectType: 'Datasource',
        resourceID: this.storageId(n),
        resourceLocation: AZURE_FIXTURE.location,
        resourceName: name,
        resourceType: 'Microsoft.Storage/storageAccounts',
        resourceUri: '',
      },
      policyInfo: {
        policyId: `${this.vaultPath}/backupPolicies/${policy}`,
        ...(containers
          ? {
              policyParameters: {
                backupDatasourceParametersList: [{ objectType: 'BlobBackupDatasourceParameters', containersList: containers }],
              },
            }
          : {}),
      },
    };
  }

  /** Creates a policy and protects storage accounts 1..n (PUT backupInstances), returning the instance names. */
  async protect(policy: string, accounts: number[], policyBody = this.policyBody()): Promise<string[]> {
    const p = await this.arm('PUT', `${this.vaultPath}/backupPolicies/${policy}`, policyBody);
    if (p.status !== 200) throw new Error(`policy: ${JSON.stringify(p.body)}`);
    const names: string[] = [];
    const rules = (policyBody.properties as { policyRules?: Array<{ objectType: string }> }).policyRules ?? [];
    const containers = rules.some((r) => r.objectType === 'AzureBackupRule') ? [...AZURE_FIXTURE.containers] : undefined;
    for (const n of accounts) {
      const name = `bgblob${String(n).padStart(2, '0')}-${policy}`;
      const r = await this.arm('PUT', `${this.vaultPath}/backupInstances/${name}`, {
        properties: this.backupInstance(n, policy, containers),
      });
      if (r.status !== 201) throw new Error(`instance: ${JSON.stringify(r.body)}`);
      names.push(name);
    }
    return names;
  }
}
