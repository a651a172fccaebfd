import type { AuditActorKind, AuditEntry, AuditOutcome } from '@bg/domain';
import { toDate } from '../database/dates';
import type { OperatorTx, PartnerTx, SqlTx, TenantTx } from '../tenancy/tenant-db';

/** A row of `audit_log` (see the audit-log migration). */
export interface AuditLogRow {
  id: string;
  at: Date | string;
  actor_kind: string;
  actor_key_id: string | null;
  partner_id: string | null;
  tenant_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  method: string;
  route: string | null;
  request_id: string;
  source_address: string | null;
  outcome: string;
  http_status: number;
  error_code: string | null;
}

export function auditEntryFromRow(r: AuditLogRow): AuditEntry {
  return {
    id: r.id,
    at: toDate(r.at),
    actorKind: r.actor_kind as AuditActorKind,
    actorKeyId: r.actor_key_id,
    partnerId: r.partner_id,
    tenantId: r.tenant_id,
    action: r.action,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    method: r.method,
    route: r.route,
    requestId: r.request_id,
    sourceAddress: r.source_address,
    outcome: r.outcome as AuditOutcome,
    httpStatus: r.http_status,
    errorCode: r.error_code,
  };
}

/** Filters of GET /v1/audit-log (absent = any). Newest first: `before` is the cursor (rows with a smaller id). */
export interface AuditListFilter {
  before?: string;
  /** One tenant; null: every row the transaction sees. */
  tenantId: string | null;
  /** An exact action, or "<resource>.*". */
  action?: string;
  outcome?: AuditOutcome;
  actorKeyId?: string;
  resourceId?: string;
  /** ISO instants: at in [since, until). */
  since?: string;
  until?: string;
}

type ReadTx = TenantTx | PartnerTx | OperatorTx;

const COLUMNS = `id, at, actor_kind, actor_key_id, partner_id, tenant_id, action, resource_type, resource_id, method, route,
  request_id, host(source_address) AS source_address, outcome, http_status, error_code`;

/**
 * The audit log. Appends go through audit_log_append() (the app role has no INSERT, UPDATE or DELETE on the table);
 * reads are confined by the transaction's row-level security (tenant, partner or operator); prunes run as the owner.
 */
export class AuditLogRepository {
  /** Appends entries in one statement. */
  async append(tx: SqlTx, entries: AuditEntry[]): Promise<number> {
    if (!entries.length) return 0;
    const rows = entries.map((e) => ({
      id: e.id,
      at: e.at.toISOString(),
      actor_kind: e.actorKind,
      actor_key_id: e.actorKeyId,
      partner_id: e.partnerId,
      tenant_id: e.tenantId,
      action: e.action,
      resource_type: e.resourceType,
      resource_id: e.resourceId,
      method: e.method,
      route: e.route,
      request_id: e.requestId,
      source_address: e.sourceAddress,
      outcome: e.outcome,
      http_status: e.httpStatus,
      error_code: e.errorCode,
    }));
    const [{ n }] = await tx.query<{ n: number }[]>('SELECT audit_log_append($1::jsonb) AS n', [JSON.stringify(rows)]);
    return n;
  }

  /** Up to `limit` entries, newest first, before the cursor: one indexed range scan ((tenant_id, id), (partner_id, id) or id). */
  async list(tx: ReadTx, f: AuditListFilter, limit: number): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (f.before) add((p) => `id < ${p}::uuid`, f.before);
    if (f.tenantId) add((p) => `tenant_id = ${p}::uuid`, f.tenantId);
    if ('partnerId' in tx) add((p) => `partner_id = ${p}::uuid`, tx.partnerId);
    if (f.action?.endsWith('.*')) add((p) => `split_part(action, '.', 1) = ${p}`, f.action.slice(0, -2));
    else if (f.action) add((p) => `action = ${p}`, f.action);
    if (f.outcome) add((p) => `outcome = ${p}`, f.outcome);
    if (f.actorKeyId) add((p) => `actor_key_id = ${p}`, f.actorKeyId);
    if (f.resourceId) add((p) => `resource_id = ${p}`, f.resourceId);
    if (f.since) add((p) => `at >= ${p}::timestamptz`, f.since);
    if (f.until) add((p) => `at < ${p}::timestamptz`, f.until);
    params.push(limit);
    const rows = await tx.query<AuditLogRow[]>(
      `SELECT ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(auditEntryFromRow);
  }

  /** Deletes at most `batch` entries older than `before` (the owner's connection only: audit_log_prune). */
  async prune(owner: SqlTx, before: Date, batch: number): Promise<number> {
    const [{ n }] = await owner.query<{ n: number }[]>('SELECT audit_log_prune($1, $2) AS n', [before, batch]);
    return n;
  }
}

export const auditLogRepository = new AuditLogRepository();
