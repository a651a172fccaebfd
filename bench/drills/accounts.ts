// Tenants of the drills, set up through the gateway's API the way a partner would: partner, tenant,
// tenant key, a connection to one simulated vendor account (its own sandbox scope), a policy over one
// item, its first restore point, and a webhook endpoint subscribed to restore-job events.
import { randomBytes, randomUUID } from 'node:crypto';
import { graphSandboxSites } from '../../apps/sandbox/src/graph/graph.fixtures';
import { serverSlug, veeamFixtureSites, veeamSandboxPassword } from '../../apps/sandbox/src/veeam/veeam.fixtures';
import { AZURE_FIXTURE, azureStorageAccounts } from '../../apps/sandbox/src/azure-dataprotection/azure.fixtures';
import { avepointFixtureScopes, avepointSandboxSecret } from '../../apps/sandbox/src/avepoint/avepoint.fixtures';
import { SandboxControl, api, until } from '../support';

export const VENDORS = ['graph', 'veeam', 'azure-dataprotection', 'avepoint'] as const;
export type DrillVendor = (typeof VENDORS)[number];

/**
 * Graph restores one item only once at a time (oneRestorePerItem): its tenants protect this many sites
 * and their jobs rotate over them, so a connection's jobs are not all queued behind one site.
 */
const GRAPH_ITEMS = Number(process.env.DRILL_GRAPH_ITEMS ?? 10);

/** One vendor account's connection body, the items it protects and what a restore of one looks like. */
interface VendorAccount {
  prefix: string;
  scope: string;
  workload: string;
  connection: Record<string, unknown>;
  items: Array<{ externalId: string; displayName: string }>;
  setup?(c: SandboxControl): Promise<void>;
  settle?(c: SandboxControl): Promise<void>;
  restore(point: string): Record<string, unknown>;
  /** The sandbox call (method + path regex, no vendor prefix) that starts a restore at the vendor. */
  startCall: RegExp;
}

function account(vendor: DrillVendor, origin: string, restoreMs: number): VendorAccount {
  switch (vendor) {
    case 'graph': {
      const tenantId = randomUUID();
      const sites = graphSandboxSites(tenantId, GRAPH_ITEMS);
      return {
        prefix: 'graph',
        scope: tenantId,
        workload: 'sharepoint',
        connection: {
          vendor,
          displayName: 'Graph sandbox',
          endpoint: `${origin}/graph/v1.0`,
          credentials: {
            tenantId,
            clientId: randomUUID(),
            clientSecret: `sbx-${randomBytes(12).toString('hex')}`,
            authorityHost: `${origin}/graph/login`,
          },
        },
        items: sites.map((site) => ({ externalId: site.siteId, displayName: site.name })),
        setup: (c) => c.configure({ activatingMs: Math.round(restoreMs / 10), restoreDurationMs: restoreMs }),
        restore: (point) => ({ items: [{ restorePointId: point }] }),
        startCall: /^POST .*[Rr]estoreSessions$/,
      };
    }
    case 'veeam': {
      const username = `drill-veeam-${randomBytes(5).toString('hex')}`;
      const site = veeamFixtureSites(username)[0];
      return {
        prefix: 'veeam',
        scope: username,
        workload: 'sharepoint',
        connection: {
          vendor,
          displayName: 'Veeam sandbox',
          endpoint: `${origin}/veeam`,
          credentials: { username, password: veeamSandboxPassword(username) },
        },
        items: [{ externalId: site.id, displayName: site.title }],
        setup: (c) => c.configure({ firstBackupDelayMs: 0, backupDurationMs: 1000, restoreDurationMs: restoreMs }),
        settle: (c) => c.advanceClock(5 * 60_000),
        restore: (point) => ({
          items: [{ restorePointId: point }],
          destination: 'new',
          target: { siteUrl: `https://${serverSlug(username)}.sharepoint.com/sites/Restored` },
        }),
        startCall: /^POST .*\/Organization\/Sites\/[^/]+\/restore(To)?$/,
      };
    }
    case 'azure-dataprotection': {
      const tenantId = randomUUID();
      const subscriptionId = randomUUID();
      const acct = azureStorageAccounts(subscriptionId).filter((a) => a.name !== AZURE_FIXTURE.noPermissionAccount)[0];
      return {
        prefix: 'azure',
        scope: tenantId,
        workload: 'azureBlob',
        connection: {
          vendor,
          displayName: 'Azure sandbox',
          endpoint: `${origin}/azure/management`,
          credentials: {
            tenantId,
            clientId: randomUUID(),
            clientSecret: randomBytes(24).toString('base64url'),
            authorityHost: `${origin}/azure/login`,
            subscriptionId,
            resourceGroup: AZURE_FIXTURE.resourceGroup,
            vaultName: AZURE_FIXTURE.vaultName,
          },
        },
        items: [{ externalId: acct.id, displayName: acct.name }],
        setup: (c) =>
          c.configure({
            tokenLifetimeSeconds: 24 * 3600,
            asyncRetryAfterSeconds: 0,
            protectionDurationMs: 0,
            restoreDurationMs: restoreMs,
            readBucket: 100_000,
            readRefillPerSecond: 1000,
          }),
        restore: (point) => ({ items: [{ restorePointId: point }], destination: 'original' }),
        startCall: /^POST .*\/backupInstances\/[^/]+\/restore$/,
      };
    }
    case 'avepoint': {
      const clientId = `drill${randomBytes(8).toString('hex')}`;
      const site = avepointFixtureScopes(clientId).filter((s) => s.serviceType === 1)[0].key;
      return {
        prefix: 'avepoint',
        scope: clientId,
        workload: 'sharepoint',
        connection: {
          vendor,
          displayName: 'AvePoint sandbox',
          endpoint: `${origin}/avepoint/api`,
          credentials: { clientId, clientSecret: avepointSandboxSecret(clientId), identityEndpoint: `${origin}/avepoint/identity` },
        },
        items: [{ externalId: site, displayName: site.slice(site.lastIndexOf('/') + 1) }],
        setup: (c) => c.configure({ retentionDays: 30, restoreDurationMs: restoreMs }),
        restore: (point) => ({
          items: [{ restorePointId: point, paths: ['Documents/Shared/Budget.xlsx', 'Documents/Projects/Alpha/'] }],
          destination: 'original',
        }),
        startCall: /^POST .*\/backup\/m365\/restore\/jobs$/,
      };
    }
  }
}

export interface DrillTenant {
  index: number;
  vendor: DrillVendor;
  partnerKey: string;
  tenantId: string;
  key: string;
  connectionId: string;
  control: SandboxControl;
  /** POST body of a restore of the tenant's first item. */
  body: Record<string, unknown>;
  /** POST bodies of a restore of each of its items (one for all but Graph); submissions rotate over them. */
  bodies: Array<Record<string, unknown>>;
  startCall: RegExp;
  /** The webhook endpoint (receiver route name) and its signing secret, when subscribed. */
  webhook?: { id: string; route: string; secret: string };
}

/**
 * Sets up one tenant on `vendor`. `webhookUrl(route)` gives the receiver's URL for the tenant's route;
 * without it no endpoint is subscribed.
 */
export async function setupTenant(
  gatewayUrl: string,
  adminKey: string,
  origin: string,
  index: number,
  vendor: DrillVendor,
  opts: { restoreMs?: number; webhookUrl?: (route: string) => string } = {},
): Promise<DrillTenant> {
  const a = account(vendor, origin, opts.restoreMs ?? 1000);
  const control = new SandboxControl(origin, a.prefix, a.scope);
  await a.setup?.(control);
  const partner = await api(gatewayUrl, adminKey, 'POST', '/v1/partners', { name: `drill ${index}` }, 201);
  const partnerKey = partner.apiKey.key as string;
  const tenant = await api(gatewayUrl, partnerKey, 'POST', '/v1/tenants', { name: `drill ${index} ${vendor}` }, 201);
  const T = `/v1/tenants/${tenant.id}`;
  const key = (await api(gatewayUrl, partnerKey, 'POST', '/v1/api-keys', { name: 'drill', tenantId: tenant.id }, 201)).key as string;
  const connection = await api(gatewayUrl, key, 'POST', `${T}/connections`, a.connection, 201);
  const policy = await api(gatewayUrl, key, 'POST', `${T}/policies`, {
    connectionId: connection.id,
    workload: a.workload,
    displayName: `drill ${vendor}`,
    items: a.items,
  });
  await until(
    async () => (await api(gatewayUrl, key, 'GET', `${T}/policies/${policy.id}`)).status === 'active',
    `${vendor} policy active`,
    120_000,
  );
  await a.settle?.(control);
  // A first restore point of every item.
  const points = new Map<string, string>();
  await until(
    async () => {
      for (const p of (await api(gatewayUrl, key, 'GET', `${T}/restore-points?limit=100`)).items as Array<{
        id: string;
        protectedItemId: string;
      }>)
        if (!points.has(p.protectedItemId)) points.set(p.protectedItemId, p.id);
      return points.size >= a.items.length;
    },
    `${vendor} first restore point of each of ${a.items.length} items`,
    120_000,
  );
  const bodies = [...points.values()].map((point) => a.restore(point));
  let webhook: DrillTenant['webhook'];
  if (opts.webhookUrl) {
    const route = `t${index}`;
    const w = await api(gatewayUrl, key, 'POST', `${T}/webhooks`, { url: opts.webhookUrl(route), eventTypes: ['restore_job.*'] }, 201);
    webhook = { id: w.id, route, secret: w.secret };
  }
  return {
    index,
    vendor,
    partnerKey,
    tenantId: tenant.id,
    key,
    connectionId: connection.id,
    control,
    body: bodies[0],
    bodies,
    startCall: a.startCall,
    webhook,
  };
}

/** `n` tenants round-robin over the four vendors, set up DRILL_SETUP_PARALLEL (20) at a time. */
export async function setupTenants(
  gatewayUrl: string,
  adminKey: string,
  origin: string,
  n: number,
  opts: { restoreMs?: number; webhookUrl?: (route: string) => string } = {},
): Promise<DrillTenant[]> {
  const parallel = Number(process.env.DRILL_SETUP_PARALLEL ?? 20);
  const out: DrillTenant[] = [];
  for (let i = 0; i < n; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, n - i) }, (_, k) =>
      setupTenant(gatewayUrl, adminKey, origin, i + k, VENDORS[(i + k) % 4], opts),
    );
    out.push(...(await Promise.all(batch)));
  }
  return out;
}
