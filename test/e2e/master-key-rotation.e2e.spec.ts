import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import {
  CredentialCipher,
  createOwnerDataSource,
  masterKeyId,
  openWebhookSecret,
  rotateMasterKey,
  type AppConfig,
  type SqlTx,
} from '@bg/platform';
import { createGateway } from '../../apps/gateway/src/bootstrap';
import { createWorker } from '../../apps/worker/src/bootstrap';
import { ApiClient } from '../support/api-client';
import { newTenant, type TenantContext } from '../support/factories';
import { eventually, startStack, testConfig, type TestStack } from '../support/stack';
import { graphFixture } from '../support/vendor-fixtures';

const ROOT = path.resolve(__dirname, '../..');
const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);
const [A, B] = [masterKeyId(KEY_A), masterKeyId(KEY_B)];

/** Runs the rotation command (the CLI's source, as `npm run rotate-master-key` runs its build) with `config`'s database. */
function runCli(config: AppConfig, env: Record<string, string>, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '-r',
        path.join(ROOT, 'test/support/ts-register.cjs'),
        path.join(ROOT, 'libs/platform/src/crypto/rotate-master-key.cli.ts'),
        ...args,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: config.DATABASE_URL, MASTER_KEY_ID: '', MASTER_KEYS_RETIRED: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** Every sealed record's key id, per sealed column, read straight from the tables. */
async function keyIds(owner: DataSource): Promise<string[]> {
  const rows: Array<{ kid: string }> = await owner.query(
    `SELECT secret_key_id AS kid FROM connections
     UNION ALL SELECT secret_key_id FROM webhook_endpoints
     UNION ALL SELECT previous_secret_key_id FROM webhook_endpoints WHERE previous_secret_key_id IS NOT NULL
     UNION ALL SELECT response_body->'$sealed'->>'keyId' FROM idempotency_keys WHERE response_body->'$sealed' IS NOT NULL`,
  );
  return rows.map((r) => r.kid);
}

/**
 * MASTER_KEY rotation: records sealed under key A; the service switched to key B with A retired still reads them;
 * the rotation re-wraps every data key under B (none left under A, a concurrent PATCH not clobbered); then B alone
 * opens everything.
 */
describe('master key rotation', () => {
  let stackA: TestStack;
  let owner: DataSource;
  let t: TenantContext;
  let configB: AppConfig;
  const started: Array<NestFastifyApplication | INestApplicationContext> = [];
  const secrets: { webhook?: string; webhookPrevious?: string; tenantKey?: string } = {};
  const fixtures = [0, 1, 2].map(() => graphFixture('https://placeholder'));
  const connectionIds: string[] = [];
  let webhookId: string;

  async function gatewayWith(config: AppConfig): Promise<ApiClient> {
    const gateway = await createGateway(config);
    started.push(gateway);
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    const address = gateway.getHttpServer().address();
    return new ApiClient(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
  }

  beforeAll(async () => {
    stackA = await startStack({ worker: false, config: { MASTER_KEY: KEY_A.toString('base64') } });
    owner = createOwnerDataSource(stackA.config, 2);
    await owner.initialize();
    t = await newTenant(stackA.admin);
    const origin = stackA.sandbox.origin;
    fixtures.splice(0, 3, ...[0, 1, 2].map(() => graphFixture(origin)));
    for (const fx of fixtures) connectionIds.push((await t.tenant.post(`/v1/tenants/${t.tenantId}/connections`, fx.connection)).body.id);
    const hook = await t.partner.post(`/v1/tenants/${t.tenantId}/webhooks`, { url: 'http://127.0.0.1:9/hook', eventTypes: ['*'] });
    expect(hook.status).toBe(201);
    webhookId = hook.body.id;
    secrets.webhookPrevious = hook.body.secret;
    const rotated = await t.partner.post(`/v1/tenants/${t.tenantId}/webhooks/${webhookId}/rotate-secret`, { overlapSeconds: 3600 });
    expect(rotated.status).toBe(200);
    secrets.webhook = rotated.body.secret;
    // A stored answer holding a secret (the new key), sealed because of its Idempotency-Key.
    const minted = await t.partner.post(
      '/v1/api-keys',
      { name: 'sealed answer', tenantId: t.tenantId },
      { 'Idempotency-Key': 'rotation-1' },
    );
    expect(minted.status).toBe(201);
    secrets.tenantKey = minted.body.key;
    configB = testConfig({
      DATABASE_URL: stackA.config.DATABASE_URL,
      QUEUE_PREFIX: stackA.config.QUEUE_PREFIX,
      ADMIN_API_KEY: stackA.config.ADMIN_API_KEY!,
      MASTER_KEY: KEY_B.toString('base64'),
      MASTER_KEYS_RETIRED: KEY_A.toString('base64'),
    });
  });
  afterAll(async () => {
    for (const app of started.reverse()) await app.close();
    await owner?.destroy();
    await stackA?.stop();
  });

  it('names keys by a short hash: A and B differ, and every record starts under A', async () => {
    expect(stackA.config.MASTER_KEY_ID).toBe(A);
    expect(configB.MASTER_KEY_ID).toBe(B);
    expect(A).toMatch(/^k[0-9a-f]{12}$/);
    expect(A).not.toBe(B);
    const ids = await keyIds(owner);
    expect(ids.length).toBeGreaterThanOrEqual(6); // 3 connections, webhook current + previous, 1 sealed answer
    expect(new Set(ids)).toEqual(new Set([A]));
  });

  it('with MASTER_KEY=B and A retired the service still reads records sealed under A', async () => {
    const gw = await gatewayWith(configB);
    started.push(await createWorker(configB));
    const partner = gw.withKey(t.partnerKey);
    const replay = await partner.post('/v1/api-keys', { name: 'sealed answer', tenantId: t.tenantId }, { 'Idempotency-Key': 'rotation-1' });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.key).toBe(secrets.tenantKey);
    const id = connectionIds[0];
    expect((await partner.post(`/v1/tenants/${t.tenantId}/connections/${id}/verify`)).status).toBe(202);
    const verified = await eventually(
      () => partner.get(`/v1/tenants/${t.tenantId}/connections/${id}`),
      (r) => r.body.health !== 'unknown',
    );
    expect(verified.body.health).toBe('healthy');
  });

  it('--check counts records left under A, changes nothing and exits non-zero', async () => {
    const before = await keyIds(owner);
    const res = await runCli(configB, { MASTER_KEY: KEY_B.toString('base64'), MASTER_KEYS_RETIRED: KEY_A.toString('base64') }, ['--check']);
    expect(res.code).toBe(1);
    const lines = res.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name?: string; remaining: number; byKeyId?: Record<string, number>; mode?: string });
    const summary = lines[lines.length - 1];
    expect(summary).toMatchObject({ mode: 'check', remaining: before.length, rewrapped: 0 });
    expect(lines.find((l) => l.name === 'connections.secret_*')?.byKeyId?.[A]).toBeGreaterThanOrEqual(3);
    expect(await keyIds(owner)).toEqual(before);
  });

  it('re-wraps every data key under B, leaving a record changed concurrently as its writer wrote it', async () => {
    const gw = (await gatewayWith(configB)).withKey(t.partnerKey);
    const raced = connectionIds[1];
    const newSecret = `sbx-secret-${randomBytes(16).toString('hex')}`;
    const ciphertextBefore: Array<{ id: string; ct: Buffer }> = await owner.query(
      'SELECT id, secret_ciphertext AS ct FROM connections WHERE id = ANY($1)',
      [connectionIds],
    );
    // The rotation's database handle: just before it writes the raced connection, a PATCH replaces its credentials.
    let patched = false;
    const racing: SqlTx = {
      async query(sql: string, params?: unknown[]) {
        if (!patched && sql.startsWith('UPDATE connections') && params?.[0] === raced) {
          patched = true;
          const credentials = { ...(fixtures[1].connection.credentials as Record<string, string>), clientSecret: newSecret };
          expect((await gw.patch(`/v1/tenants/${t.tenantId}/connections/${raced}`, { credentials })).status).toBe(200);
        }
        return owner.query(sql, params);
      },
    };
    const cipherB = new CredentialCipher(configB.MASTER_KEY_ID, configB.masterKey!, configB.retiredKeys);
    const counts = await rotateMasterKey(racing, cipherB, { batchSize: 2 });
    expect(patched).toBe(true);
    const connections = counts.find((c) => c.name === 'connections.secret_*')!;
    expect(connections.conflicts).toBe(1);
    expect(connections.failed).toBe(0);
    for (const c of counts) expect(c.remaining).toBe(0);
    expect(counts.reduce((n, c) => n + c.rewrapped, 0)).toBeGreaterThanOrEqual(5);

    // Straight from the tables: nothing left under A.
    const ids = await keyIds(owner);
    expect(ids.filter((id) => id !== B)).toEqual([]);
    // Only the data keys moved: the ciphertexts of the connections not raced are byte for byte the same.
    const after: Array<{ id: string; ct: Buffer }> = await owner.query(
      'SELECT id, secret_ciphertext AS ct FROM connections WHERE id = ANY($1)',
      [connectionIds],
    );
    for (const row of after.filter((r) => r.id !== raced))
      expect(row.ct.equals(ciphertextBefore.find((b) => b.id === row.id)!.ct)).toBe(true);

    // Key B alone (A no longer configured) opens every record; the raced connection holds the PATCH's secret.
    const onlyB = new CredentialCipher(B, KEY_B);
    const rows: Array<{ id: string; ct: Buffer; wk: Buffer; kid: string }> = await owner.query(
      'SELECT id, secret_ciphertext AS ct, secret_wrapped_key AS wk, secret_key_id AS kid FROM connections WHERE id = ANY($1)',
      [connectionIds],
    );
    for (const row of rows) {
      const secret = onlyB.decrypt(row.id, { ciphertext: row.ct, wrappedKey: row.wk, keyId: row.kid });
      expect(secret.clientSecret).toBe(row.id === raced ? newSecret : fixtures[connectionIds.indexOf(row.id)].secret);
    }
    const [hook] = await owner.query(
      `SELECT secret_ciphertext, secret_wrapped_key, secret_key_id, previous_secret_ciphertext, previous_secret_wrapped_key, previous_secret_key_id
         FROM webhook_endpoints WHERE id = $1`,
      [webhookId],
    );
    expect(
      openWebhookSecret(onlyB, webhookId, {
        ciphertext: hook.secret_ciphertext,
        wrappedKey: hook.secret_wrapped_key,
        keyId: hook.secret_key_id,
      }),
    ).toBe(secrets.webhook);
    expect(
      openWebhookSecret(onlyB, webhookId, {
        ciphertext: hook.previous_secret_ciphertext,
        wrappedKey: hook.previous_secret_wrapped_key,
        keyId: hook.previous_secret_key_id,
      }),
    ).toBe(secrets.webhookPrevious);
  });

  it('after the rotation the service runs on B alone: the sealed answer replays and the command exits 0', async () => {
    const onlyB = testConfig({
      DATABASE_URL: stackA.config.DATABASE_URL,
      QUEUE_PREFIX: `${stackA.config.QUEUE_PREFIX}_b`,
      ADMIN_API_KEY: stackA.config.ADMIN_API_KEY!,
      MASTER_KEY: KEY_B.toString('base64'),
    });
    expect(onlyB.retiredKeys.has(A)).toBe(false);
    const gw = (await gatewayWith(onlyB)).withKey(t.partnerKey);
    const replay = await gw.post('/v1/api-keys', { name: 'sealed answer', tenantId: t.tenantId }, { 'Idempotency-Key': 'rotation-1' });
    expect(replay.status).toBe(201);
    expect(replay.body.key).toBe(secrets.tenantKey);
    const res = await runCli(onlyB, { MASTER_KEY: KEY_B.toString('base64') }, []);
    expect(res.out).toContain('"remaining":0');
    expect(res.code).toBe(0);
  });
});
