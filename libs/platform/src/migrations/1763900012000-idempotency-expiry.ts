import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Expired idempotency keys are pruned by the worker (maintenance.prune-idempotency): the index it deletes through. */
export class IdempotencyExpiry1763900012000 implements MigrationInterface {
  name = 'IdempotencyExpiry1763900012000';

  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at)`);
  }

  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`DROP INDEX IF EXISTS idempotency_keys_expiry_idx`);
  }
}
