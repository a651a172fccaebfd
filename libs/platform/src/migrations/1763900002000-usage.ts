import type { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;
const PARTNER = `NULLIF(current_setting('app.partner_id', true), '')::uuid`;

/**
 * Usage metering (GET /v1/usage). Facts come from history that is written in the same transaction as
 * the change it describes: restore_jobs (terminal status, completed_at, per-item status), the
 * protected_item.* events (protected / removed / failed), and two fact tables added here:
 *   usage_item_sizes    every size a protected item had and since when (trigger on protected_items),
 *                       so a past day's bytes never change because an item grew later;
 *   usage_vendor_calls  vendor API calls per connection and UTC day, appended by the worker in batches.
 * The worker rolls them up into usage_daily. A day is finalized once (usage_days); its rows are then
 * immutable (trigger) and a later difference is a new `correction` row holding the delta.
 */
export class Usage1763900002000 implements MigrationInterface {
  name = 'Usage1763900002000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      CREATE TABLE usage_item_sizes (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        protected_item_id uuid NOT NULL REFERENCES protected_items(id),
        size_bytes bigint,
        recorded_at timestamptz NOT NULL
      );
      CREATE INDEX usage_item_sizes_item_idx ON usage_item_sizes (protected_item_id, recorded_at, id);

      -- The size applies from the row's updated_at (set by every writer to now()); an update that left
      -- updated_at alone is dated now().
      CREATE FUNCTION bg_usage_item_size() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO usage_item_sizes (tenant_id, protected_item_id, size_bytes, recorded_at)
          VALUES (NEW.tenant_id, NEW.id, NEW.size_bytes,
            CASE WHEN TG_OP = 'UPDATE' AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN now() ELSE NEW.updated_at END);
        RETURN NULL;
      END $$;
      CREATE TRIGGER protected_items_usage_size_ins AFTER INSERT ON protected_items
        FOR EACH ROW WHEN (NEW.size_bytes IS NOT NULL) EXECUTE FUNCTION bg_usage_item_size();
      CREATE TRIGGER protected_items_usage_size_upd AFTER UPDATE OF size_bytes ON protected_items
        FOR EACH ROW WHEN (NEW.size_bytes IS DISTINCT FROM OLD.size_bytes) EXECUTE FUNCTION bg_usage_item_size();
      INSERT INTO usage_item_sizes (tenant_id, protected_item_id, size_bytes, recorded_at)
        SELECT tenant_id, id, size_bytes, created_at FROM protected_items WHERE size_bytes IS NOT NULL;

      CREATE TABLE usage_vendor_calls (
        id bigserial PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partners(id),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        vendor text NOT NULL,
        connection_id uuid NOT NULL REFERENCES connections(id),
        day date NOT NULL,
        calls int NOT NULL CHECK (calls > 0),
        recorded_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX usage_vendor_calls_day_idx ON usage_vendor_calls (day);

      CREATE TABLE usage_days (
        day date PRIMARY KEY,
        closed_at timestamptz NOT NULL
      );

      CREATE TABLE usage_daily (
        id bigserial PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partners(id),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        vendor text NOT NULL,
        day date NOT NULL,
        metric text NOT NULL CHECK (metric IN ('protected_items', 'protected_bytes', 'restore_jobs_succeeded',
          'restore_jobs_partially_succeeded', 'restore_jobs_failed', 'restore_jobs_cancelled', 'restored_items',
          'restored_bytes', 'vendor_api_calls')),
        kind text NOT NULL CHECK (kind IN ('daily', 'correction')),
        quantity bigint NOT NULL,
        computed_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz,
        CHECK (kind = 'daily' OR closed_at IS NOT NULL)
      );
      CREATE UNIQUE INDEX usage_daily_dim_uq ON usage_daily (tenant_id, vendor, day, metric) WHERE kind = 'daily';
      CREATE INDEX usage_daily_day_idx ON usage_daily (day);
      CREATE INDEX usage_daily_partner_idx ON usage_daily (partner_id, day);
      CREATE INDEX usage_daily_tenant_idx ON usage_daily (tenant_id, day);

      CREATE FUNCTION bg_usage_daily_closed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'usage_daily row % (day %) is closed; a correction is a new row', OLD.id, OLD.day USING ERRCODE = 'check_violation';
      END $$;
      CREATE TRIGGER usage_daily_closed BEFORE UPDATE OR DELETE ON usage_daily
        FOR EACH ROW WHEN (OLD.closed_at IS NOT NULL) EXECUTE FUNCTION bg_usage_daily_closed();

      -- The roll-up reads restore jobs by completion time and each item's protected/removed history.
      CREATE INDEX restore_jobs_completed_idx ON restore_jobs (completed_at) WHERE completed_at IS NOT NULL;
      CREATE INDEX events_usage_item_idx ON events (resource_id, occurred_at, id) WHERE resource_type = 'protected_item';
    `);
    for (const t of ['usage_daily', 'usage_vendor_calls']) {
      await qr.query(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
      await qr.query(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
      await qr.query(
        `CREATE POLICY tenant_or_partner ON ${t} USING (tenant_id = ${TENANT} OR partner_id = ${PARTNER}) WITH CHECK (tenant_id = ${TENANT})`,
      );
    }
    await qr.query(`ALTER TABLE usage_item_sizes ENABLE ROW LEVEL SECURITY`);
    await qr.query(`ALTER TABLE usage_item_sizes FORCE ROW LEVEL SECURITY`);
    await qr.query(`CREATE POLICY tenant_isolation ON usage_item_sizes USING (tenant_id = ${TENANT}) WITH CHECK (tenant_id = ${TENANT})`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`
      DROP TRIGGER IF EXISTS protected_items_usage_size_ins ON protected_items;
      DROP TRIGGER IF EXISTS protected_items_usage_size_upd ON protected_items;
      DROP INDEX IF EXISTS restore_jobs_completed_idx, events_usage_item_idx;
      DROP TABLE IF EXISTS usage_daily, usage_days, usage_vendor_calls, usage_item_sizes;
      DROP FUNCTION IF EXISTS bg_usage_item_size, bg_usage_daily_closed;
    `);
  }
}
