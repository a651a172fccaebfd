import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciliation after a crash asks which vendor operations other jobs of a connection already hold
 * (restoreJobRepository.vendorRefsHeld): one index probe per ref, finished jobs included.
 */
export class RestoreJobVendorRef1763900019000 implements MigrationInterface {
  name = 'RestoreJobVendorRef1763900019000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`CREATE INDEX restore_jobs_vendor_ref_idx ON restore_jobs (connection_id, vendor_ref) WHERE vendor_ref IS NOT NULL`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`DROP INDEX IF EXISTS restore_jobs_vendor_ref_idx`);
  }
}
