// `npm start`: checks Postgres/Redis, migrates, starts the sandbox, gateway and worker, and seeds a demo.
// Dev secrets (ADMIN_API_KEY, MASTER_KEY) are generated once into .data/dev-secrets.json when unset;
// with NODE_ENV=production the gateway and worker refuse to start without them.
import { spawn, spawnSync } from 'node:child_process';
import { get as httpsGet } from 'node:https';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { preflight } from './preflight.mjs';
import { DEFAULT_CERT_PATH } from './sandbox-cert.mjs';
import { seedDemo } from './demo.mjs';

const env = { ...process.env };
const production = env.NODE_ENV === 'production';
const say = (line) => process.stdout.write(`${line}\n`);

function devSecrets() {
  const file = resolve('.data/dev-secrets.json');
  const saved = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secrets = {
    ADMIN_API_KEY: saved.ADMIN_API_KEY ?? `admin_${randomBytes(24).toString('base64url')}`,
    MASTER_KEY: saved.MASTER_KEY ?? randomBytes(32).toString('base64'),
  };
  mkdirSync(resolve('.data'), { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

await preflight();
if (!production) {
  const generated = devSecrets();
  for (const k of ['ADMIN_API_KEY', 'MASTER_KEY']) {
    if (!env[k]) {
      env[k] = generated[k];
      say(`${k} was not set: using a development value kept in .data/dev-secrets.json`);
    }
  }
}
// NODE_EXTRA_CA_CERTS takes one file: keep any bundle already configured and add the sandbox's certificate.
if (env.NODE_EXTRA_CA_CERTS && resolve(env.NODE_EXTRA_CA_CERTS) !== DEFAULT_CERT_PATH && existsSync(env.NODE_EXTRA_CA_CERTS)) {
  const bundle = resolve('.data/extra-ca-bundle.pem');
  writeFileSync(bundle, `${readFileSync(env.NODE_EXTRA_CA_CERTS, 'utf8')}\n${readFileSync(DEFAULT_CERT_PATH, 'utf8')}`);
  env.NODE_EXTRA_CA_CERTS = bundle;
} else {
  env.NODE_EXTRA_CA_CERTS = DEFAULT_CERT_PATH;
}
env.SANDBOX_CERT_PATH ??= DEFAULT_CERT_PATH;

const migrate = spawnSync(process.execPath, ['dist/libs/platform/src/database/migrate.cli.js'], { env, stdio: 'inherit' });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

// The children's output passes through this process (so the demo banner can wait for it to settle and
// come last); they log pretty lines when this terminal is one (LOG_PRETTY=auto), JSON lines otherwise.
env.LOG_PRETTY = (env.LOG_PRETTY ?? 'auto') === 'auto' ? String(Boolean(process.stdout.isTTY)) : env.LOG_PRETTY;
let lastOutputAt = Date.now();
const children = [];
function run(name, script) {
  const child = spawn(process.execPath, [script], {
    env: { ...env, NODE_EXTRA_CA_CERTS: env.NODE_EXTRA_CA_CERTS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const [from, to] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    from.on('data', (chunk) => {
      lastOutputAt = Date.now();
      to.write(chunk);
    });
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); stopping the stack`);
      stop(code ?? 1);
    }
  });
  children.push(child);
}
let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 1500).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

run('sandbox', 'dist/apps/sandbox/src/main.js');
run('gateway', 'dist/apps/gateway/src/main.js');
run('worker', 'dist/apps/worker/src/main.js');

const port = Number(env.PORT ?? 3000);
const sandboxPort = Number(env.SANDBOX_PORT ?? 4010);
const base = `http://localhost:${port}`;
const sandboxOrigin = env.SANDBOX_PUBLIC_ORIGIN ?? `https://localhost:${sandboxPort}`;

// This process started before the certificate existed, so it trusts it explicitly (its children get NODE_EXTRA_CA_CERTS).
function sandboxReady() {
  return new Promise((resolveReady) => {
    const req = httpsGet(`${sandboxOrigin}/_sandbox`, { ca: readFileSync(env.SANDBOX_CERT_PATH) }, (res) => {
      res.resume();
      resolveReady(res.statusCode === 200);
    });
    req.on('error', () => resolveReady(false));
  });
}

async function waitReady() {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${base}/health/ready`);
      if (r.ok && (await sandboxReady())) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error('the gateway or the sandbox did not become ready within 60 s');
}

/** Waits until the services have printed nothing for `quietMs` (at most `maxMs`), so what follows comes last. */
async function settled(quietMs = 750, maxMs = 15_000) {
  const deadline = Date.now() + maxMs;
  while (Date.now() - lastOutputAt < quietMs && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

try {
  await waitReady();
  const d = await seedDemo({ base, sandboxOrigin, adminKey: env.ADMIN_API_KEY });
  await settled();
  const T = `${base}/v1/tenants/${d.tenantId}`;
  say(`
backup-gateway is running
  API:           ${base}   (Swagger UI ${base}/docs, document ${base}/openapi.json)
  Queues:        ${base}/admin/queues   (Bull Board; send the admin key as a Bearer token)
  Metrics:       ${base}/metrics (admin key)   worker: http://127.0.0.1:${env.WORKER_METRICS_PORT ?? 9465}/metrics
  Sandbox:       ${sandboxOrigin}   (vendor simulators: GET /_sandbox lists them; control API at /_sandbox)
  Admin key:     ${env.ADMIN_API_KEY}
  Demo partner key: ${d.partnerKey}

Demo: tenant ${d.tenantId} has a Graph connection to the sandbox and a policy protecting 5 SharePoint sites.
  export KEY=${d.partnerKey}
  curl -s -H "Authorization: Bearer $KEY" ${T}/policies/${d.policyId}
  curl -s -H "Authorization: Bearer $KEY" "${T}/restore-points?limit=5"
  # pick a restore point id from the list, then:
  curl -s -X POST -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -H "Idempotency-Key: $(date +%s)" \\
       -d '{"items":[{"restorePointId":"<id>"}],"destination":"new"}' ${T}/restore-jobs
  curl -s -H "Authorization: Bearer $KEY" ${T}/restore-jobs/<job id>/events
Press Ctrl+C to stop.`);
} catch (e) {
  say(`start-up failed: ${e.message}`);
  stop(1);
}
