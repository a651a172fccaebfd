import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention of the growing tables (maintenance.prune-retention): the indexes its bounded deletes go through.
 *   events              walked by primary key (UUIDv7, time-ordered), so no new index on the hottest table;
 *                       an event a webhook delivery references stays: webhook_deliveries_event_idx answers that.
 *   webhook_deliveries  finished ones by completion time (pending ones never match the partial index).
 *   usage_vendor_calls, usage_vendor_samples  by day (indexes exist since 1763900002000 / 1763900011000).
 */
export class Retention1763900016000 implements MigrationInterface {
  name = 'Retention1763900016000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id) WHERE event_id IS NOT NULL`);
    await qr.query(
      `CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (completed_at) WHERE status IN ('succeeded', 'failed')`,
    );
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`DROP INDEX IF EXISTS webhook_deliveries_finished_idx`);
    await qr.query(`DROP INDEX IF EXISTS webhook_deliveries_event_idx`);
  }
}
