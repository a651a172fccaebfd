import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config';

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Creates (or updates) the non-owner app role and grants it table access. The role has no BYPASSRLS
 * and owns nothing, so row-level security applies to everything it does.
 */
export async function ensureAppRole(owner: DataSource, config: AppConfig): Promise<void> {
  const role = config.DATABASE_APP_USER;
  const pw = quoteLiteral(config.DATABASE_APP_PASSWORD);
  await owner.query(`DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
      CREATE ROLE ${role} LOGIN PASSWORD ${pw} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    ELSE
      ALTER ROLE ${role} LOGIN PASSWORD ${pw} NOSUPERUSER NOBYPASSRLS;
    END IF;
  END $$`);
  const [{ db }] = await owner.query('SELECT current_database() AS db');
  await owner.query(`GRANT CONNECT ON DATABASE "${db}" TO ${role}`);
  await owner.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
  await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
  await owner.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
  await appendOnlyGrants(owner, role);
}

/**
 * The audit log is append-only for the app role (see the audit-log migration): it reads, and appends only through
 * audit_log_append(). Taken back after the blanket grant above, on every migrate run.
 */
async function appendOnlyGrants(owner: DataSource, role: string): Promise<void> {
  const [{ present }] = await owner.query(`SELECT to_regclass('public.audit_log') IS NOT NULL AS present`);
  if (!present) return;
  await owner.query(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_log FROM ${role}`);
  await owner.query(`GRANT EXECUTE ON FUNCTION audit_log_append(jsonb) TO ${role}`);
}

/** Runs pending migrations as the owner, then refreshes the app role's grants. Serialized by an advisory lock. */
export async function migrate(owner: DataSource, config: AppConfig): Promise<string[]> {
  await owner.query('SELECT pg_advisory_lock(727274)');
  try {
    const done = await owner.runMigrations({ transaction: 'each' });
    await ensureAppRole(owner, config);
    return done.map((m) => m.name);
  } finally {
    await owner.query('SELECT pg_advisory_unlock(727274)');
  }
}
