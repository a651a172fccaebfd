import { readdirSync } from 'node:fs';
import { catalogMigrations, MIGRATIONS } from './index';

describe('the migration list', () => {
  it("finds every per-vendor error-catalog migration by file name, each class named with its file's timestamp", () => {
    const files = readdirSync(__dirname)
      .filter((f) => /^\d{13}-[a-z0-9-]+-error-catalog\.ts$/.test(f))
      .sort();
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(files).toContain('1763900000100-graph-error-catalog.ts');
    expect(catalogMigrations().map((m) => m.name.slice(-13))).toEqual(files.map((f) => f.slice(0, 13)));
  });

  it('holds each migration once, in timestamp order, each named with its 13-digit timestamp', () => {
    const names = MIGRATIONS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /\d{13}$/.test(n))).toBe(true);
    const stamps = names.map((n) => Number(n.slice(-13)));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(names.slice(0, 2)).toEqual(['InitialSchema1763900000000', 'GraphErrorCatalog1763900000100']);
    for (const m of catalogMigrations()) expect(names).toContain(m.name);
    for (const m of MIGRATIONS) expect(new m().name ?? m.name).toBe(m.name);
  });
});
