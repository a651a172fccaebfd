import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { ApiScope, RateLimits } from '@bg/domain';

/** What a key may do, until when, and its partner's rate-limit override. */
export interface Grants {
  scopes: readonly ApiScope[];
  /** null = never expires. */
  expiresAt: Date | null;
  rateLimits: RateLimits;
}

/** Who is calling: the operator (ADMIN_API_KEY), a partner (MSP) key or a tenant key. */
export type Principal = Grants &
  (
    | { kind: 'admin'; keyId: 'admin' }
    | { kind: 'partner'; keyId: string; partnerId: string }
    | { kind: 'tenant'; keyId: string; partnerId: string; tenantId: string }
  );

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest().principal as Principal;
});
