import type { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;
const PARTNER = `NULLIF(current_setting('app.partner_id', true), '')::uuid`;

/**
 * Protection health. Backup runs read back from the vendor (or started on demand) in backup_runs, the items each
 * covered in backup_run_items; on every protected item the facts its health is judged from (last run, last
 * successful backup, newest restore point, whether the vendor still protects it) and the judged state with its
 * reason and since when; on every policy its own RPO (null: the vendor's default) and the health derived from its
 * items. Events: backup_run.<status> on every run status, and protected_item.at_risk / .failed / .healthy (healthy
 * only as a recovery from a problem) on a change of an item's protection state that is not already a status event.
 * Tenant tables: RLS (FORCE) keyed on app.tenant_id like the tables of InitialSchema1763900000000. A partner
 * transaction (app.partner_id) may read, never write, its tenants' policies and protected items: the partner-wide
 * protection summary is one query across them.
 */
export class ProtectionHealth1763900009000 implements MigrationInterface {
  name = 'ProtectionHealth1763900009000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      ALTER TABLE policies
        ADD COLUMN rpo_minutes integer CHECK (rpo_minutes IS NULL OR rpo_minutes BETWEEN 5 AND 525600),
        ADD COLUMN health text NOT NULL DEFAULT 'unknown' CHECK (health IN ('healthy', 'atRisk', 'failed', 'unprotected', 'unknown')),
        ADD COLUMN health_since timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN runs_synced_at timestamptz;

      ALTER TABLE protected_items
        ADD COLUMN protection_state text NOT NULL DEFAULT 'unknown'
          CHECK (protection_state IN ('healthy', 'atRisk', 'failed', 'unprotected', 'unknown')),
        ADD COLUMN protection_since timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN protection_reason text,
        ADD COLUMN vendor_unprotected boolean NOT NULL DEFAULT false,
        ADD COLUMN last_backup_at timestamptz,
        ADD COLUMN last_successful_backup_at timestamptz,
        ADD COLUMN last_run_status text,
        ADD COLUMN last_run_error text,
        ADD COLUMN last_run_error_code text,
        ADD COLUMN latest_restore_point_at timestamptz;
      CREATE INDEX protected_items_state_idx ON protected_items (tenant_id, protection_state, id) WHERE status <> 'removed';

      CREATE TABLE backup_runs (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        connection_id uuid NOT NULL REFERENCES connections(id),
        policy_id uuid NOT NULL REFERENCES policies(id),
        protected_item_id uuid REFERENCES protected_items(id),
        trigger text NOT NULL CHECK (trigger IN ('scheduled', 'onDemand')),
        status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'warning', 'failed')),
        vendor_ref text,
        vendor_status text,
        operation jsonb,
        started_at timestamptz,
        ended_at timestamptz,
        items_processed integer,
        bytes_processed bigint,
        error_code text,
        error_vendor_code text,
        error_message text,
        request_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX backup_runs_tenant_idx ON backup_runs (tenant_id, id);
      CREATE INDEX backup_runs_policy_idx ON backup_runs (policy_id, id);
      CREATE UNIQUE INDEX backup_runs_vendor_uq ON backup_runs (connection_id, vendor_ref) WHERE vendor_ref IS NOT NULL;
      -- One on-demand run going per policy and item (NIL: a whole-policy run): a second request gets the first.
      CREATE UNIQUE INDEX backup_runs_on_demand_uq ON backup_runs (policy_id, COALESCE(protected_item_id, '00000000-0000-0000-0000-000000000000'))
        WHERE trigger = 'onDemand' AND status IN ('queued', 'running');

      CREATE TABLE backup_run_items (
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        backup_run_id uuid NOT NULL REFERENCES backup_runs(id),
        protected_item_id uuid NOT NULL REFERENCES protected_items(id),
        status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'warning', 'failed')),
        error_code text,
        error_message text,
        PRIMARY KEY (backup_run_id, protected_item_id)
      );
      CREATE INDEX backup_run_items_item_idx ON backup_run_items (protected_item_id, backup_run_id);

      CREATE FUNCTION bg_backup_run_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
          PERFORM bg_emit_row_event(NEW.tenant_id, 'backup_run.' || NEW.status, 'backup_run', NEW.id, to_jsonb(NEW) - 'operation',
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END);
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER backup_runs_events AFTER INSERT OR UPDATE OF status ON backup_runs FOR EACH ROW EXECUTE FUNCTION bg_backup_run_event();

      CREATE OR REPLACE FUNCTION bg_protected_item_event() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE v_type text;
      BEGIN
        IF TG_OP = 'INSERT' THEN v_type := 'protected_item.added';
        ELSIF NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('protected', 'removed', 'failed') THEN v_type := 'protected_item.' || NEW.status;
        ELSIF NEW.protection_state IS DISTINCT FROM OLD.protection_state THEN
          v_type := CASE
            WHEN NEW.protection_state = 'atRisk' THEN 'protected_item.at_risk'
            WHEN NEW.protection_state = 'failed' THEN 'protected_item.failed'
            WHEN NEW.protection_state = 'healthy' AND OLD.protection_state IN ('atRisk', 'failed') THEN 'protected_item.healthy' END;
        END IF;
        IF v_type IS NOT NULL THEN
          PERFORM bg_emit_row_event(NEW.tenant_id, v_type, 'protected_item', NEW.id, to_jsonb(NEW),
            CASE WHEN TG_OP = 'UPDATE' THEN CASE WHEN v_type IN ('protected_item.at_risk', 'protected_item.healthy')
              OR (v_type = 'protected_item.failed' AND NEW.status = OLD.status) THEN OLD.protection_state ELSE OLD.status END END);
        END IF;
        RETURN NULL;
      END $$;
      DROP TRIGGER protected_items_events ON protected_items;
      CREATE TRIGGER protected_items_events AFTER INSERT OR UPDATE OF status, protection_state ON protected_items
        FOR EACH ROW EXECUTE FUNCTION bg_protected_item_event();
    `);
    for (const table of ['backup_runs', 'backup_run_items']) {
      await qr.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await qr.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
      await qr.query(`CREATE POLICY tenant_isolation ON ${table} USING (tenant_id = ${TENANT}) WITH CHECK (tenant_id = ${TENANT})`);
    }
    for (const table of ['policies', 'protected_items']) {
      await qr.query(
        `CREATE POLICY partner_read ON ${table} FOR SELECT USING (tenant_id IN (SELECT t.id FROM tenants t WHERE t.partner_id = ${PARTNER}))`,
      );
    }
  }

  async down(): Promise<void> {
    // Replaces the protected-item trigger body in place, as EventSnapshots1763900005000 does; nothing in the project reverts migrations.
    throw new Error('ProtectionHealth1763900009000 cannot be reverted in place: restore a database backup taken before it.');
  }
}
