import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { AppConfig } from '@bg/platform';
import { ApiClient } from '../support/api-client';
import { newTenant, type TenantContext } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';
import { graphFixture } from '../support/vendor-fixtures';

const ROOT = path.resolve(__dirname, '../..');

/** A span as an OTLP/HTTP JSON export carries it (the parts this test reads). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
}
const OTLP_SERVER = 2;
const OTLP_CLIENT = 3;
const OTLP_CONSUMER = 5;
const attr = (s: OtlpSpan, ...keys: string[]) => {
  for (const k of keys) {
    const v = s.attributes.find((a) => a.key === k)?.value;
    if (v) return String(v.stringValue ?? v.intValue);
  }
  return undefined;
};

/** A minimal OTLP/HTTP JSON receiver: what the apps' exporters send to OTEL_EXPORTER_OTLP_ENDPOINT. */
async function otlpReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[] }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
      };
      for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** apps/<app>/src/main.ts in a child process (tracing must load before everything, as in production). */
async function startApp(
  app: 'gateway' | 'worker',
  config: AppConfig,
  env: Record<string, string>,
  ready: string,
  output: string[] = [],
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['-r', path.join(ROOT, 'test/support/ts-register.cjs'), path.join(ROOT, `apps/${app}/src/main.ts`)],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: config.DATABASE_URL,
        REDIS_URL: config.REDIS_URL,
        REDIS_CLUSTER_NODES: config.REDIS_CLUSTER_NODES,
        QUEUE_PREFIX: config.QUEUE_PREFIX,
        MASTER_KEY: config.MASTER_KEY,
        ADMIN_API_KEY: config.ADMIN_API_KEY,
        RELAY_POLL_MS: '200',
        MAINTENANCE_ENABLED: 'false',
        USAGE_ROLLUP_ENABLED: 'false',
        WORKER_METRICS_PORT: '0',
        LOG_LEVEL: 'info',
        LOG_PRETTY: 'false',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${app} did not start: ${output.join('')}`)), 120_000);
    child.stdout!.on('data', () => {
      if (output.join('').includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${app} exited ${code}: ${output.join('')}`));
    });
  });
  return child;
}

/**
 * One trace from the API request to the vendor: the request's span context rides the outbox row
 * (traceparent) into the BullMQ job (bullmq-otel), so the worker's vendor call has the request's trace id.
 * Gateway and worker run as processes of their own (main.ts, tracing loaded first) exporting OTLP/HTTP
 * to a receiver in this test.
 */
describe('tracing from the API request through the outbox and the worker to the vendor call', () => {
  let stack: TestStack;
  let t: TenantContext;
  let rx: Awaited<ReturnType<typeof otlpReceiver>>;
  const children: ChildProcess[] = [];
  let traced: ApiClient;
  const gatewayLog: string[] = [];

  beforeAll(async () => {
    rx = await otlpReceiver();
    // The in-process stack (no worker) provides the database, the sandbox and untraced setup calls.
    stack = await startStack({ worker: false });
    t = await newTenant(stack.admin);
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url };
    const port = await freePort();
    children.push(
      await startApp('gateway', stack.config, { ...env, PORT: String(port), HOST: '127.0.0.1' }, 'Server listening', gatewayLog),
    );
    children.push(await startApp('worker', stack.config, env, '"worker started"'));
    traced = new ApiClient(`http://127.0.0.1:${port}`, t.tenant.key);
  }, 180_000);
  afterAll(async () => {
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode !== null) return;
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await exited;
      }),
    );
    await stack?.stop();
    await new Promise((r) => rx?.server.close(r));
  });

  it("a restore job's vendor calls share the trace id of the POST that created it", async () => {
    const fx = graphFixture(stack.sandbox.origin);
    const T = `/v1/tenants/${t.tenantId}`;
    const conn = await traced.post(`${T}/connections`, fx.connection);
    expect(conn.status).toBe(201);
    const policy = await traced.post(`${T}/policies`, {
      connectionId: conn.body.id,
      workload: fx.workload,
      displayName: 'traced',
      items: fx.items(1),
    });
    expect(policy.status).toBe(202);
    await eventually(
      () => traced.get(`${T}/policies/${policy.body.id}`),
      (r) => r.body.status === 'active',
      60_000,
    );
    const points = await eventually(
      () => traced.get(`${T}/restore-points?limit=5`),
      (r) => r.body.items.length > 0,
      60_000,
    );
    const created = await traced.post(`${T}/restore-jobs`, { items: [{ restorePointId: points.body.items[0].id }], destination: 'new' });
    expect(created.status).toBe(202);
    await eventually(
      () => traced.get(`${T}/restore-jobs/${created.body.id}`),
      (r) => r.body.status === 'succeeded',
      60_000,
    );

    const isPost = (s: OtlpSpan) =>
      s.kind === OTLP_SERVER &&
      attr(s, 'http.request.method', 'http.method') === 'POST' &&
      (attr(s, 'url.path', 'http.target') ?? '').endsWith(`${T}/restore-jobs`);
    const server = (await eventually(async () => rx.spans.find(isPost), Boolean, 60_000))!;
    const traceId = server.traceId;
    const inTrace = () => rx.spans.filter((s) => s.traceId === traceId);
    const vendorCall = (s: OtlpSpan) => s.kind === OTLP_CLIENT && (attr(s, 'url.full', 'http.url') ?? '').startsWith(stack.sandbox.origin);
    const trace = await eventually(
      async () => inTrace(),
      (spans) => spans.some(vendorCall),
      60_000,
    );
    // the worker's job span continues the request's trace (outbox traceparent -> job telemetry metadata)
    expect(trace.some((s) => s.kind === OTLP_CONSUMER && attr(s, 'bullmq.job.name') === 'restore-job.submit')).toBe(true);
    expect(trace.filter(vendorCall).length).toBeGreaterThan(0);
    // and it is the request's own trace, not one shared by everything
    expect(rx.spans.filter(isPost)).toHaveLength(1);
    // the gateway's log line of that request carries its trace id (pino mixin)
    const lines = gatewayLog
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; trace_id?: string; req?: { method?: string; url?: string } });
    const completed = lines.find((l) => l.msg === 'request completed' && l.req?.method === 'POST' && l.req.url === `${T}/restore-jobs`);
    expect(completed?.trace_id).toBe(traceId);
  });
});
