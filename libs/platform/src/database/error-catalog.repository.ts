import type { DataSource } from 'typeorm';
import { StaticErrorCatalog, type ErrorCatalogEntry, type ErrorCode } from '@bg/domain';

/** Loads the whole error catalog (a few hundred rows) once at start-up. */
export async function loadErrorCatalogRows(db: DataSource): Promise<ErrorCatalogEntry[]> {
  const rows: Array<{ vendor: string; vendor_code: string; http_status: number; code: string; retryable: boolean; message: string }> =
    await db.query('SELECT vendor, vendor_code, http_status, code, retryable, message FROM error_catalog ORDER BY vendor, vendor_code, http_status');
  return rows.map((r) => ({
    vendor: r.vendor, vendorCode: r.vendor_code, httpStatus: r.http_status, code: r.code as ErrorCode, retryable: r.retryable, message: r.message,
  }));
}

export async function loadErrorCatalog(db: DataSource): Promise<StaticErrorCatalog> {
  return new StaticErrorCatalog(await loadErrorCatalogRows(db));
}
