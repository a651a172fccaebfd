import type { MigrationInterface } from 'typeorm';
import { InitialSchema1763900000000 } from './1763900000000-initial-schema';

/**
 * Every migration, in order. A migration is never edited once landed; corrections are new migrations.
 * Per-vendor error catalogs are separate migrations whose rows live in ./data/<vendor>.catalog.ts.
 */
export const MIGRATIONS: Array<new () => MigrationInterface> = [
  InitialSchema1763900000000,
];
