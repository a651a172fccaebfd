import { createHash } from 'node:crypto';

/**
 * The simulated Microsoft 365 directory of one tenant: SharePoint sites, users with a OneDrive and
 * mailboxes, all derived from the tenant id and an index so every test can compute valid ids up front.
 *
 * Restore-blocked fixtures: the last GRAPH_SANDBOX_BLOCKED_COUNT entries of each kind (indexes 290..299)
 * always fail at restore with the artifact error `ArtifactCannotBeRestored` (seed 000 §List Restore
 * Artifacts), so partial success (`completedWithError`) is testable.
 */
export const GRAPH_SANDBOX_DIRECTORY_SIZE = 300;
export const GRAPH_SANDBOX_BLOCKED_COUNT = 10;

export interface GraphSandboxSite {
  index: number;
  /** `<hostname>,<site collection guid>,<web guid>` like Graph site ids. */
  siteId: string;
  webUrl: string;
  name: string;
  restoreBlocked: boolean;
}

export interface GraphSandboxUser {
  index: number;
  directoryObjectId: string;
  displayName: string;
  email: string;
  restoreBlocked: boolean;
}

/** Deterministic GUID from a seed string. */
export function sandboxGuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The tenant's SharePoint host, e.g. `contoso3f9a1c.sharepoint.com`. */
export function graphSandboxHost(tenantId: string): string {
  return `contoso${createHash('sha256').update(tenantId).digest('hex').slice(0, 6)}`;
}

function blocked(index: number): boolean {
  return index >= GRAPH_SANDBOX_DIRECTORY_SIZE - GRAPH_SANDBOX_BLOCKED_COUNT && index < GRAPH_SANDBOX_DIRECTORY_SIZE;
}

export function graphSandboxSite(tenantId: string, index: number): GraphSandboxSite {
  const host = `${graphSandboxHost(tenantId)}.sharepoint.com`;
  return {
    index,
    siteId: `${host},${sandboxGuid(`${tenantId}|site|${index}`)},${sandboxGuid(`${tenantId}|web|${index}`)}`,
    webUrl: `https://${host}/sites/site${index}`,
    name: `Site ${index}`,
    restoreBlocked: blocked(index),
  };
}

export function graphSandboxUser(tenantId: string, index: number): GraphSandboxUser {
  return {
    index,
    directoryObjectId: sandboxGuid(`${tenantId}|user|${index}`),
    displayName: `User ${index}`,
    email: `user${index}@${graphSandboxHost(tenantId)}.onmicrosoft.com`,
    restoreBlocked: blocked(index),
  };
}

/** The first `n` sites (at most the directory size). */
export function graphSandboxSites(tenantId: string, n = GRAPH_SANDBOX_DIRECTORY_SIZE): GraphSandboxSite[] {
  return range(n).map((i) => graphSandboxSite(tenantId, i));
}

/** The first `n` users; each has a OneDrive (driveProtectionUnit.directoryObjectId). */
export function graphSandboxUsers(tenantId: string, n = GRAPH_SANDBOX_DIRECTORY_SIZE): GraphSandboxUser[] {
  return range(n).map((i) => graphSandboxUser(tenantId, i));
}

/** The first `n` mailboxes (mailboxProtectionUnit.directoryObjectId); every user has one. */
export function graphSandboxMailboxes(tenantId: string, n = GRAPH_SANDBOX_DIRECTORY_SIZE): GraphSandboxUser[] {
  return graphSandboxUsers(tenantId, n);
}

/** The restore-blocked fixtures (last 10 of each kind). */
export function graphSandboxBlockedSites(tenantId: string): GraphSandboxSite[] {
  return range(GRAPH_SANDBOX_BLOCKED_COUNT).map((i) =>
    graphSandboxSite(tenantId, GRAPH_SANDBOX_DIRECTORY_SIZE - GRAPH_SANDBOX_BLOCKED_COUNT + i),
  );
}

export function graphSandboxBlockedUsers(tenantId: string): GraphSandboxUser[] {
  return range(GRAPH_SANDBOX_BLOCKED_COUNT).map((i) =>
    graphSandboxUser(tenantId, GRAPH_SANDBOX_DIRECTORY_SIZE - GRAPH_SANDBOX_BLOCKED_COUNT + i),
  );
}

function range(n: number): number[] {
  return Array.from({ length: Math.max(0, Math.min(n, GRAPH_SANDBOX_DIRECTORY_SIZE)) }, (_, i) => i);
}

/**
 * Microsoft 365 groups of the simulated directory, for inclusion rules (`(memberOf -any (group.id -in ['…']))`):
 * GRAPH_SANDBOX_GROUP_COUNT groups per tenant; group k has the users (their OneDrives and mailboxes) and the sites
 * of indexes 5k .. 5k+4. Any other group id has no members.
 */
export const GRAPH_SANDBOX_GROUP_COUNT = 10;
export const GRAPH_SANDBOX_GROUP_SIZE = 5;

export function graphSandboxGroupId(tenantId: string, k: number): string {
  return sandboxGuid(`${tenantId}|group|${k}`);
}

/** The fixture indexes (users and sites alike) of a group's members; [] for an unknown group. */
export function graphSandboxGroupMembers(tenantId: string, groupId: string): number[] {
  for (let k = 0; k < GRAPH_SANDBOX_GROUP_COUNT; k++) {
    if (graphSandboxGroupId(tenantId, k) === groupId.toLowerCase())
      return Array.from({ length: GRAPH_SANDBOX_GROUP_SIZE }, (_, i) => k * GRAPH_SANDBOX_GROUP_SIZE + i);
  }
  return [];
}

/** Lookup tables of one tenant's directory, built once per tenant scope. */
export class GraphDirectory {
  private readonly sites = new Map<string, GraphSandboxSite>();
  private readonly users = new Map<string, GraphSandboxUser>();
  private readonly usersByEmail = new Map<string, GraphSandboxUser>();

  constructor(readonly tenantId: string) {
    for (const s of graphSandboxSites(tenantId)) this.sites.set(s.siteId.toLowerCase(), s);
    for (const u of graphSandboxUsers(tenantId)) {
      this.users.set(u.directoryObjectId.toLowerCase(), u);
      this.usersByEmail.set(u.email.toLowerCase(), u);
    }
  }

  site(siteId: string): GraphSandboxSite | undefined {
    return this.sites.get(siteId.toLowerCase());
  }

  user(directoryObjectIdOrEmail: string): GraphSandboxUser | undefined {
    const k = directoryObjectIdOrEmail.toLowerCase();
    return this.users.get(k) ?? this.usersByEmail.get(k);
  }
}
