import type { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;
const PARTNER = `NULLIF(current_setting('app.partner_id', true), '')::uuid`;

/**
 * Webhook deliveries (one message to one endpoint) and every attempt made to deliver it.
 *
 * A delivery belongs to its endpoint's owner: `tenant_id` is the endpoint's tenant (NULL for a
 * partner-wide endpoint), so the same row-level security as `webhook_endpoints` applies. Normal
 * deliveries are unique per (endpoint, event): a re-run fanout cannot duplicate them; replays and tests
 * are extra rows. `scheduled_job_id` names the one BullMQ job allowed to make the next attempt (NULL
 * while the delivery waits behind an earlier one of the same resource, or once it is done).
 *
 * `webhook_endpoints.active_since`: since when the endpoint takes events (creation, re-enabling,
 * a change of event types); the fanout backfills only events after it.
 */
export class WebhookDeliveries1763900001100 implements MigrationInterface {
  name = 'WebhookDeliveries1763900001100';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      ALTER TABLE webhook_endpoints ADD COLUMN active_since timestamptz NOT NULL DEFAULT now();
      CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, id) WHERE deleted_at IS NULL;

      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partners(id),
        tenant_id uuid REFERENCES tenants(id),
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id),
        kind text NOT NULL CHECK (kind IN ('event', 'replay', 'test')),
        event_id uuid REFERENCES events(id),
        event_type text NOT NULL,
        resource_id uuid,
        message_id text NOT NULL,
        payload jsonb,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
        attempt_count int NOT NULL DEFAULT 0,
        schedule_step int NOT NULL DEFAULT 0,
        schedule_seq int NOT NULL DEFAULT 0,
        scheduled_job_id text,
        next_attempt_at timestamptz,
        last_status_code int,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        CHECK (kind = 'test' OR event_id IS NOT NULL)
      );
      CREATE UNIQUE INDEX webhook_deliveries_event_uq ON webhook_deliveries (endpoint_id, event_id) WHERE kind = 'event';
      CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id);
      -- The per-resource order: pending deliveries of one endpoint and resource, by event.
      CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (endpoint_id, resource_id, event_id, id) WHERE status = 'pending';

      CREATE TABLE webhook_delivery_attempts (
        id bigserial PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries(id),
        partner_id uuid NOT NULL REFERENCES partners(id),
        tenant_id uuid REFERENCES tenants(id),
        attempt int NOT NULL,
        url text NOT NULL,
        status_code int,
        duration_ms int NOT NULL,
        error text,
        response_excerpt text,
        attempted_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX webhook_delivery_attempts_delivery_idx ON webhook_delivery_attempts (delivery_id, id);
    `);
    // ENABLEd, not FORCEd, like webhook_endpoints: the app role is confined; the owner (the worker's
    // system connection, which looks a delivery up by id before switching to its partner) is not.
    for (const t of ['webhook_deliveries', 'webhook_delivery_attempts']) {
      await qr.query(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
      await qr.query(`CREATE POLICY tenant_or_partner ON ${t}
        USING (partner_id = ${PARTNER} OR (tenant_id IS NOT NULL AND tenant_id = ${TENANT}))
        WITH CHECK (partner_id = ${PARTNER} OR (tenant_id IS NOT NULL AND tenant_id = ${TENANT}))`);
    }
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`
      DROP TABLE IF EXISTS webhook_delivery_attempts, webhook_deliveries;
      DROP INDEX IF EXISTS webhook_endpoints_tenant_idx;
      ALTER TABLE webhook_endpoints DROP COLUMN IF EXISTS active_since;
    `);
  }
}
