import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables that hold one tenant's data: RLS (FORCE) keyed on app.tenant_id. */
export const TENANT_TABLES = [
  'connections',
  'policies',
  'protected_items',
  'restore_points',
  'restore_jobs',
  'restore_job_events',
] as const;

/**
 * The foundation schema. Roles: the migration runs as the database owner; the apps connect as the
 * non-owner role named by DATABASE_APP_USER (created by the migrate step, see ensureAppRole), which
 * row-level security constrains to the tenant set per transaction (set_config('app.tenant_id')).
 */
export class InitialSchema1763900000000 implements MigrationInterface {
  name = 'InitialSchema1763900000000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      CREATE TABLE partners (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE tenants (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partners(id),
        name text NOT NULL,
        external_ref text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX tenants_partner_idx ON tenants (partner_id, id);
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        role text NOT NULL CHECK (role IN ('partner', 'tenant')),
        partner_id uuid NOT NULL REFERENCES partners(id),
        tenant_id uuid REFERENCES tenants(id),
        name text NOT NULL,
        prefix text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        CHECK ((role = 'tenant') = (tenant_id IS NOT NULL))
      );
      CREATE TABLE error_catalog (
        vendor text NOT NULL,
        vendor_code text NOT NULL,
        http_status int NOT NULL,
        code text NOT NULL,
        retryable boolean NOT NULL,
        message text NOT NULL,
        PRIMARY KEY (vendor, vendor_code, http_status)
      );
      CREATE TABLE connections (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        vendor text NOT NULL,
        display_name text NOT NULL,
        endpoint text NOT NULL,
        public_credentials jsonb NOT NULL DEFAULT '{}',
        secret_ciphertext bytea NOT NULL,
        secret_wrapped_key bytea NOT NULL,
        secret_key_id text NOT NULL,
        credentials_version int NOT NULL DEFAULT 1,
        health text NOT NULL DEFAULT 'unknown',
        health_detail text,
        last_verified_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      );
      CREATE INDEX connections_tenant_idx ON connections (tenant_id, id) WHERE deleted_at IS NULL;
      CREATE TABLE policies (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        connection_id uuid NOT NULL REFERENCES connections(id),
        vendor text NOT NULL,
        workload text NOT NULL,
        display_name text NOT NULL,
        status text NOT NULL,
        desired_active boolean NOT NULL,
        vendor_ref text,
        vendor_status text,
        error_code text,
        error_message text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX policies_tenant_idx ON policies (tenant_id, id);
      CREATE TABLE protected_items (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        policy_id uuid NOT NULL REFERENCES policies(id),
        connection_id uuid NOT NULL REFERENCES connections(id),
        kind text NOT NULL,
        external_id text NOT NULL,
        display_name text,
        status text NOT NULL,
        vendor_ref text,
        vendor_status text,
        size_bytes bigint,
        error_code text,
        error_message text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX protected_items_tenant_idx ON protected_items (tenant_id, id);
      CREATE INDEX protected_items_policy_idx ON protected_items (policy_id, id);
      CREATE UNIQUE INDEX protected_items_live_uq ON protected_items (policy_id, external_id) WHERE status <> 'removed';
      CREATE TABLE restore_points (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        connection_id uuid NOT NULL REFERENCES connections(id),
        protected_item_id uuid NOT NULL REFERENCES protected_items(id),
        vendor_ref text NOT NULL,
        point_in_time timestamptz NOT NULL,
        expires_at timestamptz,
        tags text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (protected_item_id, vendor_ref)
      );
      CREATE INDEX restore_points_tenant_idx ON restore_points (tenant_id, id);
      CREATE INDEX restore_points_item_idx ON restore_points (protected_item_id, point_in_time);
      CREATE TABLE restore_jobs (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        connection_id uuid NOT NULL REFERENCES connections(id),
        vendor text NOT NULL,
        workload text NOT NULL,
        destination text NOT NULL,
        target jsonb,
        status text NOT NULL,
        status_reason text,
        items jsonb NOT NULL,
        vendor_ref text,
        vendor_extra jsonb,
        vendor_status text,
        submit_phase text NOT NULL DEFAULT 'none',
        error_code text,
        error_message text,
        error_detail jsonb,
        cancel_requested boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        deadline_at timestamptz NOT NULL
      );
      CREATE INDEX restore_jobs_tenant_idx ON restore_jobs (tenant_id, id);
      CREATE INDEX restore_jobs_active_idx ON restore_jobs (connection_id, status)
        WHERE status IN ('queued', 'submitting', 'running', 'cancelling');
      CREATE TABLE restore_job_events (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        restore_job_id uuid NOT NULL REFERENCES restore_jobs(id),
        type text NOT NULL,
        from_status text,
        to_status text,
        detail jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX restore_job_events_job_idx ON restore_job_events (restore_job_id, id);
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        tenant_id uuid,
        queue text NOT NULL,
        name text NOT NULL,
        job_id text NOT NULL,
        payload jsonb NOT NULL,
        delay_ms int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE idempotency_keys (
        principal text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        state text NOT NULL CHECK (state IN ('in_flight', 'done')),
        response_status int,
        response_headers jsonb,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (principal, key)
      );
    `);
    for (const t of TENANT_TABLES) {
      await qr.query(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
      await qr.query(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
      await qr.query(`CREATE POLICY tenant_isolation ON ${t}
        USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
        WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)`);
    }
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`DROP TABLE IF EXISTS idempotency_keys, outbox, restore_job_events, restore_jobs, restore_points,
      protected_items, policies, connections, error_catalog, api_keys, tenants, partners CASCADE`);
  }
}
