import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A rename is an event: `policy.updated` whenever display_name changes. Before, a rename (which also moves
 * a policy at the vendor to `updating`) emitted nothing, and its settling back to active/inactive was
 * reported as a fresh `policy.activated` / `policy.deactivated`. Now the end of an update (updating ->
 * the status it had) emits nothing more; (de)activation still goes through activating/deactivating, so
 * its events are unchanged. Same payload as before (bg_emit_row_event with the row).
 */
export class PolicyUpdatedEvent1763900007000 implements MigrationInterface {
  name = 'PolicyUpdatedEvent1763900007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION bg_policy_event() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE v_type text;
      BEGIN
        IF TG_OP = 'INSERT' THEN v_type := 'policy.created';
        ELSIF NEW.display_name IS DISTINCT FROM OLD.display_name THEN v_type := 'policy.updated';
        ELSIF NEW.status IS DISTINCT FROM OLD.status AND OLD.status <> 'updating' THEN
          v_type := CASE
            WHEN NEW.status = 'inactive' AND OLD.status = 'provisioning' THEN 'policy.provisioned'
            WHEN NEW.status = 'active' THEN 'policy.activated'
            WHEN NEW.status = 'inactive' THEN 'policy.deactivated'
            WHEN NEW.status = 'deleted' THEN 'policy.deleted'
            WHEN NEW.status = 'failed' THEN 'policy.failed' END;
        END IF;
        IF v_type IS NOT NULL THEN
          PERFORM bg_emit_row_event(NEW.tenant_id, v_type, 'policy', NEW.id, to_jsonb(NEW), CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END);
        END IF;
        RETURN NULL;
      END $$;
    `);
  }

  async down(): Promise<void> {
    // Replaces a trigger body in place, as EventSnapshots1763900005000 does; nothing in the project reverts migrations.
    throw new Error('PolicyUpdatedEvent1763900007000 cannot be reverted in place: restore a database backup taken before it.');
  }
}
