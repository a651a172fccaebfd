import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { ApiScope } from '@bg/domain';

export const REQUIRED_SCOPE = 'bg:required-scope';

/**
 * The scope a key needs to call this route (checked by AuthGuard; 403 INSUFFICIENT_SCOPE otherwise).
 * Every route that is not @Public() declares one on its handler; a unit test enumerates the routes.
 * The OpenAPI operation carries it as `x-required-scope`.
 */
export const RequireScope = (scope: ApiScope) =>
  applyDecorators(SetMetadata(REQUIRED_SCOPE, scope), ApiExtension('x-required-scope', scope));
