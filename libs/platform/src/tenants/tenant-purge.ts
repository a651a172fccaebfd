import type { DataSource } from 'typeorm';
import { rowsOf } from '../database/rows';
import { tenantRepository } from './tenant.repository';

/**
 * Tables with a tenant_id that the purge leaves: the tenancy itself, API keys (revoked, kept as the record of who
 * could act) and the append-only audit log, which has its own retention.
 */
const KEPT_TABLES = new Set(['tenants', 'api_keys']);
const isKept = (table: string) => KEPT_TABLES.has(table) || table.startsWith('audit');

/** What a purge deleted, per tenant and table. */
export interface PurgeResult {
  tenantId: string;
  deleted: Record<string, number>;
}

/**
 * Every table holding a tenant_id column, children before parents (foreign keys), so each can be emptied of a
 * tenant's rows without a violation. Found in the catalog, so a table another change adds is purged too.
 */
async function tenantTablesInDeleteOrder(db: DataSource): Promise<string[]> {
  const tables: Array<{ t: string }> = await db.query(
    `SELECT c.table_name AS t FROM information_schema.columns c
       JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name AND tb.table_type = 'BASE TABLE'
      WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id'
        AND NOT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid WHERE k.relname = c.table_name)
      ORDER BY 1`,
  );
  const names = tables.map((r) => r.t).filter((t) => !isKept(t));
  const edges: Array<{ child: string; parent: string }> = await db.query(
    `SELECT cl.relname AS child, pl.relname AS parent FROM pg_constraint f
       JOIN pg_class cl ON cl.oid = f.conrelid JOIN pg_class pl ON pl.oid = f.confrelid
      WHERE f.contype = 'f' AND cl.relname <> pl.relname`,
  );
  // Depth-first: a table comes after every table that references it.
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (t: string) => {
    if (seen.has(t)) return;
    seen.add(t);
    for (const e of edges) if (e.parent === t && names.includes(e.child)) visit(e.child);
    order.push(t);
  };
  names.forEach(visit);
  return order;
}

/** Deletes rows `where` selects, `batch` at a time, each batch its own transaction scoped to the tenant (RLS). */
async function deleteInBatches(db: DataSource, tenantId: string, sql: string, batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await db.transaction(async (m) => {
      await m.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
      return rowsOf(await m.query(sql, [tenantId, batch])).length;
    });
    total += n;
    if (n < batch) return total;
  }
}

/**
 * Purges the data of tenants offboarded (status deleted) whose retention ended before `now`: every row of every
 * table with their tenant_id (see KEPT_TABLES), in bounded batches, children first; then the tenant is marked
 * purged (its row stays, so GET answers `deleted`). Partner-wide webhook deliveries of its events go too. `db` is
 * the owner's DataSource. Other tenants' rows are never touched: every statement filters on the tenant id.
 */
export async function purgeOffboardedTenants(
  db: DataSource,
  now: Date,
  opts: { batchSize?: number; maxTenants?: number } = {},
): Promise<PurgeResult[]> {
  const batch = opts.batchSize ?? 1000;
  const due = await tenantRepository.duePurge(db, now, opts.maxTenants ?? 20);
  if (!due.length) return [];
  const tables = await tenantTablesInDeleteOrder(db);
  const out: PurgeResult[] = [];
  for (const tenantId of due) {
    const deleted: Record<string, number> = {};
    // Deliveries to partner-wide endpoints carry no tenant_id but reference the tenant's events.
    deleted['webhook_delivery_attempts (partner-wide)'] = await deleteInBatches(
      db,
      tenantId,
      `DELETE FROM webhook_delivery_attempts WHERE delivery_id IN (
         SELECT d.id FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE e.tenant_id = $1 AND d.tenant_id IS NULL LIMIT $2)
       RETURNING 1`,
      batch,
    );
    deleted['webhook_deliveries (partner-wide)'] = await deleteInBatches(
      db,
      tenantId,
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT d.id FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE e.tenant_id = $1 AND d.tenant_id IS NULL LIMIT $2)
       RETURNING 1`,
      batch,
    );
    for (const table of tables) {
      deleted[table] = await deleteInBatches(
        db,
        tenantId,
        `DELETE FROM ${table} WHERE tenant_id = $1 AND ctid IN (SELECT ctid FROM ${table} WHERE tenant_id = $1 LIMIT $2) RETURNING 1`,
        batch,
      );
    }
    await tenantRepository.markPurged(db, tenantId);
    out.push({ tenantId, deleted });
  }
  return out;
}
