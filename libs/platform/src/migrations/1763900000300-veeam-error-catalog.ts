import type { MigrationInterface, QueryRunner } from 'typeorm';
import { seedErrorCatalog, unseedErrorCatalog } from './catalog-seed';
import { VEEAM_ERROR_CATALOG } from './data/veeam.catalog';

/** Seeds the Veeam Backup for Microsoft 365 rows of error_catalog (RESTExceptionInfo codes, token endpoint errors). */
export class VeeamErrorCatalog1763900000300 implements MigrationInterface {
  name = 'VeeamErrorCatalog1763900000300';

  async up(qr: QueryRunner): Promise<void> {
    await seedErrorCatalog(qr, VEEAM_ERROR_CATALOG);
  }

  async down(qr: QueryRunner): Promise<void> {
    await unseedErrorCatalog(qr, 'veeam');
  }
}
