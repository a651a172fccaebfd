import type { DataSource, EntityManager } from 'typeorm';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** A transaction bound to one tenant: row-level security sees only that tenant's rows. */
export type TenantTx = EntityManager & { readonly tenantId: string };

/**
 * Runs `fn` in a transaction of the app role with `app.tenant_id` set (transaction-local), so every
 * query inside — including one that forgets its tenant filter — is confined to the tenant by RLS.
 */
export class TenantDb {
  constructor(readonly dataSource: DataSource) {}

  async run<T>(tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
    if (!isUuid(tenantId)) throw new Error('tenant id must be a uuid');
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
      return fn(Object.assign(manager, { tenantId }) as TenantTx);
    });
  }
}
