import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One serializer per public resource. The triggers still record, atomically with each change, that it
 * happened and what the row looked like (`data` = the row as JSON, secrets removed, plus the status it
 * moved from under "$previous"; `data_format` = 'row'). The public payload of the event — the events API
 * and the webhook body — is then built from that snapshot by the same code that builds the resource's
 * REST answer (libs/platform/src/events/event.serializer.ts), instead of a second, drifting copy in
 * PL/pgSQL. Events written before this migration keep their stored payload (`data_format` = 'resource').
 * Columns keep their names, so `data->>'status'` (usage facts) reads both formats.
 */
export class EventSnapshots1763900005000 implements MigrationInterface {
  name = 'EventSnapshots1763900005000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      ALTER TABLE events ADD COLUMN data_format text NOT NULL DEFAULT 'resource' CHECK (data_format IN ('resource', 'row'));

      CREATE FUNCTION bg_emit_row_event(p_tenant uuid, p_type text, p_resource_type text, p_resource_id uuid, p_row jsonb, p_previous text)
      RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        v_partner uuid;
        v_id uuid;
      BEGIN
        SELECT partner_id INTO v_partner FROM tenants WHERE id = p_tenant;
        INSERT INTO events (partner_id, tenant_id, type, resource_type, resource_id, data, data_format)
          VALUES (v_partner, p_tenant, p_type, p_resource_type, p_resource_id, p_row || jsonb_build_object('$previous', p_previous), 'row')
          RETURNING id INTO v_id;
        IF bg_webhook_subscribed(v_partner, p_tenant, p_type) THEN
          INSERT INTO outbox (tenant_id, queue, name, job_id, payload)
            VALUES (p_tenant, 'webhooks', 'webhook.fanout', 'webhook.fanout_' || v_id, jsonb_build_object('tenantId', p_tenant, 'eventId', v_id));
          PERFORM pg_notify('bg_outbox', '');
        END IF;
      END $$;

      CREATE OR REPLACE FUNCTION bg_restore_job_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
          PERFORM bg_emit_row_event(NEW.tenant_id, 'restore_job.' || bg_snake(NEW.status), 'restore_job', NEW.id, to_jsonb(NEW),
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END);
        END IF;
        RETURN NULL;
      END $$;

      CREATE OR REPLACE FUNCTION bg_policy_event() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE v_type text;
      BEGIN
        IF TG_OP = 'INSERT' THEN v_type := 'policy.created';
        ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
          v_type := CASE
            WHEN NEW.status = 'inactive' AND OLD.status = 'provisioning' THEN 'policy.provisioned'
            WHEN NEW.status = 'active' THEN 'policy.activated'
            WHEN NEW.status = 'inactive' THEN 'policy.deactivated'
            WHEN NEW.status = 'deleted' THEN 'policy.deleted'
            WHEN NEW.status = 'failed' THEN 'policy.failed' END;
        ELSIF NEW.display_name IS DISTINCT FROM OLD.display_name THEN v_type := 'policy.updated';
        END IF;
        IF v_type IS NOT NULL THEN
          PERFORM bg_emit_row_event(NEW.tenant_id, v_type, 'policy', NEW.id, to_jsonb(NEW), CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END);
        END IF;
        RETURN NULL;
      END $$;

      CREATE OR REPLACE FUNCTION bg_protected_item_event() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE v_type text;
      BEGIN
        IF TG_OP = 'INSERT' THEN v_type := 'protected_item.added';
        ELSIF NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('protected', 'removed', 'failed') THEN v_type := 'protected_item.' || NEW.status;
        END IF;
        IF v_type IS NOT NULL THEN
          PERFORM bg_emit_row_event(NEW.tenant_id, v_type, 'protected_item', NEW.id, to_jsonb(NEW), CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END);
        END IF;
        RETURN NULL;
      END $$;

      -- Never the credentials: every secret column is removed from a connection's snapshot.
      CREATE OR REPLACE FUNCTION bg_connection_event() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE v_type text;
      BEGIN
        IF TG_OP = 'INSERT' THEN v_type := 'connection.created';
        ELSIF NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL THEN v_type := 'connection.deleted';
        ELSIF NEW.health IS DISTINCT FROM OLD.health AND NEW.health IN ('healthy', 'unhealthy') THEN v_type := 'connection.' || NEW.health;
        END IF;
        IF v_type IS NOT NULL THEN
          PERFORM bg_emit_row_event(NEW.tenant_id, v_type, 'connection', NEW.id,
            to_jsonb(NEW) - ARRAY['secret_ciphertext', 'secret_wrapped_key', 'secret_key_id'],
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.health END);
        END IF;
        RETURN NULL;
      END $$;
    `);
  }

  async down(): Promise<void> {
    // The trigger bodies of the events migration were replaced in place; re-creating them here would be a
    // second copy of that SQL. Nothing in the project reverts migrations; restore a backup instead.
    throw new Error('EventSnapshots1763900005000 cannot be reverted in place: restore a database backup taken before it.');
  }
}
