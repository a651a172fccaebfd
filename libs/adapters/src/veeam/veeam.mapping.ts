import { WORKLOAD_ITEM_KIND, type BackupRunStatus, type ProtectedItemKind, type RestoreItemStatus, type Workload } from '@bg/domain';
import type {
  RestoreProgress,
  RestoreState,
  VendorBackupRun,
  VendorBackupRunItem,
  VendorOperationRef,
  VendorPolicy,
  VendorProtectedItem,
  VendorRestorePoint,
} from '../port/port.types';
import type {
  RESTBackupRepository,
  RESTBackupRepositoryStorageUsageInfo,
  RESTEditBackupJob,
  RESTJob,
  RESTJobItemComposed,
  RESTJobSession,
  RESTJobStatus,
  RESTLogItem,
  RESTRestorePoint,
  RESTRestoreSession,
  RESTRestoreSessionEvent,
  RESTSite,
  RESTUser,
  RestoreSessionType,
} from './veeam.types';

/** Pure wire <-> domain functions for Veeam. */

/** Restore session type per workload (spec RESTExploreOptions.type: Vex Exchange, Veod OneDrive, Vesp SharePoint, Vet Teams). */
export const SESSION_TYPE: Partial<Record<Workload, RestoreSessionType>> = { exchange: 'Vex', onedrive: 'Veod', sharepoint: 'Vesp' };

/** The job item entity types the adapter builds. */
export type ItemEntityType = 'Site' | 'User' | 'Team';

/**
 * A protected item's vendor ref: `<jobId>:<Site|User|Team>:<entity id>`. Veeam's restore points are per
 * job run and filtered by job and user/site/team id (spec GET /v8/RestorePoints), so the ref carries
 * both; the entity id is Veeam's id of the site/user, stable across re-adds of the item.
 */
export function itemRef(jobId: string, type: ItemEntityType, entityId: string): string {
  return `${jobId}:${type}:${entityId}`;
}

export function parseItemRef(ref: string): { jobId: string; type: ItemEntityType; entityId: string } | undefined {
  const m = /^([^:]+):(Site|User|Team):(.+)$/.exec(ref);
  return m ? { jobId: m[1], type: m[2] as ItemEntityType, entityId: m[3] } : undefined;
}

/** The entity a job item selects, or undefined for organization-wide items. */
export function entityOfItem(item: RESTJobItemComposed): { type: ItemEntityType; id: string } | undefined {
  if (item.type === 'Site' && item.site?.id) return { type: 'Site', id: item.site.id };
  if ((item.type === 'User' || item.type === 'OneDriveFolders') && item.user?.id) return { type: 'User', id: item.user.id };
  if (item.type === 'Team' && item.team?.id) return { type: 'Team', id: item.team.id };
  return undefined;
}

/** The workload a job item protects (a user with a mailbox is Exchange; with only a OneDrive, OneDrive). */
export function workloadOfItem(item: RESTJobItemComposed): Workload | undefined {
  if (item.type === 'Site') return 'sharepoint';
  if (item.type === 'Team') return 'teams';
  if (item.type === 'OneDriveFolders') return 'onedrive';
  if (item.type === 'User') {
    if (item.mailbox || item.archiveMailbox) return 'exchange';
    if (item.oneDrive || item.personalSite) return 'onedrive';
  }
  if (item.type === 'PartialOrganization')
    return item.mailbox ? 'exchange' : item.oneDrive ? 'onedrive' : item.sites ? 'sharepoint' : undefined;
  return undefined;
}

/** The job item that protects one workload entity: a site, or a user's mailbox / OneDrive. */
export function jobItemFor(workload: Workload, entity: RESTSite | RESTUser): RESTJobItemComposed {
  if (workload === 'sharepoint') {
    const s = entity as RESTSite;
    // spec RESTJobSite: id, url, title, isCloud and isPersonal are required.
    return { type: 'Site', site: { id: s.id, url: s.url, title: s.title, name: s.name, isCloud: s.isCloud, isPersonal: s.isPersonal } };
  }
  const u = entity as RESTUser;
  const user = { id: u.id, displayName: u.displayName, name: u.name };
  return workload === 'exchange' ? { type: 'User', user, mailbox: true } : { type: 'User', user, oneDrive: true };
}

export function entityTypeFor(workload: Workload): ItemEntityType {
  return workload === 'sharepoint' ? 'Site' : workload === 'teams' ? 'Team' : 'User';
}

/** The item kind a workload protects (domain WORKLOAD_ITEM_KIND). */
export function kindFor(workload: Workload): ProtectedItemKind {
  return WORKLOAD_ITEM_KIND[workload];
}

/**
 * The whole RESTEditBackupJob of a job as read, with `change` applied: PUT /v8/Jobs/{id} replaces every
 * setting, so each one the job has is carried over (read-only fields such as id, eTag and _links are not).
 */
export function editOf(
  job: RESTJob,
  change: { name?: string; selectedItems: RESTJobItemComposed[]; excludedItems: RESTJobItemComposed[] },
): RESTEditBackupJob {
  const bare = (items: RESTJobItemComposed[]) =>
    items.map((i) => Object.fromEntries(Object.entries(i).filter(([k]) => k !== '_links')) as unknown as RESTJobItemComposed);
  return {
    name: change.name ?? job.name,
    backupType: job.backupType ?? (change.selectedItems.length ? 'SelectedItems' : 'EntireOrganization'),
    repositoryId: job.repositoryId ?? '',
    isEnabled: job.isEnabled !== false,
    ...(job.schedulePolicy ? { schedulePolicy: job.schedulePolicy } : {}),
    ...(job.backupType !== 'EntireOrganization' ? { selectedItems: bare(change.selectedItems) } : {}),
    excludedItems: bare(change.excludedItems),
  };
}

export function toVendorPolicy(job: RESTJob, workload: Workload): VendorPolicy {
  const active = job.isEnabled !== false;
  return { vendorRef: job.id, workload, displayName: job.name, active, vendorStatus: job.lastStatus ?? (active ? 'Enabled' : 'Disabled') };
}

/**
 * A job item as a protected item. Veeam reports protection per job run, not per item: an item counts as
 * protected once the job has a successful backup (lastBackup set, last run Success or Warning).
 */
export function toProtectedItem(job: RESTJob, item: RESTJobItemComposed, workload: Workload): VendorProtectedItem | undefined {
  const entity = entityOfItem(item);
  if (!entity) return undefined;
  const backedUp = Boolean(job.lastBackup) && (job.lastStatus === 'Success' || job.lastStatus === 'Warning');
  return {
    vendorRef: itemRef(job.id, entity.type, entity.id),
    kind: kindFor(workloadOfItem(item) ?? workload),
    externalId: entity.id,
    vendorStatus: job.lastStatus ?? 'NotRun',
    protected: backedUp,
  };
}

/** GET /v8/RestorePoints query for one protected item within [from, to] ("after" / "before" are exclusive at Veeam). */
export function restorePointQuery(
  ref: { jobId: string; type: ItemEntityType; entityId: string },
  from?: Date,
  to?: Date,
): Record<string, string | undefined> {
  const entity = ref.type === 'Site' ? 'siteId' : ref.type === 'Team' ? 'teamId' : 'userId';
  return {
    jobId: ref.jobId,
    [entity]: ref.entityId,
    from: from ? new Date(from.getTime() - 1).toISOString() : undefined,
    to: to ? new Date(to.getTime() + 1).toISOString() : undefined,
  };
}

export function toRestorePoint(p: RESTRestorePoint, protectedItemRef: string): VendorRestorePoint {
  const tags = [
    p.isExchange && 'exchange',
    p.isOneDrive && 'onedrive',
    p.isSharePoint && 'sharepoint',
    p.isTeams && 'teams',
    p.isCopy && 'copy',
    p.isLongTermCopy && 'longTermCopy',
    p.isRetrieved && 'retrieved',
  ].filter((t): t is string => Boolean(t));
  return {
    vendorRef: p.id,
    protectedItemRef,
    pointInTime: new Date(p.backupTime),
    tags,
    ...(p.immutabilityExpiresOn ? { expiresAt: new Date(p.immutabilityExpiresOn) } : {}),
  };
}

// ---- backup repositories ----

/** A backup repository and the space one organization's backups use in it (seed 002 §Backup Repositories). */
export interface VeeamRepositoryUsage {
  repositoryRef: string;
  name: string;
  capacityBytes?: number;
  freeSpaceBytes?: number;
  longTerm: boolean;
  /** Space the organization's backups use there; 0 when the repository holds none of them. */
  usedBytes: number;
  /** Of which in object storage, for object storage repositories. */
  objectStorageUsedBytes?: number;
}

export function toRepositoryUsage(
  repo: RESTBackupRepository,
  organizationId: string,
  usage: RESTBackupRepositoryStorageUsageInfo[],
): VeeamRepositoryUsage {
  const mine = usage.find((u) => u.id === organizationId);
  return {
    repositoryRef: repo.id,
    name: repo.name ?? repo.id,
    ...(typeof repo.capacityBytes === 'number' ? { capacityBytes: repo.capacityBytes } : {}),
    ...(typeof repo.freeSpaceBytes === 'number' ? { freeSpaceBytes: repo.freeSpaceBytes } : {}),
    longTerm: repo.isLongTerm === true,
    usedBytes: mine?.usedSpaceBytes ?? 0,
    ...(typeof mine?.objectStorageUsedSpaceBytes === 'number' ? { objectStorageUsedBytes: mine.objectStorageUsedSpaceBytes } : {}),
  };
}

// ---- restore operations ------------------------------------------------------------------------------

/**
 * One explore session per restored item, and the restore sessions the item's restore actions answered
 * (RESTAsyncRestoreResponse.sessionId: v8 restore actions run in a restore session of their own, SOURCE.md
 * §Restore flow step 3). `restoreSessionIds` is absent until the item's restore has been started.
 */
export interface SessionEntry {
  sessionId: string;
  restorePointRef: string;
  protectedItemRef: string;
  restoreSessionIds?: string[];
}

/**
 * The operation ref: vendorRef lists the explore session ids (the same before and after the start, so a
 * reconciled ref is the one the start returns); extra.sessions keeps each item and its restore sessions.
 */
export function encodeOperation(entries: SessionEntry[], workload: Workload): VendorOperationRef {
  return { vendorRef: entries.map((e) => e.sessionId).join(','), extra: { workload, sessions: JSON.stringify(entries) } };
}

export function decodeOperation(ref: VendorOperationRef): SessionEntry[] {
  if (ref.extra?.sessions) {
    const parsed = JSON.parse(ref.extra.sessions) as SessionEntry[];
    if (Array.isArray(parsed)) return parsed;
  }
  return ref.vendorRef
    .split(',')
    .filter(Boolean)
    .map((sessionId) => ({ sessionId, restorePointRef: '', protectedItemRef: '' }));
}

type ItemProgress = NonNullable<RestoreProgress['items']>[number];

/** What the adapter reads of one item: its explore session, its restore sessions and their events. */
export interface ItemSessions {
  explore: RESTRestoreSession;
  restores: RESTRestoreSession[];
  events: RESTRestoreSessionEvent[];
}

/**
 * One item's progress from its restore sessions and their Restore events (status Running | Success |
 * Warning | Failed | Cancelled | Skipped, spec RESTRestoreSessionEvent). Not started (no restore session):
 * pending, or cancelled once the explore session is stopped. Started without a finished event yet: running.
 */
export function itemProgress(entry: SessionEntry, read: ItemSessions): ItemProgress {
  const base = { restorePointRef: entry.restorePointRef };
  if (read.restores.length === 0) {
    return read.explore.state === 'Stopped'
      ? { ...base, status: 'cancelled', vendorStatus: 'Stopped' }
      : { ...base, status: 'pending', vendorStatus: read.explore.state };
  }
  const restores = read.events.filter((e) => !e.type || e.type === 'Restore');
  const sessionsStatus = read.restores.map((s) => `${s.state}/${s.result}`).join(',');
  if (restores.length === 0) {
    if (read.restores.some((s) => s.state === 'Working')) return { ...base, status: 'running', vendorStatus: sessionsStatus };
    // Ended without a restore event: the sessions' result is all there is.
    const failed = read.restores.find((s) => s.result === 'Failed');
    return failed
      ? {
          ...base,
          status: 'failed',
          vendorStatus: sessionsStatus,
          errorCode: 'RESTORE_FAILED',
          vendorCode: 'Failed',
          errorMessage: failed.details || 'Veeam could not restore the item',
        }
      : { ...base, status: 'succeeded', vendorStatus: sessionsStatus };
  }
  const has = (s: RESTRestoreSessionEvent['status']) => restores.some((e) => e.status === s);
  const bytes = restores.filter((e) => e.status === 'Success' || e.status === 'Warning').reduce((a, e) => a + (e.itemSizeBytes ?? 0), 0);
  const vendorStatus = [...new Set(restores.map((e) => e.status))].join(',');
  if (has('Running')) return { ...base, status: 'running', vendorStatus };
  const bad = restores.find((e) => e.status === 'Failed' || e.status === 'Skipped');
  if (bad)
    return {
      ...base,
      status: 'failed',
      vendorStatus,
      errorCode: 'RESTORE_FAILED',
      vendorCode: bad.status,
      errorMessage: bad.message,
      restoredBytes: bytes,
    };
  if (has('Cancelled')) return { ...base, status: 'cancelled', vendorStatus, restoredBytes: bytes };
  return { ...base, status: 'succeeded', vendorStatus, restoredBytes: bytes };
}

/** The operation's state from its items' states. */
export function overallState(items: Array<{ status: RestoreItemStatus }>): RestoreState {
  if (items.length === 0) return 'pending';
  if (items.every((i) => i.status === 'pending')) return 'pending';
  if (items.some((i) => i.status === 'pending' || i.status === 'running')) return 'running';
  const ok = items.filter((i) => i.status === 'succeeded').length;
  if (ok === items.length) return 'succeeded';
  if (ok > 0) return 'partiallySucceeded';
  if (items.every((i) => i.status === 'cancelled')) return 'cancelled';
  return 'failed';
}

export function toRestoreProgress(entries: SessionEntry[], reads: ItemSessions[]): RestoreProgress {
  const items = entries.map((e, i) => itemProgress(e, reads[i]));
  const state = overallState(items);
  // The raw state per item: its restore sessions' state/result, or its explore session's before the start.
  const vendorStatus = reads
    .map((r) => (r.restores.length ? r.restores : [r.explore]).map((s) => `${s.state}/${s.result}`).join('+'))
    .join(',');
  const failed = items.find((i) => i.status === 'failed');
  return {
    state,
    vendorStatus,
    items,
    ...(state === 'failed' && failed
      ? {
          error: {
            code: 'RESTORE_FAILED',
            vendorCode: failed.vendorCode,
            message: failed.errorMessage ?? 'Veeam could not restore the item',
          },
        }
      : {}),
  };
}

/** Splits "<folder>/<folder>/<name>" into segments; a trailing "/" marks a folder. */
export function splitPath(path: string): { segments: string[]; folder: boolean } {
  const folder = /\/\s*$/.test(path);
  return {
    segments: path
      .split('/')
      .map((s) => s.trim())
      .filter(Boolean),
    folder,
  };
}

// ---- backup runs (job sessions) ----------------------------------------------------------------------

/**
 * RESTJobSession.status (spec enum) -> our run status. Success, Warning, Failed, Running and Queued are direct.
 * The rest ended without a backup to count on, so they are failed with the vendor's status kept:
 * - Stopped: the session was stopped (POST /Jobs/{id}/stop, or the service) before it finished;
 * - NotConfigured: the job cannot run as configured;
 * - Disconnected: the server lost the backup proxy during the session.
 */
export const JOB_SESSION_STATUS: Record<RESTJobStatus, BackupRunStatus> = {
  Success: 'succeeded',
  Warning: 'warning',
  Failed: 'failed',
  Running: 'running',
  Queued: 'queued',
  Stopped: 'failed',
  NotConfigured: 'failed',
  Disconnected: 'failed',
};

/**
 * A session's status as ours. A status the spec does not name still surfaces (vendorStatus keeps it): with an
 * endTime the session is over and nothing says it backed up, so it is failed; without one it is running, so the
 * caller keeps following it.
 */
export function runStatusOf(s: Pick<RESTJobSession, 'status' | 'endTime'>): BackupRunStatus {
  const known = (JOB_SESSION_STATUS as Record<string, BackupRunStatus | undefined>)[s.status];
  if (known) return known;
  return s.endTime ? 'failed' : 'running';
}

/** One selected object of a job as the adapter names it in run outcomes, and the names its log lines carry. */
export interface JobObject {
  itemRef: string;
  /** Lower-cased identifiers that name the object in a log message: site url, user name (UPN), team mail, entity id. */
  keys: string[];
}

/** The job's selected items as objects; organization-wide items name no object and are left out. */
export function jobObjects(jobId: string, items: RESTJobItemComposed[]): JobObject[] {
  const out = new Map<string, JobObject>();
  for (const i of items) {
    const e = entityOfItem(i);
    if (!e) continue;
    const ref = itemRef(jobId, e.type, e.id);
    // The entity id only when it is id-like (a GUID): a short one could be a word of any message.
    const names = [e.id.length >= 16 ? e.id : undefined, i.site?.url, i.user?.name, i.team?.mail].filter(
      (k): k is string => typeof k === 'string' && k.length > 0,
    );
    const o = out.get(ref) ?? { itemRef: ref, keys: [] };
    o.keys.push(...names.map((k) => k.toLowerCase()).filter((k) => !o.keys.includes(k)));
    out.set(ref, o);
  }
  return [...out.values()];
}

const NAME_CHAR = /[\w\-%+/@]/;

/** Does `message` name `key` as a whole (not a prefix of a longer url or address)? Both lower-cased. */
function names(message: string, key: string): boolean {
  for (let at = message.indexOf(key); at >= 0; at = message.indexOf(key, at + 1)) {
    const before = message[at - 1];
    const after = message[at + key.length];
    const afterNext = message[at + key.length + 1];
    if (before && NAME_CHAR.test(before)) continue;
    if (after && NAME_CHAR.test(after)) continue;
    if (after === '.' && afterNext && /\w/.test(afterNext)) continue;
    return true;
  }
  return false;
}

const LOG_STATUS: Record<string, BackupRunStatus> = {
  Success: 'succeeded',
  Warning: 'warning',
  Error: 'failed',
  Stop: 'failed',
  Running: 'running',
};

/**
 * Per-object outcomes from a session's log (spec RESTLogItem). A log item names no object but in its message,
 * so a line belongs to the objects whose url / user name / mail / id it names (VB365 logs one line per mailbox,
 * OneDrive, site: a user item can have two). An object's outcome: failed if a line of it is Error or Stop, else
 * running if one is still Running (a Running line is ignored once another line of the object exists in an ended
 * session), else warning if one is Warning, else succeeded. Objects no line names were not processed and are
 * left out; lines of a type the spec does not name are ignored.
 */
export function objectOutcomes(objects: JobObject[], log: RESTLogItem[], sessionEnded: boolean): VendorBackupRunItem[] {
  const out: VendorBackupRunItem[] = [];
  for (const o of objects) {
    const lines = log.filter((l) => l.message && LOG_STATUS[l.type ?? ''] && o.keys.some((k) => names(l.message!.toLowerCase(), k)));
    const settled = sessionEnded && lines.some((l) => l.type !== 'Running') ? lines.filter((l) => l.type !== 'Running') : lines;
    if (settled.length === 0) continue;
    const statuses = settled.map((l) => LOG_STATUS[l.type!]);
    const bad = settled.find((l) => LOG_STATUS[l.type!] === 'failed');
    if (bad)
      out.push({ itemRef: o.itemRef, status: 'failed', error: { code: 'VENDOR_ERROR', vendorCode: bad.type!, message: bad.message! } });
    else if (statuses.includes('running')) out.push({ itemRef: o.itemRef, status: 'running' });
    else if (statuses.includes('warning')) {
      const w = settled.find((l) => l.type === 'Warning')!;
      out.push({ itemRef: o.itemRef, status: 'warning', error: { code: 'VENDOR_ERROR', vendorCode: 'Warning', message: w.message! } });
    } else out.push({ itemRef: o.itemRef, status: 'succeeded' });
  }
  return out;
}

const date = (v: string | null | undefined): Date | undefined => {
  const t = v ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? undefined : new Date(t);
};

/** A job session as our run; `items` are its per-object outcomes when read (absent: the whole run counts). */
export function toBackupRun(s: RESTJobSession, items?: VendorBackupRunItem[]): VendorBackupRun {
  const status = runStatusOf(s);
  const ended = status !== 'running' && status !== 'queued';
  const run: VendorBackupRun = { vendorRef: s.id, policyRef: s.jobId, status, vendorStatus: s.status || 'Unknown' };
  const startedAt = date(s.creationTime);
  if (startedAt) run.startedAt = startedAt;
  const endedAt = ended ? date(s.endTime) : undefined;
  if (endedAt) run.endedAt = endedAt;
  if (typeof s.statistics?.processedObjects === 'number') run.itemsProcessed = s.statistics.processedObjects;
  if (typeof s.statistics?.transferredDataBytes === 'number') run.bytesProcessed = s.statistics.transferredDataBytes;
  if (status === 'failed')
    run.error = {
      code: 'VENDOR_ERROR',
      vendorCode: s.status || 'Unknown',
      message: s.details || `The Veeam job session ended ${s.status || 'without a status'}`,
    };
  if (items) run.items = items;
  return run;
}
