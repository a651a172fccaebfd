import type { MigrationInterface } from 'typeorm';
import { InitialSchema1763900000000 } from './1763900000000-initial-schema';
import { GraphErrorCatalog1763900000100 } from './1763900000100-graph-error-catalog';
import { AvePointErrorCatalog1763900000200 } from './1763900000200-avepoint-error-catalog';
import { VeeamErrorCatalog1763900000300 } from './1763900000300-veeam-error-catalog';
import { AzureDataProtectionErrorCatalog1763900000400 } from './1763900000400-azure-dataprotection-error-catalog';
import { Events1763900001000 } from './1763900001000-events';
import { WebhookDeliveries1763900001100 } from './1763900001100-webhook-deliveries';
import { Usage1763900002000 } from './1763900002000-usage';
import { RestoreJobScheduling1763900003000 } from './1763900003000-restore-job-scheduling';
import { RestoreJobReads1763900004000 } from './1763900004000-restore-job-reads';
import { EventSnapshots1763900005000 } from './1763900005000-event-snapshots';

/**
 * Every migration, in order. A migration is never edited once landed; corrections are new migrations.
 * Per-vendor error catalogs are separate migrations whose rows live in ./data/<vendor>.catalog.ts.
 */
export const MIGRATIONS: Array<new () => MigrationInterface> = [
  InitialSchema1763900000000,
  GraphErrorCatalog1763900000100,
  AvePointErrorCatalog1763900000200,
  VeeamErrorCatalog1763900000300,
  AzureDataProtectionErrorCatalog1763900000400,
  Events1763900001000,
  WebhookDeliveries1763900001100,
  Usage1763900002000,
  RestoreJobScheduling1763900003000,
  RestoreJobReads1763900004000,
  EventSnapshots1763900005000,
];
