import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SandboxScope } from '../support';
import type { AuthedRequest } from './veeam.auth';
import { handle, pageOf } from './veeam.http';
import { restOrganization, usersOf } from './veeam.model';
import type { VeeamServerState } from './veeam.state';

type Req = FastifyRequest<{ Querystring: Record<string, unknown> }> & AuthedRequest;
type Scope = SandboxScope<VeeamServerState>;

/**
 * Licensed users (seed 002's table of contents, "Licensed Users"; Veeam's REST reference: GET /vN/LicensedUsers
 * [?organizationId=&name=], a page of users with id, name, isBackedUp, lastBackupDate and licenseState). VB365
 * licenses per user: a user holds a license once a backup job has processed their mailbox or OneDrive. The v8
 * spec trimmed into the repo has no schema for it; the fields follow the vendor's documentation.
 */
export function registerLicensingRoutes(app: FastifyInstance): void {
  app.get(
    '/v8/LicensedUsers',
    handle(async (req: Req) => {
      const scope: Scope = req.veeamScope!;
      const org = restOrganization(scope) as { id: string; name?: string };
      const q = req.query;
      if (q.organizationId && String(q.organizationId) !== org.id) return pageOf(req, [], q);
      const lastBackup = new Map<string, number>();
      for (const p of scope.state.restorePoints) {
        if (p.organizationId !== org.id) continue;
        for (const id of [...p.mailboxUserIds, ...p.oneDriveUserIds]) lastBackup.set(id, Math.max(lastBackup.get(id) ?? 0, p.backupTime));
      }
      const users = usersOf(scope)
        .filter((u) => lastBackup.has(u.id) && (!q.name || u.name === String(q.name)))
        .map((u) => ({
          id: u.id,
          name: u.name,
          isBackedUp: true,
          lastBackupDate: new Date(lastBackup.get(u.id)!).toISOString(),
          licenseState: 'Licensed',
          organizationId: org.id,
          organizationName: org.name ?? '',
          backedUpOrganizationId: org.id,
          _links: { self: { href: `/v8/LicensedUsers/${u.id}` }, organization: { href: `/v8/Organizations/${org.id}` } },
        }));
      return pageOf(req, users, q);
    }),
  );
}
