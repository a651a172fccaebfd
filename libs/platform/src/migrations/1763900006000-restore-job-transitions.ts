import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Restore-job writes in one statement. bg_restore_job_transition applies one change of a job (the
 * columns in p_set, keyed by column name; absent keys unchanged) and records its history entries
 * (p_history, in order) — the only way restore_jobs rows are updated by the repository. Called inside
 * a tenant transaction it is one more statement of it; called alone it is a whole transaction in one
 * round trip: SECURITY INVOKER, app.tenant_id set for the statement's own implicit transaction, as the
 * read functions of 1763900004000.
 *
 * p_expect is the optimistic guard of a lock-free write: the row is changed only while it still has
 * these values (status, submit_phase, cancel_requested, poll_attempt; absent keys not checked). UPDATE
 * re-checks its WHERE on the latest row version, so a concurrent cancel or poll makes the guarded write
 * change nothing (no row returned) and the caller takes the locking path.
 *
 * bg_restore_job_pick is a worker's first step on a queued job of a vendor without an admission gate:
 * the guarded move queued -> submitting, then the job's connection version (the adapter cache key).
 */
export class RestoreJobTransitions1763900006000 implements MigrationInterface {
  name = 'RestoreJobTransitions1763900006000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      CREATE FUNCTION bg_restore_job_transition(p_tenant uuid, p_id uuid, p_expect jsonb, p_set jsonb, p_history jsonb)
      RETURNS SETOF restore_jobs LANGUAGE plpgsql SECURITY INVOKER AS $$
      BEGIN
        PERFORM set_config('app.tenant_id', p_tenant::text, true);
        RETURN QUERY WITH u AS (
          UPDATE restore_jobs SET
            status = coalesce(p_set->>'status', status),
            status_reason = CASE WHEN p_set ? 'status_reason' THEN p_set->>'status_reason' ELSE status_reason END,
            items = coalesce(p_set->'items', items),
            vendor_ref = CASE WHEN p_set ? 'vendor_ref' THEN p_set->>'vendor_ref' ELSE vendor_ref END,
            vendor_extra = CASE WHEN p_set ? 'vendor_extra' THEN nullif(p_set->'vendor_extra', 'null'::jsonb) ELSE vendor_extra END,
            vendor_status = CASE WHEN p_set ? 'vendor_status' THEN p_set->>'vendor_status' ELSE vendor_status END,
            submit_phase = coalesce(p_set->>'submit_phase', submit_phase),
            cancel_requested = coalesce((p_set->>'cancel_requested')::boolean, cancel_requested),
            error_code = CASE WHEN p_set ? 'error_code' THEN p_set->>'error_code' ELSE error_code END,
            error_message = CASE WHEN p_set ? 'error_message' THEN p_set->>'error_message' ELSE error_message END,
            error_detail = CASE WHEN p_set ? 'error_detail' THEN nullif(p_set->'error_detail', 'null'::jsonb) ELSE error_detail END,
            next_poll_at = CASE WHEN p_set ? 'next_poll_secs' THEN now() + make_interval(secs => (p_set->>'next_poll_secs')::float8)
                                ELSE next_poll_at END,
            poll_attempt = coalesce((p_set->>'poll_attempt')::int, poll_attempt),
            completed_at = CASE WHEN coalesce((p_set->>'completed')::boolean, false) THEN now() ELSE completed_at END,
            updated_at = CASE WHEN coalesce((p_set->>'touch')::boolean, true) THEN now() ELSE updated_at END
          WHERE id = p_id AND tenant_id = p_tenant
            AND (NOT p_expect ? 'status' OR status = p_expect->>'status')
            AND (NOT p_expect ? 'submit_phase' OR submit_phase = p_expect->>'submit_phase')
            AND (NOT p_expect ? 'cancel_requested' OR cancel_requested = (p_expect->>'cancel_requested')::boolean)
            AND (NOT p_expect ? 'poll_attempt' OR poll_attempt = (p_expect->>'poll_attempt')::int)
          RETURNING *
        ), e AS (
          INSERT INTO restore_job_events (tenant_id, restore_job_id, type, from_status, to_status, detail)
          SELECT u.tenant_id, u.id, h.entry->>'type', h.entry->>'from_status', h.entry->>'to_status', h.entry->'detail'
            FROM u, jsonb_array_elements(p_history) WITH ORDINALITY AS h(entry, n)
           ORDER BY h.n
        )
        SELECT * FROM u;
      END $$;

      CREATE FUNCTION bg_restore_job_pick(p_tenant uuid, p_id uuid, p_set jsonb, p_history jsonb)
      RETURNS TABLE (job jsonb, credentials_version int, endpoint text) LANGUAGE plpgsql SECURITY INVOKER AS $$
      DECLARE
        picked restore_jobs;
      BEGIN
        SELECT * INTO picked FROM bg_restore_job_transition(p_tenant, p_id, '{"status": "queued", "cancel_requested": false}', p_set, p_history);
        IF NOT FOUND THEN
          RETURN;
        END IF;
        RETURN QUERY SELECT to_jsonb(picked), c.credentials_version, c.endpoint FROM connections c WHERE c.id = picked.connection_id;
      END $$;
    `);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(
      `DROP FUNCTION IF EXISTS bg_restore_job_pick(uuid, uuid, jsonb, jsonb), bg_restore_job_transition(uuid, uuid, jsonb, jsonb, jsonb)`,
    );
  }
}
