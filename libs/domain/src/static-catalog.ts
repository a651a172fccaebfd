import type { ErrorCatalog, ErrorCatalogEntry } from './errors';

/**
 * An ErrorCatalog over a fixed list of rows. The apps load the rows from Postgres at start-up; tests
 * use the rows the migrations seed. Lookup prefers an exact (code, status) match, then the code alone.
 */
export class StaticErrorCatalog implements ErrorCatalog {
  private readonly exact = new Map<string, ErrorCatalogEntry>();
  private readonly byCode = new Map<string, ErrorCatalogEntry>();

  constructor(rows: ErrorCatalogEntry[]) {
    for (const r of rows) {
      this.exact.set(`${r.vendor}|${r.vendorCode}|${r.httpStatus}`, r);
      if (!this.byCode.has(`${r.vendor}|${r.vendorCode}`)) this.byCode.set(`${r.vendor}|${r.vendorCode}`, r);
    }
  }

  lookup(vendor: string, vendorCode: string, httpStatus: number): ErrorCatalogEntry | undefined {
    return this.exact.get(`${vendor}|${vendorCode}|${httpStatus}`) ?? this.byCode.get(`${vendor}|${vendorCode}`);
  }
}
