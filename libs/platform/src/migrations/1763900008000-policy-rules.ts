import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Policy rules (dynamic protection, e.g. Graph inclusion rules): one row per rule of a policy, the worker's
 * progress at the vendor beside it. A tenant table: RLS (FORCE) keyed on app.tenant_id, like the tables of
 * InitialSchema1763900000000.
 */
export class PolicyRules1763900008000 implements MigrationInterface {
  name = 'PolicyRules1763900008000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      CREATE TABLE policy_rules (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id),
        policy_id uuid NOT NULL REFERENCES policies(id),
        connection_id uuid NOT NULL REFERENCES connections(id),
        vendor text NOT NULL,
        display_name text,
        group_ids text[] NOT NULL,
        status text NOT NULL,
        vendor_ref text,
        vendor_status text,
        error_code text,
        error_message text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX policy_rules_tenant_idx ON policy_rules (tenant_id, id);
      CREATE INDEX policy_rules_policy_idx ON policy_rules (policy_id, id);
    `);
    await qr.query(`ALTER TABLE policy_rules ENABLE ROW LEVEL SECURITY`);
    await qr.query(`ALTER TABLE policy_rules FORCE ROW LEVEL SECURITY`);
    await qr.query(`CREATE POLICY tenant_isolation ON policy_rules
        USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
        WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`DROP TABLE IF EXISTS policy_rules`);
  }
}
