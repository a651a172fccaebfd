import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VENDOR_IDS } from '@bg/domain';
import { registeredVendors } from '@bg/adapters';
import { allVendorSandboxes } from '../../apps/sandbox/src/vendors';
import { specPath } from '../support/vendor-contracts';

/**
 * Every vendor id comes with all of its parts (CONTRIBUTING.md, "Adding a vendor"): an adapter in the
 * registry, a sandbox, a conformance entry file, an error-catalog migration with its rows, and its specs.
 */
const ROOT = resolve(__dirname, '../..');
const MIGRATIONS_DIR = join(ROOT, 'libs/platform/src/migrations');

describe.each([...VENDOR_IDS])('vendor %s has every part', (vendor) => {
  it('an adapter in the registry', () => {
    expect(registeredVendors()).toContain(vendor);
  });

  it('a conformance entry file', () => {
    expect(existsSync(join(__dirname, `${vendor}.conformance.spec.ts`))).toBe(true);
  });

  it('an error-catalog migration and its rows', () => {
    expect(readdirSync(MIGRATIONS_DIR).filter((f) => new RegExp(`^\\d{13}-${vendor}-error-catalog\\.ts$`).test(f))).toHaveLength(1);
    expect(existsSync(join(MIGRATIONS_DIR, 'data', `${vendor}.catalog.ts`))).toBe(true);
  });

  it('its specs and seed documents, with their SOURCE.md', () => {
    expect(existsSync(specPath(vendor, 'SOURCE.md'))).toBe(true);
    expect(readdirSync(specPath(vendor)).some((f) => /^seed-\d{3}-.+\.txt$/.test(f))).toBe(true);
  });
});

describe('the sandbox', () => {
  it('simulates as many vendors as the registry has, each under its own prefix', () => {
    const sandboxes = allVendorSandboxes();
    expect(sandboxes).toHaveLength(VENDOR_IDS.length);
    expect(new Set(sandboxes.map((s) => s.prefix)).size).toBe(VENDOR_IDS.length);
  });
});
