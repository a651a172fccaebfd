import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduling columns for restore jobs: polling is batched per connection (one poll tick per vendor
 * account picks every job whose next_poll_at is due), and a waiting job's fair rank among its tenant's
 * queued jobs decides its queue priority.
 */
export class RestoreJobScheduling1763900003000 implements MigrationInterface {
  name = 'RestoreJobScheduling1763900003000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      ALTER TABLE restore_jobs ADD COLUMN next_poll_at timestamptz, ADD COLUMN poll_attempt int NOT NULL DEFAULT 0;
      CREATE INDEX restore_jobs_due_poll_idx ON restore_jobs (connection_id, next_poll_at)
        WHERE status IN ('submitting', 'running', 'cancelling');
      CREATE INDEX restore_jobs_queued_idx ON restore_jobs (tenant_id, id) WHERE status = 'queued';
    `);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`
      DROP INDEX IF EXISTS restore_jobs_due_poll_idx, restore_jobs_queued_idx;
      ALTER TABLE restore_jobs DROP COLUMN IF EXISTS next_poll_at, DROP COLUMN IF EXISTS poll_attempt;
    `);
  }
}
