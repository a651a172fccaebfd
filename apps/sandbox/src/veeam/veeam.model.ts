import { randomUUID } from 'node:crypto';
import type { SandboxScope } from '../support';
import {
  type FixtureSite,
  type FixtureTeam,
  type FixtureUser,
  veeamFixtureOrganization,
  veeamFixtureSites,
  veeamFixtureTeams,
  veeamFixtureUsers,
} from './veeam.fixtures';
import { iso } from './veeam.http';
import {
  configFlag,
  configList,
  configNumber,
  type JobItemRecord,
  type LogItemRecord,
  type JobRecord,
  type JobSessionRecord,
  type RepositoryRecord,
  type RestorePointRecord,
  type VeeamServerState,
} from './veeam.state';

type Scope = SandboxScope<VeeamServerState>;

/** The server's directory (fixtures sized by config). */
export function usersOf(scope: Scope): FixtureUser[] {
  return veeamFixtureUsers(scope.state.serverKey, configNumber(scope.config, 'userCount', 60));
}
export function sitesOf(scope: Scope): FixtureSite[] {
  return veeamFixtureSites(scope.state.serverKey, configNumber(scope.config, 'siteCount', 60));
}
export function teamsOf(scope: Scope): FixtureTeam[] {
  return veeamFixtureTeams(scope.state.serverKey);
}

const links = (self: string, extra: Record<string, string> = {}) =>
  Object.fromEntries([['self', { href: self }], ...Object.entries(extra).map(([k, v]) => [k, { href: v }])]);

// ---- representations (spec vb365-rest-v8 component schemas) ----

export function restUser(orgId: string, u: FixtureUser): Record<string, unknown> {
  return {
    id: u.id,
    displayName: u.displayName,
    name: u.name,
    type: 'User',
    locationType: 'Cloud',
    office: '',
    onPremisesSid: '',
    msid: u.id,
    _links: links(`/v8/Organizations/${orgId}/Users/${u.id}`, { organization: `/v8/Organizations/${orgId}` }),
  };
}

export function restSite(orgId: string, s: FixtureSite): Record<string, unknown> {
  return {
    id: s.id,
    url: s.url,
    parentUrl: '',
    name: s.name,
    isCloud: true,
    isPersonal: false,
    title: s.title,
    isAvailable: true,
    siteCollectionError: '',
    msid: s.id,
    _links: links(`/v8/Organizations/${orgId}/Sites/${s.id}`),
  };
}

export function restJobSite(s: FixtureSite): Record<string, unknown> {
  return { id: s.id, url: s.url, parentUrl: '', name: s.name, isCloud: true, isPersonal: false, title: s.title, siteCollectionError: '' };
}

export function restTeam(orgId: string, t: FixtureTeam): Record<string, unknown> {
  return { id: t.id, displayName: t.displayName, mail: t.mail, msid: t.id, _links: links(`/v8/Organizations/${orgId}/Teams/${t.id}`) };
}

export function restOrganization(scope: Scope): Record<string, unknown> {
  const o = veeamFixtureOrganization(scope.state.serverKey);
  const points = scope.state.restorePoints.map((p) => p.backupTime);
  return {
    type: 'Office365',
    region: 'Worldwide',
    id: o.id,
    name: o.name,
    officeName: o.officeName,
    isExchangeOnline: true,
    isSharePointOnline: true,
    isTeamsOnline: true,
    isTeamsChatsOnline: false,
    isBackedup: points.length > 0,
    firstBackuptime: iso(points.length ? Math.min(...points) : null),
    lastBackuptime: iso(points.length ? Math.max(...points) : null),
    _links: links(`/v8/Organizations/${o.id}`, {
      users: `/v8/Organizations/${o.id}/Users`,
      sites: `/v8/Organizations/${o.id}/Sites`,
      jobs: `/v8/Jobs?organizationId=${o.id}`,
    }),
  };
}

export function restRepository(r: RepositoryRecord): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    path: r.path,
    ...r.settings,
    proxyId: r.proxyId,
    proxyPoolId: r.proxyPoolId,
    organizationId: r.organizationId,
    capacityBytes: r.capacityBytes,
    freeSpaceBytes: r.freeSpaceBytes,
    isLongTerm: r.isLongTerm,
    isOutdated: false,
    isOutOfSync: false,
    isIndexed: true,
    isMigrationLocked: false,
    isOutOfOrder: false,
    _links: links(`/v8/BackupRepositories/${r.id}`, { backedupOrganizations: `/v8/BackupRepositories/${r.id}/backedupOrganizations` }),
  };
}

export function repositoriesOf(scope: Scope): RepositoryRecord[] {
  return scope.state.repositories;
}

export function restJobItem(job: JobRecord, item: JobItemRecord): Record<string, unknown> {
  return { ...item, _links: links(`/v8/Jobs/${job.id}/SelectedItems/${item.id}`, { job: `/v8/Jobs/${job.id}` }) };
}

export function restJob(job: JobRecord): Record<string, unknown> {
  return {
    backupType: job.backupType,
    ...(job.schedulePolicy ? { schedulePolicy: job.schedulePolicy } : {}),
    id: job.id,
    organizationId: job.organizationId,
    repositoryId: job.repositoryId,
    name: job.name,
    lastRun: iso(job.lastRun),
    nextRun: job.isEnabled ? iso(job.nextRunAt) : null,
    lastBackup: iso(job.lastBackup),
    isEnabled: job.isEnabled,
    lastStatus: job.lastStatus,
    eTag: job.eTag,
    _links: links(`/v8/Jobs/${job.id}`, {
      organization: `/v8/Organizations/${job.organizationId}`,
      backupRepository: `/v8/BackupRepositories/${job.repositoryId}`,
      selectedItems: `/v8/Jobs/${job.id}/SelectedItems`,
      jobsessions: `/v8/JobSessions?jobId=${job.id}`,
    }),
  };
}

/**
 * spec RESTJobSession. `progress` is "Number of processed objects during the job session" (spec), not a
 * percentage; statistics.processedObjects is "Number of items processed" (mails, documents) and
 * transferredDataBytes the data read from the source.
 */
export function restJobSession(s: JobSessionRecord): Record<string, unknown> {
  const seconds = Math.max(1, ((s.endTime ?? s.creationTime) - s.creationTime) / 1000);
  return {
    id: s.id,
    jobId: s.jobId,
    repositoryId: s.repositoryId,
    mainSessionId: s.id,
    details: s.status === 'Running' ? '' : `Job finished with ${s.status.toLowerCase()} status.`,
    creationTime: iso(s.creationTime),
    endTime: iso(s.endTime),
    retryCount: 0,
    jobWillBeRetried: false,
    progress: s.processedObjects,
    jobType: 'Backup',
    jobSessionConfigType: s.full ? 'Full' : 'Incremental',
    status: s.status,
    statistics: {
      processingRateBytesPS: Math.round(s.transferredBytes / seconds),
      processingRateItemsPS: Math.round(s.processedItems / seconds),
      readRateBytesPS: Math.round(s.transferredBytes / seconds),
      writeRateBytesPS: Math.round(s.transferredBytes / seconds),
      transferredDataBytes: s.transferredBytes,
      processedObjects: s.processedItems,
      bottleneck: s.status === 'Running' ? 'Detecting' : 'Source',
    },
    eTag: s.logItems.length,
    _links: links(`/v8/JobSessions/${s.id}`, { job: `/v8/Jobs/${s.jobId}`, logItems: `/v8/JobSessions/${s.id}/LogItems` }),
  };
}

/** spec RESTLogItem (endTime left out while the operation runs: the spec does not make it nullable). */
export function restLogItem(s: JobSessionRecord, l: LogItemRecord): Record<string, unknown> {
  return {
    id: l.id,
    usn: l.usn,
    type: l.type,
    message: l.message,
    creationTime: iso(l.creationTime),
    ...(l.endTime !== null ? { endTime: iso(l.endTime) } : {}),
    _links: links(`/v8/JobSessions/${s.id}/LogItems`, { jobSession: `/v8/JobSessions/${s.id}` }),
  };
}

export function restRestorePoint(p: RestorePointRecord): Record<string, unknown> {
  return {
    id: p.id,
    isDeleted: false,
    repositoryId: p.repositoryId,
    backupTime: iso(p.backupTime),
    jobId: p.jobId,
    organizationId: p.organizationId,
    isExchange: p.isExchange,
    isSharePoint: p.isSharePoint,
    isOneDrive: p.isOneDrive,
    isTeams: p.isTeams,
    isLongTermCopy: false,
    isCopy: false,
    isRetrieved: false,
    eTag: 1,
    objectsEtag: 1,
    _links: links(`/v8/RestorePoints/${p.id}`, {
      job: `/v8/Jobs/${p.jobId}`,
      backupRepository: `/v8/BackupRepositories/${p.repositoryId}`,
    }),
  };
}

// ---- status progressions over the sandbox clock ----

const PERIODS: Record<string, number> = {
  Minutes5: 5,
  Minutes10: 10,
  Minutes15: 15,
  Minutes30: 30,
  Hours1: 60,
  Hours2: 120,
  Hours4: 240,
  Hours8: 480,
  Hours12: 720,
};

/** The job's period in ms (null: ManualOnly). A job created without schedulePolicy runs daily. */
export function scheduleIntervalMs(scope: Scope, job: JobRecord): number | null {
  const sp = job.schedulePolicy ?? {};
  if (sp.type === 'ManualOnly' || sp.scheduleEnabled === false) return null;
  const override = configNumber(scope.config, 'backupIntervalMs', 0);
  if (override > 0) return override;
  if (sp.type === 'Periodically') return (PERIODS[String(sp.periodicallyEvery)] ?? 60) * 60_000;
  return 24 * 3600_000;
}

/** What the run of a job covers: its selected items, or everyone for EntireOrganization. */
function itemsOfRun(scope: Scope, job: JobRecord): JobItemRecord[] {
  if (job.backupType === 'SelectedItems') return job.selectedItems.map((i) => ({ ...i }));
  return [
    ...usersOf(scope).map((u) => ({
      id: u.id,
      type: 'User' as const,
      user: { id: u.id, displayName: u.displayName, name: u.name },
      mailbox: true,
      oneDrive: true,
    })),
    ...sitesOf(scope).map((s) => ({ id: s.id, type: 'Site' as const, site: restJobSite(s) })),
  ];
}

/**
 * The objects a job item stands for in a session's log, each with the names a test may use to fault it
 * (config failBackupsOf / warnBackupsOf / skipBackupsOf). VB365 logs a user's mailbox and OneDrive apart.
 */
function objectsOf(item: JobItemRecord): Array<{ label: string; names: string[] }> {
  const str = (o: Record<string, unknown> | undefined, k: string) => (o && typeof o[k] === 'string' ? (o[k] as string) : '');
  if (item.site) {
    const [id, url, title] = [str(item.site, 'id'), str(item.site, 'url'), str(item.site, 'title')];
    return [{ label: `site: ${title || url} (${url})`, names: [id, url, title] }];
  }
  if (item.team) {
    const [id, name, mail] = [str(item.team, 'id'), str(item.team, 'displayName'), str(item.team, 'mail')];
    return [{ label: `team: ${name} (${mail})`, names: [id, name, mail] }];
  }
  if (item.user) {
    const [id, name, upn] = [str(item.user, 'id'), str(item.user, 'displayName'), str(item.user, 'name')];
    const names = [id, name, upn];
    const who = `${name} (${upn})`;
    return [
      ...(item.mailbox || item.type === 'PartialOrganization' ? [{ label: `mailbox: ${who}`, names }] : []),
      ...(item.archiveMailbox ? [{ label: `archive mailbox: ${who}`, names }] : []),
      ...(item.oneDrive || item.type === 'OneDriveFolders' ? [{ label: `OneDrive: ${who}`, names }] : []),
      ...(item.personalSite ? [{ label: `personal site: ${who}`, names }] : []),
    ];
  }
  return [{ label: `organization objects (${item.type})`, names: [item.id] }];
}

/** Deterministic size of one object's backup: items and bytes (a full run reads everything, an incremental a fifth). */
function objectVolume(label: string, full: boolean): { items: number; bytes: number } {
  let h = 0;
  for (const c of label) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const items = (20 + (h % 180)) * (full ? 5 : 1);
  return { items, bytes: items * 48 * 1024 };
}

function addLog(s: JobSessionRecord, at: number, type: LogItemRecord['type'], message: string, extra: Partial<LogItemRecord> = {}) {
  const l: LogItemRecord = { id: randomUUID(), usn: s.logItems.length + 1, type, message, creationTime: at, endTime: at, ...extra };
  s.logItems.push(l);
  return l;
}

export function startJobSession(scope: Scope, job: JobRecord, at: number, full = false): JobSessionRecord {
  const stuck = configFlag(scope.config, 'stuckJobs');
  const session: JobSessionRecord = {
    id: randomUUID(),
    jobId: job.id,
    repositoryId: job.repositoryId,
    creationTime: at,
    endTime: null,
    endsAt: stuck ? null : at + configNumber(scope.config, 'backupDurationMs', 120_000),
    status: 'Running',
    full: full || job.lastBackup === null,
    items: itemsOfRun(scope, job),
    logItems: [],
    processedObjects: 0,
    processedItems: 0,
    transferredBytes: 0,
  };
  addLog(session, at, 'Success', `Job ${job.name} started at ${iso(at)}`);
  addLog(session, at, 'Success', `Found ${session.items.length} objects`);
  // Objects skipped by skipBackupsOf are not processed: no log item. The others show Running until the session ends.
  for (const item of session.items)
    for (const o of objectsOf(item))
      if (!listedIn(scope, 'skipBackupsOf', o.names))
        addLog(session, at, 'Running', `Processing ${o.label}`, { endTime: null, itemId: item.id, object: o.label });
  scope.state.jobSessions.push(session);
  job.lastRun = at;
  job.lastStatus = 'Running';
  return session;
}

function listedIn(scope: Scope, key: string, names: string[]): boolean {
  const list = configList(scope.config, key);
  return names.some((n) => n && list.includes(n));
}

/** An object's outcome in a session ending now, from the scope's fault switches. */
function outcomeOf(scope: Scope, names: string[]): 'Success' | 'Warning' | 'Error' {
  if (configFlag(scope.config, 'failBackups') || listedIn(scope, 'failBackupsOf', names)) return 'Error';
  if (listedIn(scope, 'warnBackupsOf', names)) return 'Warning';
  return 'Success';
}

/**
 * Ends a session. Each object gets one log item with its outcome (an object skipped by skipBackupsOf gets none);
 * the session is Failed when an object failed, Warning when one ended with a warning, else Success; `Stopped`
 * stops the objects instead. The restore point holds the objects that were backed up (Success or Warning); a
 * session that backed nothing up makes none.
 */
function finishJobSession(scope: Scope, s: JobSessionRecord, at: number, stopped = false): void {
  const job = scope.state.jobs.find((j) => j.id === s.jobId);
  const backedUp = new Set<JobItemRecord>();
  /** Per job item, the kinds of its objects backed up ("mailbox", "OneDrive", "site" ...: the label's head). */
  const kinds = new Map<JobItemRecord, Set<string>>();
  const outcomes: string[] = [];
  for (const l of s.logItems) {
    if (l.type !== 'Running' || !l.object) continue;
    const item = s.items.find((i) => i.id === l.itemId)!;
    const o = objectsOf(item).find((x) => x.label === l.object)!;
    l.endTime = at;
    if (stopped) {
      Object.assign(l, { type: 'Stop', message: `Processing ${o.label} was stopped` });
      continue;
    }
    const outcome = outcomeOf(scope, o.names);
    outcomes.push(outcome);
    if (outcome === 'Error') {
      Object.assign(l, { type: 'Error', message: `Failed to process ${o.label}. Error: Access is denied.` });
      continue;
    }
    const { items, bytes } = objectVolume(o.label, s.full);
    const mb = (bytes / 1024 / 1024).toFixed(1);
    l.type = outcome;
    l.message =
      outcome === 'Warning'
        ? `Processed ${o.label} with warnings: ${items} items (${mb} MB), 1 item skipped: the item is too large`
        : `Processed ${o.label}: ${items} items (${mb} MB)`;
    s.processedItems += items;
    s.transferredBytes += bytes;
    backedUp.add(item);
    kinds.set(item, (kinds.get(item) ?? new Set()).add(o.label.split(':')[0]));
  }
  s.processedObjects = backedUp.size;
  s.status = stopped ? 'Stopped' : outcomes.includes('Error') ? 'Failed' : outcomes.includes('Warning') ? 'Warning' : 'Success';
  s.endTime = at;
  addLog(
    s,
    at,
    s.status === 'Failed' ? 'Error' : s.status === 'Warning' ? 'Warning' : s.status === 'Stopped' ? 'Stop' : 'Success',
    `Job finished with ${s.status.toLowerCase()} at ${iso(at)}`,
  );
  if (job) job.lastStatus = s.status;
  if (backedUp.size === 0) return;
  if (job) job.lastBackup = at;
  const users = [...backedUp].filter((i) => i.type === 'User' && i.user);
  const uid = (i: JobItemRecord) => String(i.user!.id);
  const has = (i: JobItemRecord, ...k: string[]) => k.some((x) => kinds.get(i)?.has(x));
  const mailboxUsers = users.filter((i) => has(i, 'mailbox', 'archive mailbox'));
  const oneDriveUsers = users.filter((i) => has(i, 'OneDrive'));
  scope.state.restorePoints.push({
    id: randomUUID(),
    jobId: s.jobId,
    repositoryId: s.repositoryId,
    organizationId: job?.organizationId ?? '',
    backupTime: at,
    isExchange: mailboxUsers.length > 0,
    isOneDrive: oneDriveUsers.length > 0,
    isSharePoint: [...backedUp].some((i) => has(i, 'site', 'personal site')),
    isTeams: [...backedUp].some((i) => i.type === 'Team'),
    userIds: users.map(uid),
    siteIds: [...backedUp].filter((i) => i.type === 'Site' && i.site).map((i) => String(i.site!.id)),
    teamIds: [...backedUp].filter((i) => i.type === 'Team' && i.team).map((i) => String(i.team!.id)),
    mailboxUserIds: mailboxUsers.map(uid),
    oneDriveUserIds: oneDriveUsers.map(uid),
  });
}

/** Stops a running session now (POST /Jobs/{id}/stop). */
export function stopJobSessions(scope: Scope, job: JobRecord): void {
  const now = scope.clock.now().getTime();
  for (const s of scope.state.jobSessions) if (s.jobId === job.id && s.status === 'Running') finishJobSession(scope, s, now, true);
}

/**
 * Brings job sessions, schedules and restore points up to the scope's clock: finishes sessions whose
 * time has come, starts scheduled runs (one at a time per job), and records a restore point per
 * successful run. Called at the start of every request.
 */
export function advanceJobs(scope: Scope): void {
  const now = scope.clock.now().getTime();
  for (const job of scope.state.jobs) {
    for (let guard = 0; guard < 200; guard++) {
      for (const s of scope.state.jobSessions) {
        if (s.jobId === job.id && s.status === 'Running' && s.endsAt !== null && s.endsAt <= now) finishJobSession(scope, s, s.endsAt);
      }
      if (scope.state.jobSessions.some((s) => s.jobId === job.id && s.status === 'Running')) break;
      if (!job.isEnabled || job.nextRunAt === null || job.nextRunAt > now) break;
      const at = job.nextRunAt;
      const interval = scheduleIntervalMs(scope, job);
      job.nextRunAt = interval === null ? null : at + interval;
      startJobSession(scope, job, at);
    }
    // After a long clock jump, skip the runs that could not be simulated instead of replaying them.
    const interval = scheduleIntervalMs(scope, job);
    if (job.nextRunAt !== null && interval && job.nextRunAt <= now) job.nextRunAt = now + interval - ((now - job.nextRunAt) % interval);
  }
}
