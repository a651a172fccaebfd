import type { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;
const PARTNER = `NULLIF(current_setting('app.partner_id', true), '')::uuid`;
const OPERATOR = `current_setting('app.operator', true) = 'on'`;
const PRUNING = `current_setting('bg.audit_prune', true) = 'on'`;

/**
 * The audit log (GET /v1/audit-log): one row per write on /v1 (and per refused write), and per operator request.
 *
 * Append-only, enforced here rather than trusted to the code:
 * - the app role gets SELECT only (ensureAppRole revokes INSERT, UPDATE, DELETE, TRUNCATE after its grants); it appends
 *   through audit_log_append(jsonb), a SECURITY DEFINER function that can only INSERT;
 * - a trigger refuses every UPDATE, every TRUNCATE and every DELETE, also the owner's, except inside
 *   audit_log_prune(before, batch), the retention path (the worker's maintenance.prune-audit-log runs it as the owner;
 *   EXECUTE is revoked from PUBLIC), which sets bg.audit_prune for its own statement. (A non-superuser owner's UPDATE or
 *   DELETE outside the prune sees no rows under FORCE row-level security and changes nothing; a superuser's raises.)
 *
 * Visibility (row-level security, FORCE): a tenant transaction sees its tenant's rows; a partner transaction every row
 * of the partner (its own partner-level actions, its tenants' keys, and the operator's actions inside its tenants); an
 * operator transaction (app.operator, TenantDb.runAsOperator) every row, including rows with neither partner nor tenant
 * (unauthenticated refusals, the operator's platform actions). No foreign keys: the record outlives the tenant.
 */
export class AuditLog1763900014000 implements MigrationInterface {
  name = 'AuditLog1763900014000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      CREATE TABLE audit_log (
        id uuid PRIMARY KEY,
        at timestamptz NOT NULL,
        actor_kind text NOT NULL CHECK (actor_kind IN ('admin', 'partner', 'tenant', 'anonymous')),
        actor_key_id text,
        partner_id uuid,
        tenant_id uuid,
        action text NOT NULL,
        resource_type text,
        resource_id text,
        method text NOT NULL,
        route text,
        request_id text NOT NULL,
        source_address inet,
        outcome text NOT NULL CHECK (outcome IN ('succeeded', 'refused', 'failed')),
        http_status int NOT NULL,
        error_code text
      );
      CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, id);
      CREATE INDEX audit_log_partner_idx ON audit_log (partner_id, id);
      CREATE INDEX audit_log_at_idx ON audit_log (at);

      CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND ${PRUNING} THEN RETURN OLD; END IF;
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable();

      -- The app's only way to write: rows as a JSON array of audit_log records (snake_case keys).
      CREATE FUNCTION audit_log_append(p_rows jsonb) RETURNS int LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
      DECLARE n int;
      BEGIN
        INSERT INTO audit_log SELECT * FROM jsonb_populate_recordset(NULL::audit_log, p_rows);
        GET DIAGNOSTICS n = ROW_COUNT;
        RETURN n;
      END $$;

      -- Retention: deletes at most p_batch rows older than p_before (oldest first); returns how many.
      CREATE FUNCTION audit_log_prune(p_before timestamptz, p_batch int) RETURNS int LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = public AS $$
      DECLARE n int;
      BEGIN
        PERFORM set_config('bg.audit_prune', 'on', true);
        DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < p_before ORDER BY at LIMIT p_batch);
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM set_config('bg.audit_prune', '', true);
        RETURN n;
      END $$;
      REVOKE EXECUTE ON FUNCTION audit_log_prune(timestamptz, int) FROM PUBLIC;
      REVOKE EXECUTE ON FUNCTION audit_log_append(jsonb) FROM PUBLIC;
    `);
    await qr.query(`ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY`);
    await qr.query(`ALTER TABLE audit_log FORCE ROW LEVEL SECURITY`);
    await qr.query(
      `CREATE POLICY audit_read ON audit_log FOR SELECT USING (tenant_id = ${TENANT} OR partner_id = ${PARTNER} OR ${OPERATOR} OR ${PRUNING})`,
    );
    // Only the owner can insert (the app role has no INSERT privilege; it calls audit_log_append) and delete (prune).
    await qr.query(`CREATE POLICY audit_append ON audit_log FOR INSERT WITH CHECK (true)`);
    await qr.query(`CREATE POLICY audit_prune ON audit_log FOR DELETE USING (${PRUNING})`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`
      DROP FUNCTION IF EXISTS audit_log_prune(timestamptz, int);
      DROP FUNCTION IF EXISTS audit_log_append(jsonb);
      DROP TABLE IF EXISTS audit_log;
      DROP FUNCTION IF EXISTS audit_log_immutable();
    `);
  }
}
