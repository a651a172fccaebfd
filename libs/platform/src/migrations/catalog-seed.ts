import type { QueryRunner } from 'typeorm';
import type { ErrorCatalogEntry } from '@bg/domain';

/**
 * Inserts error catalog rows (table error_catalog: vendor, vendor_code, http_status -> code, retryable,
 * message). Used by the per-vendor catalog migrations; upserts so a later migration can correct a row.
 */
export async function seedErrorCatalog(qr: QueryRunner, rows: ErrorCatalogEntry[]): Promise<void> {
  for (const r of rows) {
    await qr.query(
      `INSERT INTO error_catalog (vendor, vendor_code, http_status, code, retryable, message)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (vendor, vendor_code, http_status) DO UPDATE
         SET code = EXCLUDED.code, retryable = EXCLUDED.retryable, message = EXCLUDED.message`,
      [r.vendor, r.vendorCode, r.httpStatus, r.code, r.retryable, r.message],
    );
  }
}

export async function unseedErrorCatalog(qr: QueryRunner, vendor: string): Promise<void> {
  await qr.query(`DELETE FROM error_catalog WHERE vendor = $1`, [vendor]);
}
