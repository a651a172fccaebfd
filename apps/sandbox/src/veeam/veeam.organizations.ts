import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SandboxScope } from '../support';
import type { AuthedRequest } from './veeam.auth';
import { VEEAM_MESSAGES } from './veeam.errors';
import { oneDriveUrl, veeamFixtureOrganization } from './veeam.fixtures';
import { handle, notFound, pageOf } from './veeam.http';
import { restOrganization, restSite, restTeam, restUser, sitesOf, teamsOf, usersOf } from './veeam.model';
import type { VeeamServerState } from './veeam.state';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }> & AuthedRequest;
type Scope = SandboxScope<VeeamServerState>;

const scopeOf = (req: Req): Scope => req.veeamScope!;

/** The one organization of the simulated server; 404 for any other id (spec /v8/Organizations/{organizationId}). */
export function organizationOf(scope: Scope, id: string): { id: string } {
  const org = veeamFixtureOrganization(scope.state.serverKey);
  if (id !== org.id) notFound(VEEAM_MESSAGES.organizationNotFound(id));
  return org;
}

/**
 * Organizations and their directory (users, sites, teams, groups):
 * spec paths /v8/Organizations[/{organizationId}[/Users|/Sites|/Teams|/Groups[/{id}]]].
 */
export function registerOrganizationRoutes(app: FastifyInstance): void {
  app.get(
    '/v8/Organizations',
    handle(async (req: Req) => pageOf(req, [restOrganization(scopeOf(req))], req.query)),
  );

  app.get(
    '/v8/Organizations/:organizationId',
    handle(async (req: Req) => {
      organizationOf(scopeOf(req), req.params.organizationId);
      return restOrganization(scopeOf(req));
    }),
  );

  app.get(
    '/v8/Organizations/:organizationId/Users',
    handle(async (req: Req) => {
      const org = organizationOf(scopeOf(req), req.params.organizationId);
      return pageOf(
        req,
        usersOf(scopeOf(req)).map((u) => restUser(org.id, u)),
        req.query,
      );
    }),
  );

  app.get(
    '/v8/Organizations/:organizationId/Users/:userId',
    handle(async (req: Req) => {
      const org = organizationOf(scopeOf(req), req.params.organizationId);
      const u = usersOf(scopeOf(req)).find((x) => x.id === req.params.userId);
      if (!u) notFound(VEEAM_MESSAGES.userNotFound(req.params.userId));
      return restUser(org.id, u);
    }),
  );

  app.get(
    '/v8/Organizations/:organizationId/Users/:userId/OneDrives',
    handle(async (req: Req) => {
      const scope = scopeOf(req);
      organizationOf(scope, req.params.organizationId);
      const u = usersOf(scope).find((x) => x.id === req.params.userId);
      if (!u) notFound(VEEAM_MESSAGES.userNotFound(req.params.userId));
      return pageOf(req, [{ id: u.id, name: u.name, url: oneDriveUrl(scope.state.serverKey, u.name), _links: {} }], req.query);
    }),
  );

  app.get(
    '/v8/Organizations/:organizationId/Sites',
    handle(async (req: Req) => {
      const org = organizationOf(scopeOf(req), req.params.organizationId);
      return pageOf(
        req,
        sitesOf(scopeOf(req)).map((s) => restSite(org.id, s)),
        req.query,
      );
    }),
  );

  app.get(
    '/v8/Organizations/:organizationId/Sites/:siteId',
    handle(async (req: Req) => {
      const org = organizationOf(scopeOf(req), req.params.organizationId);
      const s = sitesOf(scopeOf(req)).find((x) => x.id === req.params.siteId);
      if (!s) notFound(VEEAM_MESSAGES.siteNotFound(req.params.siteId));
      return restSite(org.id, s);
    }),
  );

  app.get(
    '/v8/Organizations/:organizationId/Teams',
    handle(async (req: Req) => {
      const org = organizationOf(scopeOf(req), req.params.organizationId);
      return pageOf(
        req,
        teamsOf(scopeOf(req)).map((t) => restTeam(org.id, t)),
        req.query,
      );
    }),
  );

  app.get(
    '/v8/Organizations/:organizationId/Teams/:teamId',
    handle(async (req: Req) => {
      const org = organizationOf(scopeOf(req), req.params.organizationId);
      const t = teamsOf(scopeOf(req)).find((x) => x.id === req.params.teamId);
      if (!t) notFound(VEEAM_MESSAGES.teamNotFound(req.params.teamId));
      return restTeam(org.id, t);
    }),
  );

  app.get(
    '/v8/Organizations/:organizationId/Groups',
    handle(async (req: Req) => {
      organizationOf(scopeOf(req), req.params.organizationId);
      return pageOf(req, [], req.query);
    }),
  );

  app.get(
    '/v8/Organizations/:organizationId/Groups/:groupId',
    handle(async (req: Req) => {
      organizationOf(scopeOf(req), req.params.organizationId);
      notFound(VEEAM_MESSAGES.groupNotFound(req.params.groupId));
    }),
  );
}
