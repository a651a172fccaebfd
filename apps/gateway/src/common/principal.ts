import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** Who is calling: the operator (ADMIN_API_KEY), a partner (MSP) key or a tenant key. */
export type Principal =
  | { kind: 'admin'; keyId: 'admin' }
  | { kind: 'partner'; keyId: string; partnerId: string }
  | { kind: 'tenant'; keyId: string; partnerId: string; tenantId: string };

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest().principal as Principal;
});
