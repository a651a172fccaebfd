import type { MigrationInterface, QueryRunner } from 'typeorm';
import { seedErrorCatalog, unseedErrorCatalog } from './catalog-seed';
import { AZURE_DATAPROTECTION_ERROR_CATALOG } from './data/azure-dataprotection.catalog';

/** Seeds the Azure Data Protection rows of error_catalog (seed 004 codes, ARM and Entra codes). */
export class AzureDataProtectionErrorCatalog1763900000400 implements MigrationInterface {
  name = 'AzureDataProtectionErrorCatalog1763900000400';

  async up(qr: QueryRunner): Promise<void> {
    await seedErrorCatalog(qr, AZURE_DATAPROTECTION_ERROR_CATALOG);
  }

  async down(qr: QueryRunner): Promise<void> {
    await unseedErrorCatalog(qr, 'azure-dataprotection');
  }
}
