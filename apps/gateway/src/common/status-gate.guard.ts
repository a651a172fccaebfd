import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { isUuid, requestContext } from '@bg/platform';
import { OwnerStatus } from './owner-status.service';
import { ProblemError } from './problem';
import type { Principal } from './principal';

const ALLOWED_WHILE_OFFBOARDING = 'bg:allowed-while-offboarding';
/** Marks a write that an offboarding tenant still takes (its own DELETE, which answers the same 202 again). */
export const AllowedWhileOffboarding = (): MethodDecorator => SetMetadata(ALLOWED_WHILE_OFFBOARDING, true);

const WRITES_IN_TENANT_TX = 'bg:writes-in-tenant-transaction';
/**
 * Marks a controller (or handler) under /v1/tenants/{tenantId} whose writes all run in `TenantDb.run` for the path's
 * tenant: the offboarding check of its writes is made at that transaction's start instead of by a query of its own.
 */
export const WritesInTenantTransaction = (): ClassDecorator & MethodDecorator => SetMetadata(WRITES_IN_TENANT_TX, true);

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Offboarding's gate, after authentication: a tenant key of an offboarded tenant and any key of a deleted partner
 * are refused at once (401, even within the key cache's lifetime); a write naming an offboarding or deleted tenant
 * (path or body `tenantId`) is refused with 409 TENANT_OFFBOARDING. Reads stay open to the partner and operator.
 * On routes marked `WritesInTenantTransaction` that 409 comes from the write's own tenant transaction, which reads
 * and share-locks the tenant's status as it begins (no extra round trip; an offboarding and a write are serialized).
 */
@Injectable()
export class StatusGateGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly status: OwnerStatus,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const p = req.principal;
    if (!p) return true;
    if (p.kind === 'tenant' && (await this.status.tenant(p.tenantId)) !== 'active')
      throw ProblemError.of('UNAUTHENTICATED', 'The API key is not valid.');
    if (p.kind !== 'admin' && (await this.status.partner(p.partnerId)) !== 'active')
      throw ProblemError.of('UNAUTHENTICATED', 'The API key is not valid.');
    if (READS.has(req.method)) return true;
    if (this.reflector.get<boolean>(ALLOWED_WHILE_OFFBOARDING, context.getHandler())) return true;
    const params = req.params as Record<string, unknown> | undefined;
    const body = req.body as Record<string, unknown> | null | undefined;
    const tenantId = params?.tenantId ?? (body && typeof body === 'object' && !Array.isArray(body) ? body.tenantId : undefined);
    if (typeof tenantId !== 'string' || !isUuid(tenantId)) return true;
    const inTx = this.reflector.getAllAndOverride<boolean>(WRITES_IN_TENANT_TX, [context.getHandler(), context.getClass()]);
    if (
      inTx &&
      params?.tenantId === tenantId &&
      requestContext.gateTenantWrites({ tenantId, assertWritable: (s) => refuseWrites(tenantId, s) })
    )
      return true;
    refuseWrites(tenantId, await this.status.tenant(tenantId, { fresh: true }));
    return true;
  }
}

/** 409 TENANT_OFFBOARDING for a write to a tenant that is offboarding or deleted. */
function refuseWrites(tenantId: string, status: string | undefined): void {
  if (status === 'offboarding' || status === 'deleted')
    throw ProblemError.of(
      'TENANT_OFFBOARDING',
      `Tenant ${tenantId} is ${status === 'deleted' ? 'offboarded' : 'being offboarded'}; it takes no more writes.`,
      {
        tenantStatus: status,
      },
    );
}
