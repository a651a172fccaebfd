import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Offboarding (DELETE /v1/tenants/{id}, DELETE /v1/partners/{id}). A tenant is `active`, then `offboarding`
 * (writes refused, keys revoked, its connections deleted; the worker drains its jobs and, if asked, removes its
 * vendor objects), then `deleted`; its data is purged once `purge_after` passes (`purged_at`). The tenant row
 * itself stays, so GET answers its status. A status change emits `tenant.offboarding` / `tenant.deleted`
 * (resource `tenant`, row snapshot like the other resources). A connection's sealed credentials may be wiped
 * (all three columns NULL), only once it is deleted.
 */
export class Offboarding1763900015000 implements MigrationInterface {
  name = 'Offboarding1763900015000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      ALTER TABLE tenants
        ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'offboarding', 'deleted')),
        ADD COLUMN vendor_objects text CHECK (vendor_objects IN ('keep', 'remove')),
        ADD COLUMN offboarding_at timestamptz,
        ADD COLUMN offboard_deadline_at timestamptz,
        ADD COLUMN deleted_at timestamptz,
        ADD COLUMN purge_after timestamptz,
        ADD COLUMN purged_at timestamptz;
      CREATE INDEX tenants_purge_idx ON tenants (purge_after) WHERE status = 'deleted' AND purged_at IS NULL;

      ALTER TABLE partners
        ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted')),
        ADD COLUMN deleted_at timestamptz;

      ALTER TABLE connections
        ALTER COLUMN secret_ciphertext DROP NOT NULL,
        ALTER COLUMN secret_wrapped_key DROP NOT NULL,
        ALTER COLUMN secret_key_id DROP NOT NULL,
        ADD CONSTRAINT connections_secret_wiped_only_deleted CHECK (
          (secret_ciphertext IS NOT NULL AND secret_wrapped_key IS NOT NULL AND secret_key_id IS NOT NULL)
          OR (secret_ciphertext IS NULL AND secret_wrapped_key IS NULL AND secret_key_id IS NULL AND deleted_at IS NOT NULL));

      CREATE FUNCTION bg_tenant_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('offboarding', 'deleted') THEN
          PERFORM bg_emit_row_event(NEW.id, 'tenant.' || NEW.status, 'tenant', NEW.id, to_jsonb(NEW), OLD.status);
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER tenants_events AFTER UPDATE OF status ON tenants FOR EACH ROW EXECUTE FUNCTION bg_tenant_event();
    `);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`
      DROP TRIGGER IF EXISTS tenants_events ON tenants;
      DROP FUNCTION IF EXISTS bg_tenant_event();
      DELETE FROM events WHERE resource_type = 'tenant';
      ALTER TABLE connections DROP CONSTRAINT IF EXISTS connections_secret_wiped_only_deleted;
      ALTER TABLE partners DROP COLUMN IF EXISTS status, DROP COLUMN IF EXISTS deleted_at;
      DROP INDEX IF EXISTS tenants_purge_idx;
      ALTER TABLE tenants DROP COLUMN IF EXISTS status, DROP COLUMN IF EXISTS vendor_objects, DROP COLUMN IF EXISTS offboarding_at,
        DROP COLUMN IF EXISTS offboard_deadline_at, DROP COLUMN IF EXISTS deleted_at, DROP COLUMN IF EXISTS purge_after,
        DROP COLUMN IF EXISTS purged_at;
    `);
  }
}
