import { Injectable } from '@nestjs/common';
import {
  auditLogRepository,
  TenantDb,
  toAuditEntryResource,
  type AuditEntryResource,
  type OperatorTx,
  type PartnerTx,
  type TenantTx,
} from '@bg/platform';
import { decodeCursor, toPage, type ListPage } from '../common/pagination';
import type { Principal } from '../common/principal';
import type { AuditLogQuery } from './audit-log.dto';

/** Reads of the audit log, newest first; row-level security confines each to a tenant, a partner, or (operator) none. */
@Injectable()
export class AuditLogService {
  constructor(private readonly db: TenantDb) {}

  /** One tenant's entries (access already checked), in the transaction of the principal's reach. */
  async pageForTenant(p: Principal, tenantId: string, q: AuditLogQuery): Promise<ListPage<AuditEntryResource>> {
    if (p.kind === 'admin') return this.db.runAsOperator((tx) => this.page(tx, q, tenantId));
    return this.db.run(tenantId, (tx) => this.page(tx, q, tenantId));
  }

  /** Every entry the principal may see: a partner's (its own and its tenants'), or all of them for the operator. */
  async pageForScope(p: Exclude<Principal, { kind: 'tenant' }>, q: AuditLogQuery): Promise<ListPage<AuditEntryResource>> {
    if (p.kind === 'admin') return this.db.runAsOperator((tx) => this.page(tx, q, null));
    return this.db.runAsPartner(p.partnerId, (tx) => this.page(tx, q, null));
  }

  private async page(tx: TenantTx | PartnerTx | OperatorTx, q: AuditLogQuery, tenantId: string | null) {
    const rows = await auditLogRepository.list(
      tx,
      {
        before: decodeCursor(q.cursor),
        tenantId,
        action: q.action,
        outcome: q.outcome,
        actorKeyId: q.actorKeyId,
        resourceId: q.resourceId,
        since: q.since,
        until: q.until,
      },
      q.limit + 1,
    );
    return toPage(rows, q.limit, toAuditEntryResource);
  }
}
