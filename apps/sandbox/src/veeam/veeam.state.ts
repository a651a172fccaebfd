import { veeamFixtureProxyId, veeamFixtureRepositories } from './veeam.fixtures';

/**
 * In-memory state of one simulated VB365 server (one sandbox scope). Plain objects and arrays only,
 * so the control API can return it as JSON.
 *
 * Behaviour switches (scope.config, set by tests with SandboxControl.configure):
 * - tokenLifetimeSeconds (default 3600), refreshTokenLifetimeSeconds (default 14 days)
 * - tokenRequestsPerMinute (default 25): token endpoint quota per user name / client id
 * - firstBackupDelayMs (default 60 000): an enabled scheduled job's first run after creation
 * - backupDurationMs (default 120 000), backupIntervalMs (overrides the schedule's period)
 * - stuckJobs (true: job sessions stay Running), failBackups (true: every object of a job session fails)
 * - failBackupsOf / warnBackupsOf / skipBackupsOf (string[]: ids, site urls or titles, user names (UPN) or display
 *   names of objects): from the next session on, that object's backup ends Error (the session Failed), ends
 *   Warning (the session Warning unless Failed), or is not processed at all (no log item, no restore point for
 *   it; the session's status does not change). Read when a session ends.
 * - sessionBoundsBy ('creationTime' default | 'endTime'): what GET /v8/JobSessions endTimeLowerBound /
 *   endTimeUpperBound compare. The spec's descriptions say "created after / before"; the names say end time,
 *   and a session still running has none. 'endTime' leaves running sessions out of a bounded list.
 * - restoreDurationMs (default 60 000), stuckRestores (true: restore events stay Running)
 * - pageLinks ('navigation' default | 'self' | 'none'): the HAL `_links` of a PageOf (veeam.http.ts pageOf)
 * - failRestoreOf (string[]: names/urls/emails of items whose restore ends Failed)
 * - userCount / siteCount (fixture sizes, default 60)
 * - requireRestoreCredentials (true: restore actions need Entra app / device code / user credentials)
 */
export interface TokenRecord {
  accessToken: string;
  refreshToken: string;
  userName: string;
  expiresAt: number;
  refreshExpiresAt: number;
  revoked: boolean;
}

export type JobItemType = 'Group' | 'User' | 'Site' | 'PartialOrganization' | 'PersonalSites' | 'OneDriveFolders' | 'Team';

/** A RESTJobItemComposed as the server holds it. */
export interface JobItemRecord {
  id: string;
  type: JobItemType;
  user?: Record<string, unknown>;
  site?: Record<string, unknown>;
  team?: Record<string, unknown>;
  group?: Record<string, unknown>;
  mailbox?: boolean;
  oneDrive?: boolean;
  archiveMailbox?: boolean;
  personalSite?: boolean;
  folders?: string[];
  sites?: boolean;
  teams?: boolean;
  teamsChats?: boolean;
}

export interface JobRecord {
  id: string;
  name: string;
  organizationId: string;
  repositoryId: string;
  backupType: 'EntireOrganization' | 'SelectedItems';
  isEnabled: boolean;
  schedulePolicy?: Record<string, unknown>;
  selectedItems: JobItemRecord[];
  excludedItems: JobItemRecord[];
  createdAt: number;
  /** Next scheduled run on the sandbox clock (ms), or null for ManualOnly. */
  nextRunAt: number | null;
  lastRun: number | null;
  lastBackup: number | null;
  lastStatus: string | null;
  eTag: number;
}

/** One RESTLogItem of a job session: session-level lines, and one per processed object (mailbox, OneDrive, site, team). */
export interface LogItemRecord {
  id: string;
  usn: number;
  type: 'Running' | 'Warning' | 'Error' | 'Success' | 'Stop';
  message: string;
  creationTime: number;
  endTime: number | null;
  /** The job item and object (mailbox/OneDrive/site/team) the line is about; absent for session-level lines. */
  itemId?: string;
  object?: string;
}

export interface JobSessionRecord {
  id: string;
  jobId: string;
  repositoryId: string;
  creationTime: number;
  endTime: number | null;
  /** When the session will end on its own (sandbox clock), null when stuck. */
  endsAt: number | null;
  status: 'Stopped' | 'Running' | 'Success' | 'Failed' | 'Warning' | 'Queued';
  full: boolean;
  /** Items the run processes (snapshot at start). */
  items: JobItemRecord[];
  logItems: LogItemRecord[];
  /** Objects finished (RESTJobSession.progress), items and bytes transferred (statistics). */
  processedObjects: number;
  processedItems: number;
  transferredBytes: number;
}

export interface RestorePointRecord {
  id: string;
  jobId: string;
  repositoryId: string;
  organizationId: string;
  backupTime: number;
  isExchange: boolean;
  isSharePoint: boolean;
  isOneDrive: boolean;
  isTeams: boolean;
  userIds: string[];
  siteIds: string[];
  teamIds: string[];
  /** Users whose mailbox / OneDrive the point holds. */
  mailboxUserIds: string[];
  oneDriveUserIds: string[];
}

export interface RestoreEventRecord {
  id: string;
  type: 'Restore';
  status: 'Running' | 'Success' | 'Warning' | 'Failed' | 'Cancelled' | 'Skipped';
  startTime: number;
  endTime: number | null;
  /** When the restore finishes on its own, null when stuck. */
  endsAt: number | null;
  /** Final status when it finishes. */
  outcome: 'Success' | 'Failed';
  title: string;
  message: string;
  order: number;
  itemName: string;
  itemType: string;
  itemSizeBytes: number;
  source: string;
  target: string;
  userId?: string;
  siteId?: string;
}

/**
 * A restore session. `explore` sessions are opened by POST /Jobs/{jobId}/explore (or the organization's) and
 * restore nothing themselves; each v8 restore action inside one starts a `restore` session of its own, whose id
 * the action answers (RESTAsyncRestoreResponse.sessionId) and whose events are that restore's progress.
 */
export interface RestoreSessionRecord {
  id: string;
  kind: 'explore' | 'restore';
  /** For a restore session: the explore session it was started from (the API does not show this link). */
  exploreSessionId: string | null;
  name: string;
  type: 'Vex' | 'Veod' | 'Vesp' | 'Vet';
  jobId: string | null;
  organizationId: string;
  initiatedBy: string;
  creationTime: number;
  endTime: number | null;
  state: 'Working' | 'Stopped';
  /** The restore point the session explores (latest at or before dateTime), null if none. */
  restorePointId: string | null;
  events: RestoreEventRecord[];
  eTag: number;
}

/** A backup repository as the server holds it (RESTBackupRepository's settings). */
export interface RepositoryRecord {
  id: string;
  name: string;
  description: string;
  path: string;
  settings: Record<string, unknown>;
  proxyId: string | null;
  proxyPoolId: string | null;
  organizationId: string | null;
  isLongTerm: boolean;
  capacityBytes: number;
  freeSpaceBytes: number;
}

export interface VeeamServerState {
  serverKey: string;
  repositories: RepositoryRecord[];
  tokens: TokenRecord[];
  /** Token endpoint request times (sandbox clock, ms) in the current quota window. */
  tokenRequests: number[];
  jobs: JobRecord[];
  jobSessions: JobSessionRecord[];
  restorePoints: RestorePointRecord[];
  restoreSessions: RestoreSessionRecord[];
}

/** The default retention of a repository (ItemLevel, 3 years, daily clean-up). */
export const DEFAULT_RETENTION = {
  retentionType: 'ItemLevel',
  retentionPeriodType: 'Yearly',
  yearlyRetentionPeriod: 'Years3',
  retentionFrequencyType: 'Daily',
  dailyTime: '18:00:00',
  dailyType: 'Everyday',
};

export function initialVeeamState(serverKey: string): VeeamServerState {
  const repositories = veeamFixtureRepositories(serverKey).map((r) => ({
    id: r.id,
    name: r.name,
    description: '',
    path: r.path,
    settings: { ...DEFAULT_RETENTION },
    proxyId: veeamFixtureProxyId(serverKey),
    proxyPoolId: null,
    organizationId: null,
    isLongTerm: r.isLongTerm,
    capacityBytes: 1_099_511_627_776,
    freeSpaceBytes: 824_633_720_832,
  }));
  return { serverKey, repositories, tokens: [], tokenRequests: [], jobs: [], jobSessions: [], restorePoints: [], restoreSessions: [] };
}

/** Typed reads of scope.config with defaults. */
export function configNumber(config: Record<string, unknown>, key: string, fallback: number): number {
  const v = config[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export function configFlag(config: Record<string, unknown>, key: string): boolean {
  return config[key] === true;
}

export function configList(config: Record<string, unknown>, key: string): string[] {
  const v = config[key];
  return Array.isArray(v) ? v.map(String) : [];
}
