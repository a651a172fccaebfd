import type { MigrationInterface, QueryRunner } from 'typeorm';
import { seedErrorCatalog, unseedErrorCatalog } from './catalog-seed';
import { AVEPOINT_ERROR_CATALOG } from './data/avepoint.catalog';

/** Seeds the AvePoint Cloud Backup rows of error_catalog (seed 001 codes and statuses, AOS identity errors). */
export class AvePointErrorCatalog1763900000200 implements MigrationInterface {
  name = 'AvePointErrorCatalog1763900000200';

  async up(qr: QueryRunner): Promise<void> {
    await seedErrorCatalog(qr, AVEPOINT_ERROR_CATALOG);
  }

  async down(qr: QueryRunner): Promise<void> {
    await unseedErrorCatalog(qr, 'avepoint');
  }
}
