import { GraphHttpError } from './graph.errors';

/**
 * The Microsoft Graph application permissions (app roles) of the Backup Storage API (SOURCE.md §Permissions, and
 * the Permissions section of each operation's Graph docs page).
 */
export const GRAPH_ROLES = {
  controlRead: 'BackupRestore-Control.Read.All',
  controlReadWrite: 'BackupRestore-Control.ReadWrite.All',
  configurationRead: 'BackupRestore-Configuration.Read.All',
  configurationReadWrite: 'BackupRestore-Configuration.ReadWrite.All',
  restoreRead: 'BackupRestore-Restore.Read.All',
  restoreReadWrite: 'BackupRestore-Restore.ReadWrite.All',
  searchRead: 'BackupRestore-Search.Read.All',
  monitorRead: 'BackupRestore-Monitor.Read.All',
} as const;

/** What an app registration holds unless the scope config says otherwise: everything a Backup Controller app uses. */
export const DEFAULT_APP_ROLES: readonly string[] = [
  GRAPH_ROLES.controlReadWrite,
  GRAPH_ROLES.configurationReadWrite,
  GRAPH_ROLES.restoreReadWrite,
  GRAPH_ROLES.searchRead,
];

/**
 * The roles admin-consented for an app registration, from scope config `appRoles`: a list (every app of the
 * tenant) or `{ "<clientId>": [roles] }` (apps not named keep the defaults). Read when a token is issued, like
 * Entra: a change of consent shows in the next token.
 */
export function appRolesFor(config: Record<string, unknown>, clientId: string): string[] {
  const raw = config.appRoles;
  if (Array.isArray(raw)) return raw.map(String);
  if (raw && typeof raw === 'object') {
    const forApp = (raw as Record<string, unknown>)[clientId];
    if (Array.isArray(forApp)) return forApp.map(String);
  }
  return [...DEFAULT_APP_ROLES];
}

const CONFIGURATION =
  /^(protectionPolicies|protectionUnits|\w+ProtectionPolicies|\w+ProtectionUnits|\w+InclusionRules|\w+BulkAdditionJobs)$/;
const RESTORE_SESSIONS = /^(restoreSessions|\w+RestoreSessions)$/;

/**
 * The roles of which a request needs one (least privileged first), by the first path segment under
 * /solutions/backupRestore; undefined for paths the API does not have (answered 400 by the not-found handler).
 * A ReadWrite role also grants its Read (the docs list it as the higher privileged permission).
 */
export function requiredRoles(method: string, path: string): string[] | undefined {
  const [first = '', second] = path.split('/').filter(Boolean);
  const read = method === 'GET';
  if (first === '') return read ? [GRAPH_ROLES.controlRead, GRAPH_ROLES.controlReadWrite] : [GRAPH_ROLES.controlReadWrite];
  if (first === 'enable' || first === 'serviceApps')
    return read ? [GRAPH_ROLES.controlRead, GRAPH_ROLES.controlReadWrite] : [GRAPH_ROLES.controlReadWrite];
  if (CONFIGURATION.test(first))
    return read ? [GRAPH_ROLES.configurationRead, GRAPH_ROLES.configurationReadWrite] : [GRAPH_ROLES.configurationReadWrite];
  if (RESTORE_SESSIONS.test(first)) return read ? [GRAPH_ROLES.restoreRead, GRAPH_ROLES.restoreReadWrite] : [GRAPH_ROLES.restoreReadWrite];
  if (first === 'restorePoints') {
    // restorePoint: search doc: BackupRestore-Search.Read.All only.
    if (second === 'search') return [GRAPH_ROLES.searchRead];
    // List restorePoints: the v1.0 page names BackupRestore-Restore.Read.All (higher: Restore.ReadWrite.All), the
    // published page BackupRestore-Search.Read.All; the sandbox accepts any of them.
    return [GRAPH_ROLES.restoreRead, GRAPH_ROLES.restoreReadWrite, GRAPH_ROLES.searchRead];
  }
  return undefined;
}

/**
 * Refuses a request whose token holds none of the roles it needs: 403 in Graph's form for a missing app role
 * (code Forbidden, naming the roles required and those on the request). Seed 000 has no row for it; the form is
 * Graph's common one, not confirmed for this API.
 */
export function checkRoles(method: string, path: string, roles: readonly string[]): void {
  const need = requiredRoles(method, path);
  if (!need || need.some((r) => roles.includes(r))) return;
  throw new GraphHttpError(
    403,
    'Forbidden',
    `Missing role permissions on the request. API requires one of '${need.join(', ')}'. Roles on the request '${roles.join(', ')}'.`,
  );
}
