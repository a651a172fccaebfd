import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One-round-trip reads under row-level security. Each function is SECURITY INVOKER (it runs as the app
 * role, so RLS applies), sets app.tenant_id for the statement's own implicit transaction
 * (set_config(..., true)) and then reads: a GET costs one statement with bound parameters instead of
 * BEGIN + set_config, SELECT, COMMIT. PL/pgSQL runs its statements in order, so the setting is in place
 * before the read is planned and executed.
 */
export class RestoreJobReads1763900004000 implements MigrationInterface {
  name = 'RestoreJobReads1763900004000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      CREATE FUNCTION bg_restore_job_get(p_tenant uuid, p_id uuid) RETURNS SETOF restore_jobs
      LANGUAGE plpgsql SECURITY INVOKER AS $$
      BEGIN
        PERFORM set_config('app.tenant_id', p_tenant::text, true);
        RETURN QUERY SELECT * FROM restore_jobs WHERE tenant_id = p_tenant AND id = p_id;
      END $$;

      CREATE FUNCTION bg_restore_job_list(p_tenant uuid, p_after uuid, p_limit int, p_status text) RETURNS SETOF restore_jobs
      LANGUAGE plpgsql SECURITY INVOKER AS $$
      BEGIN
        PERFORM set_config('app.tenant_id', p_tenant::text, true);
        IF p_status IS NULL THEN
          RETURN QUERY SELECT * FROM restore_jobs WHERE tenant_id = p_tenant AND id > p_after ORDER BY id LIMIT p_limit;
        ELSE
          RETURN QUERY SELECT * FROM restore_jobs WHERE tenant_id = p_tenant AND id > p_after AND status = p_status ORDER BY id LIMIT p_limit;
        END IF;
      END $$;
    `);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`DROP FUNCTION IF EXISTS bg_restore_job_get(uuid, uuid), bg_restore_job_list(uuid, uuid, int, text)`);
  }
}
