import type { MigrationInterface } from 'typeorm';

/**
 * Every migration, in order. A migration is never edited once landed; corrections are new migrations.
 * Per-vendor error catalogs are separate migrations whose rows live in ./data/<vendor>.catalog.ts.
 */
export const MIGRATIONS: Array<new () => MigrationInterface> = [
];
