import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { VendorId } from '@bg/domain';

/** The vendor specs and seed documents the repository carries (apps/sandbox/specs; see its SOURCE.md). */
export const VENDOR_SPECS_DIR = resolve(__dirname, '../../apps/sandbox/specs');

/** Each vendor's documents sit in apps/sandbox/specs/<vendor id>/. */
export type SpecVendor = VendorId;

/** Absolute path of a file under apps/sandbox/specs/<vendor>/. */
export function specPath(vendor: SpecVendor, ...file: string[]): string {
  return join(VENDOR_SPECS_DIR, vendor, ...file);
}

/** Seed documents by number: every `seed-<number>-<title>.txt` of every vendor folder, found by file name. */
function seedFiles(): Map<string, string> {
  const seeds = new Map<string, string>();
  for (const vendor of readdirSync(VENDOR_SPECS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const file of readdirSync(join(VENDOR_SPECS_DIR, vendor.name))) {
      const n = /^seed-(\d{3})-.+\.txt$/.exec(file)?.[1];
      if (!n) continue;
      if (seeds.has(n)) throw new Error(`two seed documents are numbered ${n}`);
      seeds.set(n, join(VENDOR_SPECS_DIR, vendor.name, file));
    }
  }
  return seeds;
}

/** The text of a seed document by its number ('000' … '004'). */
export function seedText(seed: string): string {
  const path = seedFiles().get(seed);
  if (!path) throw new Error(`unknown seed ${seed}`);
  return readFileSync(path, 'utf8');
}
