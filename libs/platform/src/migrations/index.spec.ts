import { catalogMigrations, MIGRATIONS } from './index';

describe('the migration list', () => {
  it('finds every per-vendor error-catalog migration by file name', () => {
    expect(catalogMigrations().map((m) => m.name)).toEqual([
      'GraphErrorCatalog1763900000100',
      'AvePointErrorCatalog1763900000200',
      'VeeamErrorCatalog1763900000300',
      'AzureDataProtectionErrorCatalog1763900000400',
    ]);
  });

  it('holds each migration once, in timestamp order, each named with its 13-digit timestamp', () => {
    const names = MIGRATIONS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /\d{13}$/.test(n))).toBe(true);
    const stamps = names.map((n) => Number(n.slice(-13)));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(names.slice(0, 2)).toEqual(['InitialSchema1763900000000', 'GraphErrorCatalog1763900000100']);
    for (const m of MIGRATIONS) expect(new m().name ?? m.name).toBe(m.name);
  });
});
