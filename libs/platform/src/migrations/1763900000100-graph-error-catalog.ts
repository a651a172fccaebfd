import type { MigrationInterface, QueryRunner } from 'typeorm';
import { seedErrorCatalog, unseedErrorCatalog } from './catalog-seed';
import { GRAPH_ERROR_CATALOG } from './data/graph.catalog';

/** Seeds the Microsoft Graph Backup Storage rows of error_catalog (seed 000 tables + Graph general errors). */
export class GraphErrorCatalog1763900000100 implements MigrationInterface {
  name = 'GraphErrorCatalog1763900000100';

  async up(qr: QueryRunner): Promise<void> {
    await seedErrorCatalog(qr, GRAPH_ERROR_CATALOG);
  }

  async down(qr: QueryRunner): Promise<void> {
    await unseedErrorCatalog(qr, 'graph');
  }
}
