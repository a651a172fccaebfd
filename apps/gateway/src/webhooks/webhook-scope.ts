import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFound, type WebhookOwner } from '@bg/domain';
import { TenantDb, tenantRepository, type WebhookTx } from '@bg/platform';
import { APP_DB } from '../common/platform.providers';
import { ProblemError } from '../common/problem';
import type { Principal } from '../common/principal';
import { TenantAccess } from '../common/tenant-access.service';

/**
 * Whose webhooks a request manages: a partner's partner-wide endpoints (tenantId null, /v1/webhooks,
 * every tenant of the partner) or one tenant's (/v1/tenants/{tenantId}/webhooks).
 */
export type WebhookScope = WebhookOwner;

@Injectable()
export class WebhookScopes {
  constructor(
    private readonly access: TenantAccess,
    private readonly db: TenantDb,
    @Inject(APP_DB) private readonly app: DataSource,
  ) {}

  /** A partner key for partner-wide endpoints; the partner's key or the tenant's own for a tenant's (else 404). */
  async resolve(p: Principal, tenantId: string | undefined): Promise<WebhookScope> {
    if (tenantId === undefined) {
      if (p.kind !== 'partner') {
        throw ProblemError.of(
          'FORBIDDEN',
          "Partner-wide webhooks need a partner key; manage a tenant's webhooks under /v1/tenants/{tenantId}/webhooks.",
        );
      }
      return { partnerId: p.partnerId, tenantId: null };
    }
    await this.access.assert(p, tenantId);
    if (p.kind !== 'admin') return { partnerId: p.partnerId, tenantId };
    const partnerId = await tenantRepository.partnerIdOf(this.app, tenantId);
    if (!partnerId) throw new NotFound('tenant', tenantId);
    return { partnerId, tenantId };
  }

  /**
   * Like `resolve`, for what sets where a tenant's data is sent and with what secret (create, change, rotate the
   * secret): never the operator, which must not route a customer's events to an address of its choosing nor hold its
   * signing secret. It may read, test, retry, replay, switch on or off and delete (audited in the tenant's log).
   */
  async resolveForSetup(p: Principal, tenantId: string | undefined): Promise<WebhookScope> {
    if (p.kind === 'admin')
      throw ProblemError.of(
        'FORBIDDEN',
        "The operator cannot create or change webhook endpoints or their secrets; the tenant's partner or the tenant can.",
      );
    return this.resolve(p, tenantId);
  }

  /** A transaction confined by row-level security to the scope: the tenant's rows, or the partner's. */
  run<T>(scope: WebhookScope, fn: (tx: WebhookTx) => Promise<T>): Promise<T> {
    return scope.tenantId ? this.db.run(scope.tenantId, fn) : this.db.runAsPartner(scope.partnerId, fn);
  }
}
