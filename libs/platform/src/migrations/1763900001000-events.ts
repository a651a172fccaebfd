import type { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;
const PARTNER = `NULLIF(current_setting('app.partner_id', true), '')::uuid`;

/**
 * Published events (GET /v1/events, webhooks) and webhook endpoints.
 *
 * Events are written by triggers on the resource tables, in the same transaction as the change they
 * describe, so no code path can change a restore job, policy, protected item or connection without its
 * event. When an enabled webhook endpoint subscribes to the event, the trigger also writes a
 * `webhook.fanout` outbox row (same transaction), which the worker relays and delivers.
 *
 * Visibility: a tenant transaction (app.tenant_id) sees its tenant's rows; a partner transaction
 * (app.partner_id, see TenantDb.runAsPartner) sees every row of the partner's tenants.
 */
export class Events1763900001000 implements MigrationInterface {
  name = 'Events1763900001000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      -- RFC 9562 UUIDv7: 48-bit unix ms, version 7, random rest; time-ordered like the app's newId().
      CREATE FUNCTION bg_uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
        SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
          PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
      $$;

      CREATE TABLE events (
        id uuid PRIMARY KEY DEFAULT bg_uuid_v7(),
        partner_id uuid NOT NULL REFERENCES partners(id),
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        type text NOT NULL,
        resource_type text NOT NULL,
        resource_id uuid NOT NULL,
        data jsonb NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX events_tenant_idx ON events (tenant_id, id);
      CREATE INDEX events_partner_idx ON events (partner_id, id);
      CREATE INDEX events_resource_idx ON events (resource_id, id);

      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partners(id),
        tenant_id uuid REFERENCES tenants(id),
        url text NOT NULL,
        description text,
        event_types text[] NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        secret_ciphertext bytea NOT NULL,
        secret_wrapped_key bytea NOT NULL,
        secret_key_id text NOT NULL,
        previous_secret_ciphertext bytea,
        previous_secret_wrapped_key bytea,
        previous_secret_key_id text,
        previous_secret_expires_at timestamptz,
        failing_since timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      );
      CREATE INDEX webhook_endpoints_partner_idx ON webhook_endpoints (partner_id, id) WHERE deleted_at IS NULL;

      -- Does any enabled endpoint of the partner (partner-wide or for this tenant) take this event type?
      -- SECURITY DEFINER: a tenant transaction cannot see partner-wide endpoints itself.
      CREATE FUNCTION bg_webhook_subscribed(p_partner uuid, p_tenant uuid, p_type text) RETURNS boolean
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
        SELECT EXISTS (SELECT 1 FROM webhook_endpoints
          WHERE partner_id = p_partner AND (tenant_id IS NULL OR tenant_id = p_tenant) AND enabled AND deleted_at IS NULL
            AND event_types && ARRAY[p_type, split_part(p_type, '.', 1) || '.*', '*'])
      $$;

      CREATE FUNCTION bg_emit_event(p_tenant uuid, p_type text, p_resource_type text, p_resource_id uuid, p_data jsonb) RETURNS void
      LANGUAGE plpgsql AS $$
      DECLARE
        v_partner uuid;
        v_id uuid;
      BEGIN
        SELECT partner_id INTO v_partner FROM tenants WHERE id = p_tenant;
        INSERT INTO events (partner_id, tenant_id, type, resource_type, resource_id, data)
          VALUES (v_partner, p_tenant, p_type, p_resource_type, p_resource_id, p_data) RETURNING id INTO v_id;
        IF bg_webhook_subscribed(v_partner, p_tenant, p_type) THEN
          INSERT INTO outbox (tenant_id, queue, name, job_id, payload)
            VALUES (p_tenant, 'webhooks', 'webhook.fanout', 'webhook.fanout_' || v_id, jsonb_build_object('tenantId', p_tenant, 'eventId', v_id));
          PERFORM pg_notify('bg_outbox', '');
        END IF;
      END $$;

      CREATE FUNCTION bg_snake(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT lower(regexp_replace(s, '([a-z])([A-Z])', '\\1_\\2', 'g'))
      $$;

      CREATE FUNCTION bg_restore_job_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
          PERFORM bg_emit_event(NEW.tenant_id, 'restore_job.' || bg_snake(NEW.status), 'restore_job', NEW.id, jsonb_build_object(
            'id', NEW.id, 'tenantId', NEW.tenant_id, 'connectionId', NEW.connection_id, 'vendor', NEW.vendor, 'workload', NEW.workload,
            'destination', NEW.destination, 'status', NEW.status, 'previousStatus', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
            'statusReason', NEW.status_reason, 'vendorStatus', NEW.vendor_status,
            'error', CASE WHEN NEW.error_code IS NOT NULL THEN jsonb_build_object('code', NEW.error_code, 'message', NEW.error_message) END,
            'items', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'restorePointId', i->'restorePointId', 'protectedItemId', i->'protectedItemId', 'externalId', i->'externalId',
                'status', i->'status', 'errorCode', i->'errorCode')), '[]'::jsonb) FROM jsonb_array_elements(NEW.items) i),
            'createdAt', NEW.created_at, 'updatedAt', NEW.updated_at, 'completedAt', NEW.completed_at));
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER restore_jobs_events AFTER INSERT OR UPDATE OF status ON restore_jobs FOR EACH ROW EXECUTE FUNCTION bg_restore_job_event();

      CREATE FUNCTION bg_policy_event() RETURNS trigger LANGUAGE plpgsql AS $$
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
          PERFORM bg_emit_event(NEW.tenant_id, v_type, 'policy', NEW.id, jsonb_build_object(
            'id', NEW.id, 'tenantId', NEW.tenant_id, 'connectionId', NEW.connection_id, 'vendor', NEW.vendor, 'workload', NEW.workload,
            'displayName', NEW.display_name, 'status', NEW.status, 'previousStatus', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
            'desiredActive', NEW.desired_active,
            'error', CASE WHEN NEW.error_code IS NOT NULL THEN jsonb_build_object('code', NEW.error_code, 'message', NEW.error_message) END,
            'updatedAt', NEW.updated_at));
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER policies_events AFTER INSERT OR UPDATE OF status, display_name ON policies FOR EACH ROW EXECUTE FUNCTION bg_policy_event();

      CREATE FUNCTION bg_protected_item_event() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE v_type text;
      BEGIN
        IF TG_OP = 'INSERT' THEN v_type := 'protected_item.added';
        ELSIF NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('protected', 'removed', 'failed') THEN v_type := 'protected_item.' || NEW.status;
        END IF;
        IF v_type IS NOT NULL THEN
          PERFORM bg_emit_event(NEW.tenant_id, v_type, 'protected_item', NEW.id, jsonb_build_object(
            'id', NEW.id, 'tenantId', NEW.tenant_id, 'policyId', NEW.policy_id, 'connectionId', NEW.connection_id, 'kind', NEW.kind,
            'externalId', NEW.external_id, 'displayName', NEW.display_name, 'status', NEW.status,
            'previousStatus', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, 'sizeBytes', NEW.size_bytes,
            'error', CASE WHEN NEW.error_code IS NOT NULL THEN jsonb_build_object('code', NEW.error_code, 'message', NEW.error_message) END,
            'updatedAt', NEW.updated_at));
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER protected_items_events AFTER INSERT OR UPDATE OF status ON protected_items FOR EACH ROW EXECUTE FUNCTION bg_protected_item_event();

      -- Never the credentials: only the public columns of a connection go into its events.
      CREATE FUNCTION bg_connection_event() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE v_type text;
      BEGIN
        IF TG_OP = 'INSERT' THEN v_type := 'connection.created';
        ELSIF NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL THEN v_type := 'connection.deleted';
        ELSIF NEW.health IS DISTINCT FROM OLD.health AND NEW.health IN ('healthy', 'unhealthy') THEN v_type := 'connection.' || NEW.health;
        END IF;
        IF v_type IS NOT NULL THEN
          PERFORM bg_emit_event(NEW.tenant_id, v_type, 'connection', NEW.id, jsonb_build_object(
            'id', NEW.id, 'tenantId', NEW.tenant_id, 'vendor', NEW.vendor, 'displayName', NEW.display_name, 'endpoint', NEW.endpoint,
            'health', NEW.health, 'previousHealth', CASE WHEN TG_OP = 'UPDATE' THEN OLD.health END, 'healthDetail', NEW.health_detail,
            'lastVerifiedAt', NEW.last_verified_at, 'updatedAt', NEW.updated_at));
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER connections_events AFTER INSERT OR UPDATE OF health, deleted_at ON connections FOR EACH ROW EXECUTE FUNCTION bg_connection_event();
    `);
    await qr.query(`ALTER TABLE events ENABLE ROW LEVEL SECURITY`);
    await qr.query(`ALTER TABLE events FORCE ROW LEVEL SECURITY`);
    await qr.query(
      `CREATE POLICY tenant_or_partner ON events USING (tenant_id = ${TENANT} OR partner_id = ${PARTNER}) WITH CHECK (tenant_id = ${TENANT})`,
    );
    // Not FORCEd: the owner-defined bg_webhook_subscribed() must see partner-wide endpoints from a tenant transaction.
    await qr.query(`ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY`);
    await qr.query(`CREATE POLICY tenant_or_partner ON webhook_endpoints
      USING (partner_id = ${PARTNER} OR (tenant_id IS NOT NULL AND tenant_id = ${TENANT}))
      WITH CHECK (partner_id = ${PARTNER} OR (tenant_id IS NOT NULL AND tenant_id = ${TENANT}))`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`
      DROP TRIGGER IF EXISTS restore_jobs_events ON restore_jobs;
      DROP TRIGGER IF EXISTS policies_events ON policies;
      DROP TRIGGER IF EXISTS protected_items_events ON protected_items;
      DROP TRIGGER IF EXISTS connections_events ON connections;
      DROP FUNCTION IF EXISTS bg_restore_job_event, bg_policy_event, bg_protected_item_event, bg_connection_event, bg_emit_event, bg_webhook_subscribed, bg_snake;
      DROP TABLE IF EXISTS webhook_endpoints, events;
      DROP FUNCTION IF EXISTS bg_uuid_v7;
    `);
  }
}
