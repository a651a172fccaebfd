import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `pending_webhook_fanouts`: one row per event whose webhook fan-out is owed, written by the events trigger in the
 * event's transaction (beside its `webhook.fanout` outbox row) and deleted by the fan-out's own transaction. The
 * outbox row is gone once the relay hands the job to BullMQ, and a job can still be lost after that (it stalled
 * more often than BullMQ tolerates, its attempts ran out, Redis lost it); this row outlives the job, so the
 * maintenance sweep finds every event still owed its deliveries and fans it out itself.
 *
 *   sweep_after  when the sweep may take the fan-out over: 2 minutes after the event (a fan-out normally runs
 *                within a second), then pushed back by the sweep on every try (sweeps counts them).
 *
 * The table holds only what is in flight (tiny), so the sweep is one indexed query however many events exist.
 * Ids only, no RLS: like the outbox it is plumbing, read by the owner's sweep and written by the app role's
 * triggers and fan-outs. The retention prune keeps an event that still has a row; a purged tenant's rows go
 * with it (tenant_id), and a deleted event takes its row along (ON DELETE CASCADE).
 */
export class PendingWebhookFanouts1763900017000 implements MigrationInterface {
  name = 'PendingWebhookFanouts1763900017000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      CREATE TABLE pending_webhook_fanouts (
        event_id uuid PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
        partner_id uuid NOT NULL,
        tenant_id uuid,
        sweep_after timestamptz NOT NULL DEFAULT now() + interval '2 minutes',
        sweeps int NOT NULL DEFAULT 0
      );
      CREATE INDEX pending_webhook_fanouts_sweep_idx ON pending_webhook_fanouts (sweep_after);
    `);
    await qr.query(emitters(true));
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(emitters(false));
    await qr.query(`DROP TABLE IF EXISTS pending_webhook_fanouts`);
  }
}

/**
 * The two event writers that queue a fan-out (bg_emit_row_event, event-snapshots migration; bg_emit_owner_event,
 * webhook-operational-events migration), as they were, plus (`marked`) the pending fan-out row.
 */
function emitters(marked: boolean): string {
  const mark = (partner: string, tenant: string) =>
    marked ? `INSERT INTO pending_webhook_fanouts (event_id, partner_id, tenant_id) VALUES (v_id, ${partner}, ${tenant});` : '';
  return `
    CREATE OR REPLACE FUNCTION bg_emit_row_event(p_tenant uuid, p_type text, p_resource_type text, p_resource_id uuid, p_row jsonb, p_previous text)
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
        ${mark('v_partner', 'p_tenant')}
        PERFORM pg_notify('bg_outbox', '');
      END IF;
    END $$;

    CREATE OR REPLACE FUNCTION bg_emit_owner_event(p_partner uuid, p_tenant uuid, p_type text, p_resource_type text, p_resource_id uuid, p_row jsonb)
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
        ${mark('p_partner', 'p_tenant')}
        PERFORM pg_notify('bg_outbox', '');
      END IF;
    END $$;
  `;
}
