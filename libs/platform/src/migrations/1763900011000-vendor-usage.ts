import type { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;
const PARTNER = `NULLIF(current_setting('app.partner_id', true), '')::uuid`;

const METRICS_BEFORE = `'protected_items', 'protected_bytes', 'restore_jobs_succeeded', 'restore_jobs_partially_succeeded',
  'restore_jobs_failed', 'restore_jobs_cancelled', 'restored_items', 'restored_bytes', 'vendor_api_calls'`;

/**
 * Usage in the vendors' own units, for billing on them:
 * - usage_vendor_samples: what a vendor reports for a connection on a UTC day (Veeam's licensed users, the backup
 *   storage it uses), the day's latest sample kept (one row per connection, day and metric);
 * - usage_daily takes three more metrics: backed_up_bytes (bytes the vendor's backup runs processed, by the day
 *   they ended), licensed_users and storage_bytes (the day's samples summed over the tenant's connections).
 */
export class VendorUsage1763900011000 implements MigrationInterface {
  name = 'VendorUsage1763900011000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      CREATE TABLE usage_vendor_samples (
        partner_id uuid NOT NULL REFERENCES partners(id),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        connection_id uuid NOT NULL REFERENCES connections(id),
        vendor text NOT NULL,
        day date NOT NULL,
        metric text NOT NULL CHECK (metric IN ('licensed_users', 'storage_bytes')),
        quantity bigint NOT NULL CHECK (quantity >= 0),
        sampled_at timestamptz NOT NULL,
        PRIMARY KEY (connection_id, day, metric)
      );
      CREATE INDEX usage_vendor_samples_day_idx ON usage_vendor_samples (day);

      ALTER TABLE usage_daily DROP CONSTRAINT usage_daily_metric_check;
      ALTER TABLE usage_daily ADD CONSTRAINT usage_daily_metric_check
        CHECK (metric IN (${METRICS_BEFORE}, 'backed_up_bytes', 'licensed_users', 'storage_bytes'));

      -- The roll-up reads backup runs by the time they ended.
      CREATE INDEX backup_runs_ended_idx ON backup_runs (ended_at) WHERE ended_at IS NOT NULL AND bytes_processed IS NOT NULL;
    `);
    await qr.query(`ALTER TABLE usage_vendor_samples ENABLE ROW LEVEL SECURITY`);
    await qr.query(`ALTER TABLE usage_vendor_samples FORCE ROW LEVEL SECURITY`);
    await qr.query(
      `CREATE POLICY tenant_or_partner ON usage_vendor_samples USING (tenant_id = ${TENANT} OR partner_id = ${PARTNER}) WITH CHECK (tenant_id = ${TENANT})`,
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`
      DROP INDEX IF EXISTS backup_runs_ended_idx;
      DELETE FROM usage_daily WHERE metric IN ('backed_up_bytes', 'licensed_users', 'storage_bytes');
      ALTER TABLE usage_daily DROP CONSTRAINT usage_daily_metric_check;
      ALTER TABLE usage_daily ADD CONSTRAINT usage_daily_metric_check CHECK (metric IN (${METRICS_BEFORE}));
      DROP TABLE IF EXISTS usage_vendor_samples;
    `);
  }
}
