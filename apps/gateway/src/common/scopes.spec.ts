import 'reflect-metadata';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { API_SCOPES } from '@bg/domain';
import type { AppConfig } from '@bg/platform';
import { GatewayModule } from '../app.module';
import { PUBLIC_ROUTE } from './auth.guard';
import { REQUIRED_SCOPE } from './scopes';

interface Route {
  route: string;
  verb: string;
  isPublic: boolean;
  scope: unknown;
}

/** Every route handler of the gateway, with what it declares. */
function routes(): Route[] {
  const out: Route[] = [];
  for (const controller of GatewayModule.forRoot({} as AppConfig).controllers ?? []) {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const classPublic = Reflect.getMetadata(PUBLIC_ROUTE, controller) === true;
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler: unknown = Object.getOwnPropertyDescriptor(controller.prototype, name)?.value;
      if (typeof handler !== 'function') continue;
      const method: RequestMethod | undefined = Reflect.getMetadata(METHOD_METADATA, handler);
      if (method === undefined) continue;
      out.push({
        route: `${controller.name}.${name} /${[base, String(Reflect.getMetadata(PATH_METADATA, handler) ?? '')]
          .map((p) => p.replace(/^\/+|\/+$/g, ''))
          .filter(Boolean)
          .join('/')}`,
        verb: RequestMethod[method],
        isPublic: classPublic || Reflect.getMetadata(PUBLIC_ROUTE, handler) === true,
        scope: Reflect.getMetadata(REQUIRED_SCOPE, handler),
      });
    }
  }
  return out;
}

describe('route scopes', () => {
  const all = routes();

  it('finds the routes of every controller', () => {
    expect(all.length).toBeGreaterThan(60);
    expect(all.filter((r) => r.isPublic).map((r) => r.route)).toHaveLength(6);
  });

  it('has every route that is not public declare exactly one known scope on its handler', () => {
    const undeclared = all.filter((r) => !r.isPublic && !API_SCOPES.includes(r.scope as never)).map((r) => r.route);
    expect(undeclared).toEqual([]);
  });

  it('gives no public route a scope (a scope on a public route would never be checked)', () => {
    expect(all.filter((r) => r.isPublic && r.scope !== undefined).map((r) => r.route)).toEqual([]);
  });

  it('lets `read` cover only GETs and every GET need `read` or `billing` (usage)', () => {
    const scoped = all.filter((r) => !r.isPublic);
    expect(scoped.filter((r) => r.scope === 'read' && r.verb !== 'GET').map((r) => r.route)).toEqual([]);
    expect(scoped.filter((r) => r.verb === 'GET' && r.scope !== 'read' && r.scope !== 'billing').map((r) => r.route)).toEqual([]);
    expect(scoped.filter((r) => r.scope === 'billing').map((r) => r.route)).toEqual([
      'UsageController.list /v1/usage',
      'UsageController.listForTenant /v1/tenants/:tenantId/usage',
    ]);
  });

  it('puts restore-job writes under `restore`, webhook writes under `webhooks`, tenant/connection/key writes under `manage`', () => {
    const writes = all.filter((r) => !r.isPublic && r.verb !== 'GET');
    const byScope = (s: string) => writes.filter((r) => r.scope === s).map((r) => r.route);
    expect(byScope('restore').every((r) => r.startsWith('RestoreJobsController.'))).toBe(true);
    expect(byScope('restore')).toHaveLength(2);
    expect(byScope('webhooks').every((r) => /WebhooksController\./.test(r))).toBe(true);
    expect(
      byScope('manage').every((r) => /^(TenantsController|ConnectionsController|ApiKeysController|PartnersController)\./.test(r)),
    ).toBe(true);
    expect(
      byScope('backup').every((r) => /^(BackupRunsController|PoliciesController|PolicyRulesController|ProtectedItemsController)\./.test(r)),
    ).toBe(true);
  });
});
