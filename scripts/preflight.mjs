// Checks that Postgres and Redis answer, creates the database if missing and makes the sandbox
// certificate. On failure prints one clear line (which service, at what URL, how to start it) and exits 1.
import pg from 'pg';
import Redis from 'ioredis';
import { ensureSandboxCertificate } from './sandbox-cert.mjs';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/backup_gateway';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function fail(line) {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

export async function ensureDatabase(url = DATABASE_URL) {
  const target = new URL(url);
  const dbName = decodeURIComponent(target.pathname.replace(/^\//, '')) || 'backup_gateway';
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (e) {
    fail(
      `PostgreSQL is not reachable at ${redact(url)} (${e.code ?? e.message}). Start it, e.g. pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, or docker compose up postgres.`,
    );
  }
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    if (!rowCount) await client.query(`CREATE DATABASE "${dbName.replace(/"/g, '""')}"`);
  } catch (e) {
    if (e.code !== '42P04') fail(`PostgreSQL at ${redact(url)} refused to create database ${dbName}: ${e.message}`);
  } finally {
    await client.end();
  }
}

export async function checkRedis(url = REDIS_URL) {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    fail(
      `Redis is not reachable at ${redact(url)} (${e.code ?? e.message}). Start it, e.g. redis-server --daemonize yes --port 6379, or docker compose up redis.`,
    );
  } finally {
    redis.disconnect();
  }
}

/** With REDIS_CLUSTER_NODES, the first seed node (with REDIS_URL's credentials and TLS) is the Redis to check. */
function redisToCheck() {
  const seed = process.env.REDIS_CLUSTER_NODES?.split(',')[0]?.trim();
  if (!seed) return REDIS_URL;
  const u = new URL(REDIS_URL);
  u.host = seed;
  u.pathname = '';
  return u.toString();
}

export async function preflight() {
  await ensureDatabase();
  await checkRedis(redisToCheck());
  await ensureSandboxCertificate();
}

if (import.meta.url === `file://${process.argv[1]}`) await preflight();
