// Seeds the demo: a partner, a tenant, a Graph connection to the sandbox and a policy of 5 sites.
// Made once and remembered in .data/demo.json. Used by `npm start` and the compose `demo` service.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);

async function api(base, method, path, key, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => undefined);
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A demo partner, tenant and Graph connection to the sandbox, made once and kept in .data/demo.json. */
export async function seedDemo({ base, sandboxOrigin, adminKey }) {
  mkdirSync(resolve('.data'), { recursive: true });
  const file = resolve('.data/demo.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    const ok = await fetch(`${base}/v1/tenants/${saved.tenantId}`, { headers: { authorization: `Bearer ${saved.partnerKey}` } });
    if (ok.status === 200) return saved;
  }
  const { graphSandboxSites } = require(resolve('dist/apps/sandbox/src/graph/graph.fixtures.js'));
  const partner = await api(base, 'POST', '/v1/partners', adminKey, { name: 'Demo MSP' });
  const tenant = await api(base, 'POST', '/v1/tenants', partner.apiKey.key, { name: 'Contoso (demo)' });
  const entraTenant = '11111111-2222-4333-8444-555555555555';
  const connection = await api(base, 'POST', `/v1/tenants/${tenant.id}/connections`, partner.apiKey.key, {
    vendor: 'graph',
    displayName: 'Microsoft 365 Backup (sandbox)',
    endpoint: `${sandboxOrigin}/graph/v1.0`,
    credentials: {
      tenantId: entraTenant,
      clientId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
      clientSecret: `demo-secret-${randomBytes(12).toString('hex')}`,
      authorityHost: `${sandboxOrigin}/graph/login`,
    },
  });
  await api(base, 'POST', `/v1/tenants/${tenant.id}/connections/${connection.id}/verify`, partner.apiKey.key);
  const policy = await api(base, 'POST', `/v1/tenants/${tenant.id}/policies`, partner.apiKey.key, {
    connectionId: connection.id,
    workload: 'sharepoint',
    displayName: 'All demo sites',
    items: graphSandboxSites(entraTenant, 5).map((s) => ({ externalId: s.siteId, displayName: s.name })),
  });
  const saved = {
    partnerId: partner.id,
    partnerKey: partner.apiKey.key,
    tenantId: tenant.id,
    connectionId: connection.id,
    policyId: policy.id,
  };
  writeFileSync(file, JSON.stringify(saved, null, 2), { mode: 0o600 });
  return saved;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const base = process.env.GATEWAY_URL ?? 'http://localhost:3000';
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/health/ready`)).ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`gateway at ${base} not ready`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const d = await seedDemo({
    base,
    sandboxOrigin: process.env.SANDBOX_PUBLIC_ORIGIN ?? 'https://sandbox:4010',
    adminKey: process.env.ADMIN_API_KEY,
  });
  process.stdout.write(`demo ready: tenant ${d.tenantId}, partner key ${d.partnerKey}\n`);
}
