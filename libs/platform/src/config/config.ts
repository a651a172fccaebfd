import { z } from 'zod';

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
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('bg'),
  PORT: port.default(3000),
  HOST: z.string().default('0.0.0.0'),
  SANDBOX_PORT: port.default(4010),
  PUBLIC_URL: z.string().optional(),
  ADMIN_API_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  MASTER_KEY: base64Key.optional(),
  MASTER_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .default('k1'),
  /** Retired master keys still able to unwrap old data keys: "id:base64,id:base64". */
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
  /** How often the worker writes its counted vendor API calls (one insert per flush). */
  USAGE_FLUSH_MS: z.coerce.number().int().min(50).default(10_000),
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
});

export type AppConfig = z.infer<typeof configSchema> & { masterKey: Buffer | undefined; retiredKeys: Map<string, Buffer> };

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
  if (c.NODE_ENV === 'production') {
    const missing = (['ADMIN_API_KEY', 'MASTER_KEY'] as const).filter((k) => !c[k]);
    if (missing.length)
      throw new ConfigError(`Invalid configuration:\n  ${missing.map((k) => `${k}: required in production`).join('\n  ')}`);
  }
  const retiredKeys = new Map<string, Buffer>();
  for (const part of c.MASTER_KEYS_RETIRED.split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [id, key] = part.split(':');
    const buf = key ? Buffer.from(key, 'base64') : Buffer.alloc(0);
    if (!id || buf.length !== 32)
      throw new ConfigError('Invalid configuration:\n  MASTER_KEYS_RETIRED: must be "id:base64-32-byte-key,..."');
    retiredKeys.set(id, buf);
  }
  return { ...c, masterKey: c.MASTER_KEY ? Buffer.from(c.MASTER_KEY, 'base64') : undefined, retiredKeys };
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
