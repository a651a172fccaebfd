import { PROBLEM_PROTECTION_STATES, PROTECTION_STATES, type ProtectionState, type VendorId } from '@bg/domain';
import type { PartnerTx } from '../tenancy/tenant-db';

/** One tenant's line of the partner-wide protection summary. */
export interface TenantProtectionSummary {
  tenantId: string;
  tenantName: string;
  /** Live items by protection state, all vendors together and per vendor. */
  counts: Record<ProtectionState, number>;
  byVendor: Array<{ vendor: VendorId; counts: Record<ProtectionState, number> }>;
  /** The item whose problem (atRisk or failed) has lasted longest, if any. */
  oldestProblem: { protectedItemId: string; state: ProtectionState; since: Date; reason: string | null } | null;
}

const PROBLEMS = `(${PROBLEM_PROTECTION_STATES.map((s) => `'${s}'`).join(', ')})`;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

const zero = (): Record<ProtectionState, number> =>
  Object.fromEntries(PROTECTION_STATES.map((s) => [s, 0])) as Record<ProtectionState, number>;

/**
 * The partner-wide protection summary, one statement per page: a page of the partner's tenants (by id), their live
 * items counted by vendor and protection state (protected_items_state_idx), and each tenant's oldest unresolved
 * problem. Runs in a partner transaction (TenantDb.runAsPartner): RLS lets it read only the partner's tenants.
 */
export async function protectionSummaryPage(
  tx: PartnerTx,
  after: string | undefined,
  limit: number,
  onlyTenantId?: string,
): Promise<TenantProtectionSummary[]> {
  const rows: Array<{
    tenant_id: string;
    tenant_name: string;
    counts: Array<{ vendor: VendorId; state: ProtectionState; n: number }> | null;
    problem: { id: string; state: ProtectionState; since: string; reason: string | null } | null;
  }> = await tx.query(
    `WITH page AS (SELECT id, name FROM tenants WHERE partner_id = $1 AND id > $2 AND ($4::uuid IS NULL OR id = $4) ORDER BY id LIMIT $3)
     SELECT t.id AS tenant_id, t.name AS tenant_name,
       (SELECT jsonb_agg(jsonb_build_object('vendor', c.vendor, 'state', c.state, 'n', c.n)) FROM (
          SELECT p.vendor, i.protection_state AS state, count(*)::int AS n
            FROM protected_items i JOIN policies p ON p.id = i.policy_id
           WHERE i.tenant_id = t.id AND i.status <> 'removed' GROUP BY p.vendor, i.protection_state) c) AS counts,
       (SELECT jsonb_build_object('id', i.id, 'state', i.protection_state, 'since', i.protection_since, 'reason', i.protection_reason)
          FROM protected_items i WHERE i.tenant_id = t.id AND i.status <> 'removed' AND i.protection_state IN ${PROBLEMS}
         ORDER BY i.protection_since, i.id LIMIT 1) AS problem
       FROM page t ORDER BY t.id`,
    [tx.partnerId, after ?? NIL_UUID, limit, onlyTenantId ?? null],
  );
  return rows.map((r) => {
    const counts = zero();
    const byVendor = new Map<VendorId, Record<ProtectionState, number>>();
    for (const c of r.counts ?? []) {
      counts[c.state] += c.n;
      const v = byVendor.get(c.vendor) ?? zero();
      v[c.state] += c.n;
      byVendor.set(c.vendor, v);
    }
    return {
      tenantId: r.tenant_id,
      tenantName: r.tenant_name,
      counts,
      byVendor: [...byVendor].sort(([a], [b]) => a.localeCompare(b)).map(([vendor, c]) => ({ vendor, counts: c })),
      oldestProblem: r.problem
        ? { protectedItemId: r.problem.id, state: r.problem.state, since: new Date(r.problem.since), reason: r.problem.reason }
        : null,
    };
  });
}
