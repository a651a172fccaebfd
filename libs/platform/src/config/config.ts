import { z } from 'zod';
import { masterKeyId } from '../crypto/credential-cipher';

const base64Key = z.string().refine((v) => {
  try {
    return Buffer.from(v, 'base64').length === 32;
  } catch {
    return false;
  }
}, 'must be 32 bytes encoded as base64 (generate one with: openssl rand -base64 32)');

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL with protocol ${protocols.join(' or ')}`,
  );

const port = z.coerce.number().int().min(0).max(65535);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses "0,5s,5m,30m,2h" into milliseconds; undefined when any entry is not a number with ms, s, m or h. */
export function parseDurationList(value: string): number[] | undefined {
  const out: number[] = [];
  for (const part of value.split(',').map((p) => p.trim())) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(part);
    if (!m || (!m[2] && Number(m[1]) !== 0)) return undefined;
    out.push(Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']));
  }
  return out;
}

const durationList = z.string().transform((v, ctx) => {
  const list = parseDurationList(v);
  if (!list) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a comma-separated list of durations such as "0,5s,5m,30m,2h" (units ms, s, m, h; a bare number only for 0)',
    });
    return z.NEVER;
  }
  return list;
});

/** The one configuration schema; every variable the apps read is here. */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/backup_gateway'),
  DATABASE_APP_USER: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'must be a plain role name')
    .default('bg_app'),
  DATABASE_APP_PASSWORD: z.string().min(1).default('bg_app_dev_password'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  /**
   * Seed nodes of a Redis Cluster ("host:port,host:port"); when set, every Redis connection is a cluster
   * client (REDIS_URL then only gives credentials and TLS) and QUEUE_PREFIX is made cluster-safe.
   */
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$/, 'must be "host:port,host:port,..."')
    .optional(),
  /**
   * Prefix of every Redis key we own (BullMQ queues, throttles). May hold one hash tag ("{bg}"); on a Redis
   * Cluster a prefix without one is wrapped in braces, so all keys live in one hash slot as BullMQ needs.
   */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]*(\{[A-Za-z0-9_-]+\})?[A-Za-z0-9_-]*$/, 'letters, digits, _ and -, with at most one hash tag such as {bg}')
    .min(1)
    .default('bg'),
  PORT: port.default(3000),
  HOST: z.string().default('0.0.0.0'),
  SANDBOX_PORT: port.default(4010),
  PUBLIC_URL: z.string().optional(),
  ADMIN_API_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  MASTER_KEY: base64Key.optional(),
  /** An explicit id for MASTER_KEY; by default the id is a short hash of the key (masterKeyId). */
  MASTER_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .optional(),
  /**
   * Retired master keys, still able to unwrap old data keys until `npm run rotate-master-key` has moved every
   * record to MASTER_KEY: a comma list of base64 keys (id = their hash) or "id:base64" for a key with an explicit id.
   */
  MASTER_KEYS_RETIRED: z.string().default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  WEBHOOK_ALLOW_LOCAL_URLS: bool.default(false),
  /** Delay before each webhook delivery attempt ("0" = at once; units ms, s, m, h); its length is the number of attempts. */
  WEBHOOK_RETRY_SCHEDULE: durationList.default([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]),
  /** Time limit of one webhook attempt: connect, response headers and the body excerpt. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  /** An endpoint whose deliveries keep failing (no success in between) for longer than this is disabled. */
  WEBHOOK_DISABLE_AFTER_HOURS: z.coerce.number().positive().default(120),
  RESTORE_JOB_DEADLINE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(24 * 60),
  RELAY_POLL_MS: z.coerce.number().int().min(10).default(1000),
  /** Periodic reconciler and restore-point refresh (off in tests, which share one database across stacks). */
  MAINTENANCE_ENABLED: bool.default(true),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  /** Usage roll-up scheduler (off in tests, which trigger usage.rollup themselves). */
  USAGE_ROLLUP_ENABLED: bool.default(true),
  USAGE_ROLLUP_EVERY_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(5 * 60_000),
  /** Closed days re-checked by each scheduled roll-up (a late change becomes a correction row). */
  USAGE_ROLLUP_LOOKBACK_DAYS: z.coerce.number().int().min(1).max(400).default(7),
  /** A UTC day closes this many minutes after the midnight that ends it. */
  USAGE_DAY_CLOSE_GRACE_MINUTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60)
    .default(60),
  /** Items a vendor refused for now (retryable per-item errors) are restored again after this long, doubling per round. */
  RESTORE_ITEM_RETRY_MS: z.coerce.number().int().min(50).default(30_000),
  /** First poll of a started on-demand backup after this long; later polls back off 1.5x up to 5 minutes. */
  BACKUP_POLL_FIRST_MS: z.coerce.number().int().min(50).default(15_000),
  /** Offboarding: a deleted tenant's data is purged this many days after DELETE. */
  OFFBOARD_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  /** Offboarding: how long the worker waits for the tenant's running jobs and vendor deletions before it ends them. */
  OFFBOARD_DRAIN_MINUTES: z.coerce
    .number()
    .min(0)
    .max(24 * 60)
    .default(15),
  /** How often the worker writes its counted vendor API calls (one insert per flush). */
  USAGE_FLUSH_MS: z.coerce.number().int().min(50).default(10_000),
  /**
   * Retention (maintenance.prune-retention, hourly; 0 keeps forever). Published events older than this go,
   * except those a webhook delivery still references and protected_item events (usage history).
   */
  EVENT_RETENTION_DAYS: z.coerce.number().int().min(0).default(90),
  /** Finished (succeeded or failed) webhook deliveries and their attempts; pending ones are never pruned. */
  WEBHOOK_DELIVERY_RETENTION_DAYS: z.coerce.number().int().min(0).default(30),
  /** Raw usage facts (vendor call counts, vendor samples) of days already closed by the roll-up; usage_daily is kept. */
  USAGE_FACT_RETENTION_DAYS: z.coerce.number().int().min(0).default(400),
  /** Rows one prune statement deletes at most, and statements per table per run: a run's work is bounded. */
  RETENTION_PRUNE_BATCH: z.coerce.number().int().min(1).max(100_000).default(5_000),
  RETENTION_PRUNE_MAX_BATCHES: z.coerce.number().int().min(1).max(10_000).default(100),
  /** Audit log entries older than this are pruned by the worker (maintenance.prune-audit-log, hourly). */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(400),
  /** The gateway writes its buffered audit entries this often (and at 100 entries, and on shutdown). */
  AUDIT_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(200),
  /** Own-API rate limits (counters in Redis, shared by every gateway): requests per window per key and per tenant. */
  RATE_LIMIT_ENABLED: bool.default(true),
  RATE_LIMIT_PER_KEY: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_PER_TENANT: z.coerce.number().int().min(1).default(1200),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Share of a quota a gateway reserves per Redis call and spends locally (0 = count every request in Redis). */
  RATE_LIMIT_LEASE_PERCENT: z.coerce.number().min(0).max(10).default(2),
  /** A limiter call slower than this (or Redis down) lets the request through unlimited and logs it. */
  RATE_LIMIT_TIMEOUT_MS: z.coerce.number().int().min(10).max(5_000).default(250),
  /** How often a gateway writes the keys it saw to api_keys.last_used_at (one UPDATE per flush; a key at most once a minute). */
  API_KEY_LAST_USED_FLUSH_MS: z.coerce.number().int().min(50).default(15_000),
  /** Interface of the internal metrics listeners (gateway METRICS_PORT, worker WORKER_METRICS_PORT); loopback unless set. */
  METRICS_HOST: z.string().default('127.0.0.1'),
  /** Gateway: also serve GET /metrics without a key on this internal port (unset: only GET /metrics with the admin key). */
  METRICS_PORT: port.optional(),
  /** Worker: GET /metrics on this port (0: any free port). */
  WORKER_METRICS_PORT: port.default(9465),
  /** Logs: pretty lines (pino-pretty) when "true", or when "auto" and stdout is a terminal; JSON lines otherwise. */
  LOG_PRETTY: z.enum(['auto', 'true', 'false']).default('auto'),
  /** OpenTelemetry traces go to this OTLP/HTTP endpoint; tracing is off when unset. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
});

export type AppConfig = Omit<z.infer<typeof configSchema>, 'MASTER_KEY_ID'> & {
  /** The current master key's id: MASTER_KEY_ID if given, else the key's hash (LEGACY_MASTER_KEY_ID without a key). */
  MASTER_KEY_ID: string;
  masterKey: Buffer | undefined;
  retiredKeys: Map<string, Buffer>;
};

/** The id every record was sealed under before key ids were hashes (the old default of MASTER_KEY_ID). */
export const LEGACY_MASTER_KEY_ID = 'k1';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment. Throws ConfigError naming each bad variable. In production ADMIN_API_KEY
 * and MASTER_KEY are required; elsewhere their absence is allowed (npm start generates dev values).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = configSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const c = parsed.data;
  if (c.USAGE_FACT_RETENTION_DAYS && c.USAGE_FACT_RETENTION_DAYS <= c.USAGE_ROLLUP_LOOKBACK_DAYS)
    throw new ConfigError(
      'Invalid configuration:\n  USAGE_FACT_RETENTION_DAYS: must be more than USAGE_ROLLUP_LOOKBACK_DAYS (the roll-up re-reads those days)',
    );
  if (c.NODE_ENV === 'production') {
    const missing = (['ADMIN_API_KEY', 'MASTER_KEY'] as const).filter((k) => !c[k]);
    if (missing.length)
      throw new ConfigError(`Invalid configuration:\n  ${missing.map((k) => `${k}: required in production`).join('\n  ')}`);
  }
  const masterKey = c.MASTER_KEY ? Buffer.from(c.MASTER_KEY, 'base64') : undefined;
  const keyId = c.MASTER_KEY_ID ?? (masterKey ? masterKeyId(masterKey) : LEGACY_MASTER_KEY_ID);
  const retiredKeys = new Map<string, Buffer>();
  // Records sealed before key ids were hashes carry the old default id; with no explicit MASTER_KEY_ID the current
  // key still opens them (under that id) until the rotation moves them to the hashed id.
  if (masterKey && !c.MASTER_KEY_ID) retiredKeys.set(LEGACY_MASTER_KEY_ID, masterKey);
  for (const part of c.MASTER_KEYS_RETIRED.split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [first, second] = part.split(':');
    const buf = Buffer.from(second ?? first, 'base64');
    const id = second === undefined ? masterKeyId(buf) : first;
    if (!id || buf.length !== 32 || part.split(':').length > 2)
      throw new ConfigError(
        'Invalid configuration:\n  MASTER_KEYS_RETIRED: must be "base64-32-byte-key,..." or "id:base64-32-byte-key,..."',
      );
    if (id === keyId) continue;
    retiredKeys.set(id, buf);
  }
  // A Redis Cluster runs a Lua script only over keys of one slot; BullMQ's scripts span a queue's keys.
  if (c.REDIS_CLUSTER_NODES && !c.QUEUE_PREFIX.includes('{')) c.QUEUE_PREFIX = `{${c.QUEUE_PREFIX}}`;
  return { ...c, MASTER_KEY_ID: keyId, masterKey, retiredKeys };
}

/** The app role's connection URL: DATABASE_URL with the app role's user and password. */
export function appDatabaseUrl(config: AppConfig): string {
  const u = new URL(config.DATABASE_URL);
  u.username = config.DATABASE_APP_USER;
  u.password = config.DATABASE_APP_PASSWORD;
  return u.toString();
}

export function redactUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return value;
  }
}

export const APP_CONFIG = Symbol('APP_CONFIG');
