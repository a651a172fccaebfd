import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scoped API keys and per-partner rate limits. Existing keys get every scope (they keep working as
 * before), no expiry and no last use; partners get no override (the configured defaults apply).
 */
export class ApiKeyScopes1763900013000 implements MigrationInterface {
  name = 'ApiKeyScopes1763900013000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      ALTER TABLE api_keys
        ADD COLUMN scopes text[] NOT NULL DEFAULT ARRAY['read', 'restore', 'backup', 'billing', 'webhooks', 'manage'],
        ADD COLUMN expires_at timestamptz,
        ADD COLUMN last_used_at timestamptz,
        ADD CONSTRAINT api_keys_scopes_known CHECK (scopes <@ ARRAY['read', 'restore', 'backup', 'billing', 'webhooks', 'manage']);
      ALTER TABLE partners
        ADD COLUMN rate_limit_per_key int CHECK (rate_limit_per_key > 0),
        ADD COLUMN rate_limit_per_tenant int CHECK (rate_limit_per_tenant > 0);
    `);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`
      ALTER TABLE partners DROP COLUMN IF EXISTS rate_limit_per_key, DROP COLUMN IF EXISTS rate_limit_per_tenant;
      ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_scopes_known,
        DROP COLUMN IF EXISTS scopes, DROP COLUMN IF EXISTS expires_at, DROP COLUMN IF EXISTS last_used_at;
    `);
  }
}
