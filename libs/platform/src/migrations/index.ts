import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrationInterface } from 'typeorm';
import { InitialSchema1763900000000 } from './1763900000000-initial-schema';
import { Events1763900001000 } from './1763900001000-events';
import { WebhookDeliveries1763900001100 } from './1763900001100-webhook-deliveries';
import { Usage1763900002000 } from './1763900002000-usage';
import { RestoreJobScheduling1763900003000 } from './1763900003000-restore-job-scheduling';
import { RestoreJobReads1763900004000 } from './1763900004000-restore-job-reads';
import { EventSnapshots1763900005000 } from './1763900005000-event-snapshots';
import { RestoreJobTransitions1763900006000 } from './1763900006000-restore-job-transitions';
import { PolicyUpdatedEvent1763900007000 } from './1763900007000-policy-updated-event';
import { PolicyRules1763900008000 } from './1763900008000-policy-rules';
import { ProtectionHealth1763900009000 } from './1763900009000-protection-health';
import { WebhookOperationalEvents1763900010000 } from './1763900010000-webhook-operational-events';
import { VendorUsage1763900011000 } from './1763900011000-vendor-usage';
import { IdempotencyExpiry1763900012000 } from './1763900012000-idempotency-expiry';
import { ApiKeyScopes1763900013000 } from './1763900013000-api-key-scopes';
import { AuditLog1763900014000 } from './1763900014000-audit-log';
import { Offboarding1763900015000 } from './1763900015000-offboarding';
import { Retention1763900016000 } from './1763900016000-retention';
import { PendingWebhookFanouts1763900017000 } from './1763900017000-pending-webhook-fanouts';

type MigrationClass = new () => MigrationInterface;

/** `<13-digit timestamp>-<vendor>-error-catalog.ts` (`.js` once built), e.g. 1763900000300-veeam-error-catalog.ts. */
const CATALOG_MIGRATION_FILE = /^\d{13}-[a-z0-9-]+-error-catalog\.(ts|js)$/;

/**
 * The per-vendor error-catalog migrations: every `<timestamp>-<vendor>-error-catalog` file in this folder
 * (its rows in ./data/<vendor>.catalog.ts), each exporting its one migration class. Found by file name, so
 * a new vendor adds its two files and edits no list.
 */
export function catalogMigrations(dir: string = __dirname): MigrationClass[] {
  return readdirSync(dir)
    .filter((f) => CATALOG_MIGRATION_FILE.test(f))
    .sort()
    .map((file) => {
      // Loaded by file name (see above); `require` works for the .ts sources (jest) and the built .js alike.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- synchronous load of a file found at run time
      const mod = require(join(dir, file)) as Record<string, unknown>;
      const classes = Object.values(mod).filter((v): v is MigrationClass => typeof v === 'function');
      if (classes.length !== 1) throw new Error(`${file} must export exactly one migration class (found ${classes.length})`);
      return classes[0];
    });
}

/** The timestamp ending a migration class name (TypeORM orders migrations by it). */
const timestampOf = (m: MigrationClass): number => Number(m.name.slice(-13));

/**
 * Every migration, in timestamp order. A migration is never edited once landed; corrections are new
 * migrations. Per-vendor error catalogs are separate migrations whose rows live in
 * ./data/<vendor>.catalog.ts, found by catalogMigrations().
 */
export const MIGRATIONS: MigrationClass[] = [
  InitialSchema1763900000000,
  ...catalogMigrations(),
  Events1763900001000,
  WebhookDeliveries1763900001100,
  Usage1763900002000,
  RestoreJobScheduling1763900003000,
  RestoreJobReads1763900004000,
  EventSnapshots1763900005000,
  RestoreJobTransitions1763900006000,
  PolicyUpdatedEvent1763900007000,
  PolicyRules1763900008000,
  ProtectionHealth1763900009000,
  WebhookOperationalEvents1763900010000,
  VendorUsage1763900011000,
  IdempotencyExpiry1763900012000,
  ApiKeyScopes1763900013000,
  AuditLog1763900014000,
  Offboarding1763900015000,
  Retention1763900016000,
  PendingWebhookFanouts1763900017000,
].sort((a, b) => timestampOf(a) - timestampOf(b));
