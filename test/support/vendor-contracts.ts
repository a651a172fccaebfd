import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The vendor specs and seed documents the repository carries (apps/sandbox/specs; see its SOURCE.md). */
export const VENDOR_SPECS_DIR = resolve(__dirname, '../../apps/sandbox/specs');

export type SpecVendor = 'graph' | 'avepoint' | 'veeam' | 'azure-dataprotection';

/** Absolute path of a file under apps/sandbox/specs/<vendor>/. */
export function specPath(vendor: SpecVendor, ...file: string[]): string {
  return join(VENDOR_SPECS_DIR, vendor, ...file);
}

const SEED_FILES: Record<string, [SpecVendor, string]> = {
  '000': ['graph', 'seed-000-backup-storage-rest-api.txt'],
  '001': ['avepoint', 'seed-001-execute-restore-job.txt'],
  '002': ['veeam', 'seed-002-rest-api-backup-repositories.txt'],
  '003': ['graph', 'seed-003-restore-session-base.txt'],
  '004': ['azure-dataprotection', 'seed-004-backup-blobs-arm-rest.txt'],
};

/** The text of a seed document by its number ('000' … '004'). */
export function seedText(seed: keyof typeof SEED_FILES | string): string {
  const entry = SEED_FILES[seed];
  if (!entry) throw new Error(`unknown seed ${seed}`);
  return readFileSync(specPath(entry[0], entry[1]), 'utf8');
}
