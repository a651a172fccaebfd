import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { isUuid } from '@bg/platform';
import { OwnerStatus } from './owner-status.service';
import { ProblemError } from './problem';
import type { Principal } from './principal';

const ALLOWED_WHILE_OFFBOARDING = 'bg:allowed-while-offboarding';
/** Marks a write that an offboarding tenant still takes (its own DELETE, which answers the same 202 again). */
export const AllowedWhileOffboarding = (): MethodDecorator => SetMetadata(ALLOWED_WHILE_OFFBOARDING, true);

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Offboarding's gate, after authentication: a tenant key of an offboarded tenant and any key of a deleted partner
 * are refused at once (401, even within the key cache's lifetime); a write naming an offboarding or deleted tenant
 * (path or body `tenantId`) is refused with 409 TENANT_OFFBOARDING. Reads stay open to the partner and operator.
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
    const status = await this.status.tenant(tenantId, { fresh: true });
    if (status === 'offboarding' || status === 'deleted')
      throw ProblemError.of(
        'TENANT_OFFBOARDING',
        `Tenant ${tenantId} is ${status === 'deleted' ? 'offboarded' : 'being offboarded'}; it takes no more writes.`,
        {
          tenantStatus: status,
        },
      );
    return true;
  }
}
