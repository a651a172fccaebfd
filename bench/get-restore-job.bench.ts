// GET a restore job by id: the gateway against a minimal hand-written twin (Fastify + pg, same query,
// same auth shape), both measured in the same run with autocannon. Prints req/s and the ratio.
// Run: npm run bench   (needs local Postgres and Redis; uses database backup_gateway_bench)
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { Pool } from 'pg';
import { newId } from '@bg/domain';
import { createOwnerDataSource, generateApiKey, loadConfig, migrate, type AppConfig } from '@bg/platform';
import { createGateway } from '../apps/gateway/src/bootstrap';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

async function seed(config: AppConfig, jobs: number) {
  const pool = new Pool({ connectionString: config.DATABASE_URL });
  const partnerId = newId();
  const tenantId = newId();
  const connectionId = newId();
  const key = generateApiKey();
  await pool.query('INSERT INTO partners (id, name) VALUES ($1, $2)', [partnerId, 'bench']);
  await pool.query('INSERT INTO tenants (id, partner_id, name) VALUES ($1, $2, $3)', [tenantId, partnerId, 'bench']);
  await pool.query(`INSERT INTO api_keys (id, role, partner_id, tenant_id, name, prefix, key_hash) VALUES ($1, 'tenant', $2, $3, 'bench', $4, $5)`, [newId(), partnerId, tenantId, key.prefix, key.hash]);
  await pool.query(`INSERT INTO connections (id, tenant_id, vendor, display_name, endpoint, secret_ciphertext, secret_wrapped_key, secret_key_id)
    VALUES ($1, $2, 'graph', 'bench', 'https://example.invalid', '\\x00', '\\x00', 'k1')`, [connectionId, tenantId]);
  const ids: string[] = [];
  for (let i = 0; i < jobs; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, jobs - i) }, () => newId());
    ids.push(...batch);
    await pool.query(`INSERT INTO restore_jobs (id, tenant_id, connection_id, vendor, workload, destination, status, items, deadline_at)
      SELECT unnest($1::uuid[]), $2, $3, 'graph', 'sharepoint', 'original', 'succeeded', '[{"restorePointId":"x","status":"succeeded"}]', now()`, [batch, tenantId, connectionId]);
  }
  await pool.end();
  return { tenantId, key: key.key, jobId: ids[Math.floor(ids.length / 2)] };
}

/** The twin: what a hand-written service would do — key lookup cached in memory, one indexed query. */
async function startTwin(config: AppConfig, tenantId: string, key: string) {
  // The twin has no row-level security: it connects as the owner and filters by tenant in SQL.
  const pool = new Pool({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_SIZE });
  const app = Fastify();
  app.get<{ Params: { tenantId: string; id: string } }>('/v1/tenants/:tenantId/restore-jobs/:id', async (req, reply) => {
    if (req.headers.authorization !== `Bearer ${key}` || req.params.tenantId !== tenantId) return reply.status(401).send({ code: 'UNAUTHENTICATED' });
    const { rows } = await pool.query('SELECT * FROM restore_jobs WHERE tenant_id = $1 AND id = $2', [tenantId, req.params.id]);
    if (!rows[0]) return reply.status(404).send({ code: 'NOT_FOUND' });
    return rows[0];
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, close: async () => { await app.close(); await pool.end(); } };
}

async function measure(url: string, path: string, key: string): Promise<number> {
  const result = await autocannon({ url: `${url}${path}`, connections: CONNECTIONS, duration: DURATION_S, headers: { authorization: `Bearer ${key}` } });
  if (result.non2xx > 0) {
    const sample = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    throw new Error(`${url}${path}: ${result.non2xx} non-2xx answers, e.g. ${sample.status} ${await sample.text()}`);
  }
  return result.requests.average;
}

async function main(): Promise<void> {
  const config = loadConfig({
    ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn',
    DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/backup_gateway_bench',
    ADMIN_API_KEY: `admin_${randomBytes(16).toString('hex')}`, MASTER_KEY: randomBytes(32).toString('base64'),
  });
  const owner = createOwnerDataSource(config, 1);
  await owner.initialize();
  await migrate(owner, config);
  await owner.destroy();
  const rows: string[] = [];
  for (const jobs of [1_000, Number(process.env.BENCH_LARGE_JOBS ?? 100_000)]) {
    const { tenantId, key, jobId } = await seed(config, jobs);
    const path = `/v1/tenants/${tenantId}/restore-jobs/${jobId}`;
    const gateway = await createGateway(config);
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    const addr = gateway.getHttpServer().address();
    const gatewayUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const twin = await startTwin(config, tenantId, key);
    await measure(twin.url, path, key); // warm-up both
    await measure(gatewayUrl, path, key);
    const twinRps = await measure(twin.url, path, key);
    const gatewayRps = await measure(gatewayUrl, path, key);
    rows.push(`GET restore job by id, ${jobs} jobs in tenant: gateway ${gatewayRps.toFixed(0)} req/s, twin ${twinRps.toFixed(0)} req/s, ratio ${(gatewayRps / twinRps).toFixed(2)} (target >= 0.70)`);
    await gateway.close();
    await twin.close();
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

void main().then(() => process.exit(0), (e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
  process.exit(1);
});
