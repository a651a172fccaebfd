import type { DataSource } from 'typeorm';
import { StaticErrorCatalog, type ErrorCatalogEntry, type ErrorCode } from '@bg/domain';
import type { SqlTx } from '../tenancy/tenant-db';

/** The catalog is system-wide (seeded by migration, no tenant): the app DataSource. */
type Db = SqlTx;

/** An error_catalog row. */
export interface ErrorCatalogRow {
  vendor: string;
  vendor_code: string;
  http_status: number;
  code: ErrorCode;
  retryable: boolean;
  message: string;
}

export function errorCatalogEntryFromRow(r: ErrorCatalogRow): ErrorCatalogEntry {
  return {
    vendor: r.vendor,
    vendorCode: r.vendor_code,
    httpStatus: r.http_status,
    code: r.code,
    retryable: r.retryable,
    message: r.message,
  };
}

/** Reads `error_catalog`; only the migrations write it. */
export class ErrorCatalogRepository {
  /** The whole catalog (a few hundred rows), by vendor, vendor code and HTTP status. */
  async listAll(db: Db): Promise<ErrorCatalogEntry[]> {
    const rows: ErrorCatalogRow[] = await db.query(
      'SELECT vendor, vendor_code, http_status, code, retryable, message FROM error_catalog ORDER BY vendor, vendor_code, http_status',
    );
    return rows.map(errorCatalogEntryFromRow);
  }
}

export const errorCatalogRepository = new ErrorCatalogRepository();

/** Loads the whole error catalog once at start-up, as the lookup handed to adapters. */
export async function loadErrorCatalog(db: DataSource): Promise<StaticErrorCatalog> {
  return new StaticErrorCatalog(await errorCatalogRepository.listAll(db));
}
