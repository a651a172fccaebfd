import type { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;
const PARTNER = `NULLIF(current_setting('app.partner_id', true), '')::uuid`;

/**
 * Events about an integration's own webhook set-up, so it learns that its endpoint was switched off:
 *   webhook_endpoint.disabled   an endpoint went from enabled to disabled (410, failing for too long, or a PATCH),
 *                               its data the endpoint's public JSON (with disabledReason);
 *   message.attempts_exhausted  a delivery of an event ended failed after its attempts while its endpoint stays
 *                               on (judged at commit), its data the delivery's public JSON. Not emitted for the delivery of an
 *                               attempts_exhausted event itself, so a failing endpoint cannot feed a chain.
 * They belong to the endpoint's owner: `tenant_id` is the endpoint's tenant, NULL for a partner-wide endpoint (so
 * events.tenant_id becomes nullable; such an event is seen by its partner only). Secrets never enter a snapshot.
 */
export class WebhookOperationalEvents1763900010000 implements MigrationInterface {
  name = 'WebhookOperationalEvents1763900010000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      ALTER TABLE events ALTER COLUMN tenant_id DROP NOT NULL;
      DROP POLICY tenant_or_partner ON events;
      CREATE POLICY tenant_or_partner ON events USING (tenant_id = ${TENANT} OR partner_id = ${PARTNER})
        WITH CHECK (tenant_id = ${TENANT} OR partner_id = ${PARTNER});

      -- An event of a partner's own set-up (p_tenant: the endpoint's tenant, or NULL), as a row snapshot.
      CREATE FUNCTION bg_emit_owner_event(p_partner uuid, p_tenant uuid, p_type text, p_resource_type text, p_resource_id uuid, p_row jsonb)
      RETURNS void LANGUAGE plpgsql AS $$
      DECLARE v_id uuid;
      BEGIN
        INSERT INTO events (partner_id, tenant_id, type, resource_type, resource_id, data, data_format)
          VALUES (p_partner, p_tenant, p_type, p_resource_type, p_resource_id, p_row || jsonb_build_object('$previous', NULL), 'row')
          RETURNING id INTO v_id;
        IF bg_webhook_subscribed(p_partner, p_tenant, p_type) THEN
          INSERT INTO outbox (tenant_id, queue, name, job_id, payload)
            VALUES (p_tenant, 'webhooks', 'webhook.fanout', 'webhook.fanout_' || v_id,
              jsonb_build_object('tenantId', p_tenant, 'partnerId', p_partner, 'eventId', v_id));
          PERFORM pg_notify('bg_outbox', '');
        END IF;
      END $$;

      CREATE FUNCTION bg_webhook_endpoint_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.enabled AND NOT NEW.enabled AND NEW.deleted_at IS NULL THEN
          PERFORM bg_emit_owner_event(NEW.partner_id, NEW.tenant_id, 'webhook_endpoint.disabled', 'webhook_endpoint', NEW.id,
            to_jsonb(NEW) - ARRAY['secret_ciphertext', 'secret_wrapped_key', 'secret_key_id',
              'previous_secret_ciphertext', 'previous_secret_wrapped_key', 'previous_secret_key_id']);
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER webhook_endpoints_events AFTER UPDATE OF enabled ON webhook_endpoints
        FOR EACH ROW EXECUTE FUNCTION bg_webhook_endpoint_event();

      CREATE FUNCTION bg_webhook_delivery_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'failed' AND OLD.status = 'pending' AND NEW.kind = 'event' AND NEW.attempt_count > 0
           AND NEW.event_type <> 'message.attempts_exhausted'
           AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = NEW.endpoint_id AND e.enabled AND e.deleted_at IS NULL) THEN
          PERFORM bg_emit_owner_event(NEW.partner_id, NEW.tenant_id, 'message.attempts_exhausted', 'message', NEW.id,
            to_jsonb(NEW) - 'payload');
        END IF;
        RETURN NULL;
      END $$;
      -- Deferred to commit: a delivery that failed because its endpoint answered 410 (the endpoint is disabled in
      -- the same transaction, after the delivery ended) is told as webhook_endpoint.disabled, not as exhausted.
      CREATE CONSTRAINT TRIGGER webhook_deliveries_events AFTER UPDATE OF status ON webhook_deliveries
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bg_webhook_delivery_event();
    `);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`
      DROP TRIGGER IF EXISTS webhook_deliveries_events ON webhook_deliveries;
      DROP TRIGGER IF EXISTS webhook_endpoints_events ON webhook_endpoints;
      DROP FUNCTION IF EXISTS bg_webhook_delivery_event, bg_webhook_endpoint_event, bg_emit_owner_event;
      DELETE FROM events WHERE tenant_id IS NULL;
      DROP POLICY tenant_or_partner ON events;
      CREATE POLICY tenant_or_partner ON events USING (tenant_id = ${TENANT} OR partner_id = ${PARTNER}) WITH CHECK (tenant_id = ${TENANT});
      ALTER TABLE events ALTER COLUMN tenant_id SET NOT NULL;
    `);
  }
}
