import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { cloneDatabase } from './template-db';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createOwnerDataSource, loadConfig, migrate, type AppConfig } from '@bg/platform';
import { createGateway } from '../../apps/gateway/src/bootstrap';
import { createWorker } from '../../apps/worker/src/bootstrap';
import type { RunningSandbox } from '../../apps/sandbox/src/sandbox.server';
import { startTestSandbox } from './sandbox';
import { ApiClient } from './api-client';

export interface TestStack {
  config: AppConfig;
  gateway: NestFastifyApplication;
  worker?: INestApplicationContext;
  sandbox: RunningSandbox;
  baseUrl: string;
  admin: ApiClient;
  stop(): Promise<void>;
}

let migrated: Promise<void> | undefined;

/** Runs the migrations once per test process (serialized across processes by an advisory lock). */
export async function ensureMigrated(config: AppConfig): Promise<void> {
  migrated ??= (async () => {
    const owner = createOwnerDataSource(config, 1);
    await owner.initialize();
    try {
      await migrate(owner, config);
    } finally {
      await owner.destroy();
    }
  })();
  return migrated;
}

export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    ADMIN_API_KEY: `admin_${randomBytes(24).toString('hex')}`,
    // One key for every test process: stacks share the database, and a worker's periodic scans may read rows another test wrote.
    MASTER_KEY: Buffer.alloc(32, 'backup-gateway-test-master-key').toString('base64'),
    QUEUE_PREFIX: `bgtest_${randomBytes(6).toString('hex')}`,
    // Many stacks run at once: each worker's metrics listener takes a free port (WorkerMetricsServer.port).
    WORKER_METRICS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RELAY_POLL_MS: '200',
    BACKUP_POLL_FIRST_MS: '200',
    RESTORE_ITEM_RETRY_MS: '300',
    MAINTENANCE_ENABLED: 'false',
    // Webhook receivers in tests are local HTTP servers; a short retry schedule keeps retry tests fast.
    WEBHOOK_ALLOW_LOCAL_URLS: 'true',
    WEBHOOK_RETRY_SCHEDULE: '0,300ms,600ms,1s,1s,1s,1s,1s',
    WEBHOOK_TIMEOUT_MS: '2000',
    USAGE_ROLLUP_ENABLED: 'false',
    // Suites poll hard with one key; the rate-limit tests set small limits of their own.
    RATE_LIMIT_PER_KEY: '1000000',
    RATE_LIMIT_PER_TENANT: '1000000',
    ...overrides,
  });
}

/** Gateway + worker + sandbox in this process, on free ports, with a queue prefix of its own. */
export async function startStack(opts: { worker?: boolean; config?: Record<string, string>; logs?: string[] } = {}): Promise<TestStack> {
  const database = await cloneDatabase(testConfig().DATABASE_URL);
  const config = testConfig({ DATABASE_URL: database.url, ...opts.config });
  const sandbox = await startTestSandbox();
  const stream = opts.logs
    ? {
        write: (line: string) => {
          opts.logs!.push(line);
        },
      }
    : undefined;
  const gateway = await createGateway(config, stream);
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  const address = gateway.getHttpServer().address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const worker = opts.worker === false ? undefined : await createWorker(config, stream);
  return {
    config,
    gateway,
    worker,
    sandbox,
    baseUrl,
    admin: new ApiClient(baseUrl, config.ADMIN_API_KEY!),
    async stop() {
      await worker?.close();
      await gateway.close();
      await sandbox.close();
      await database.drop();
    },
  };
}

/**
 * Polls `fn` until `until` holds or the deadline passes (tests never sleep blindly). The deadline only fails a stuck
 * test: keep it generous (>= 60 s), so a fully loaded machine is slow, never failing.
 */
export async function eventually<T>(fn: () => Promise<T>, until: (v: T) => boolean, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await fn();
  while (!until(last)) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, everyMs));
    last = await fn();
  }
  return last;
}
