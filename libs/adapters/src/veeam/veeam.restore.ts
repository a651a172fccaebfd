import type { Workload } from '@bg/domain';
import { withoutSignal } from '../http/abort';
import type { CallContext, RestoreItemRequest, RestoreProgress, RestoreRequest, VendorOperationRef } from '../port/port.types';
import type { ReconcileOptions, StartOptions } from '../port/backup-vendor.port';
import { VendorError } from '../port/vendor-error';
import type { SessionCollection, VeeamClient } from './veeam.client';
import type { VeeamRestoreAuth } from './veeam.credentials';
import { veeamRefusal } from './veeam.errors';
import {
  decodeOperation,
  encodeOperation,
  itemProgress,
  parseItemRef,
  SESSION_TYPE,
  splitPath,
  toRestoreProgress,
  type ItemSessions,
  type SessionEntry,
} from './veeam.mapping';
import type { RESTExchangeMailbox, RESTItemComposed, RESTOneDrive, RESTRestoreSessionEvent, RESTSharePointSite } from './veeam.types';

const COLLECTION: Partial<Record<Workload, SessionCollection>> = { sharepoint: 'site', onedrive: 'oneDrive', exchange: 'mailbox' };

const sameUrl = (a?: string, b?: string) => !!a && !!b && a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

/**
 * Restores through VB365 restore sessions. Each restored item gets its own explore session at its
 * restore point's backup time (POST /v8/Jobs/{jobId}/explore). Phase 1 opens the sessions (they restore
 * nothing); phase 2 finds the item inside its session and calls the v8 asynchronous restore action, which
 * answers the id of a restore session of its own (RESTAsyncRestoreResponse.sessionId): that session's
 * state and events are the item's progress. Cancel stops the restore sessions, then the explore sessions
 * (POST /RestoreSessions/{id}/Stop).
 */
export class VeeamRestores {
  constructor(
    private readonly client: VeeamClient,
    private readonly organizationId: (ctx: CallContext) => Promise<string>,
    private readonly auth: VeeamRestoreAuth = {},
  ) {}

  /** The Entra application credentials, in the bodies whose schema has them (impersonation only where defined). */
  private withAuth(body: Record<string, unknown>, impersonation: boolean): Record<string, unknown> {
    const { impersonationAccountName, ...app } = this.auth;
    return { ...body, ...app, ...(impersonation && impersonationAccountName ? { impersonationAccountName } : {}) };
  }

  /** Everything the adapter can check before calling Veeam. */
  validate(req: RestoreRequest): void {
    if (!SESSION_TYPE[req.workload])
      throw veeamRefusal('UNSUPPORTED_BY_VENDOR', `veeam does not support restoreJob.create for workload ${req.workload}`);
    if (req.items.length === 0) throw veeamRefusal('INVALID_REQUEST', 'A restore needs at least one item');
    for (const item of req.items) {
      if (!parseItemRef(item.protectedItemRef))
        throw veeamRefusal('INVALID_REQUEST', `Not a Veeam protected item ref: ${item.protectedItemRef}`);
      if (!item.restorePointRef) throw veeamRefusal('INVALID_REQUEST', 'Every restore item needs a restore point');
    }
    if (req.destination !== 'new') return;
    // v8 has no restoreTo for OneDrive (only restore to the original OneDrive).
    if (req.workload === 'onedrive')
      throw veeamRefusal('UNSUPPORTED_BY_VENDOR', 'veeam does not support restoreJob.create to a new location for OneDrive');
    if (req.workload === 'sharepoint' && !req.target?.siteUrl)
      throw veeamRefusal('INVALID_REQUEST', 'A SharePoint restore to a new location needs target.siteUrl');
    if (req.workload === 'exchange' && !req.target?.mailbox)
      throw veeamRefusal('INVALID_REQUEST', 'An Exchange restore to a new location needs target.mailbox');
  }

  async prepare(ctx: CallContext, req: RestoreRequest): Promise<VendorOperationRef> {
    this.validate(req);
    const entries: SessionEntry[] = [];
    try {
      for (const item of req.items) {
        const point = await this.client.getRestorePoint(ctx, item.restorePointRef);
        const jobId = point.jobId ?? parseItemRef(item.protectedItemRef)!.jobId;
        // The session shows the data of the latest point at or before dateTime: this very point.
        const session = await this.client.exploreJob(ctx, jobId, {
          dateTime: point.backupTime,
          type: SESSION_TYPE[req.workload]!,
          showDeleted: false,
          showAllVersions: false,
        });
        entries.push({ sessionId: session.id, restorePointRef: item.restorePointRef, protectedItemRef: item.protectedItemRef });
      }
    } catch (e) {
      // Clean-up runs even when the call was aborted: open sessions hold server resources.
      await this.stopAll(withoutSignal(ctx), entries);
      throw e;
    }
    return encodeOperation(entries, req.workload);
  }

  async start(
    ctx: CallContext,
    ref: VendorOperationRef,
    req: RestoreRequest,
    opts?: StartOptions,
  ): Promise<{ ref: VendorOperationRef; progress: RestoreProgress }> {
    this.validate(req);
    // Resuming, an earlier attempt may have started some items before it failed or the worker died: those
    // keep their restore sessions, only the others are started now (never a second restore of an item).
    // A first start looks for nothing: a restore session of the same site started meanwhile is another
    // job's (the API shows no link from a restore session to its explore session).
    const entries = opts?.resuming ? await this.locate(ctx, decodeOperation(ref), req, opts) : decodeOperation(ref);
    for (const [i, entry] of entries.entries()) {
      if (entry.restoreSessionIds?.length) continue;
      const item =
        req.items.find((x) => x.restorePointRef === entry.restorePointRef && x.protectedItemRef === entry.protectedItemRef) ?? req.items[i];
      entry.restoreSessionIds = await this.restoreItem(ctx, entry, item, req);
    }
    const started = encodeOperation(entries, req.workload);
    return { ref: started, progress: await this.progress(ctx, started) };
  }

  /**
   * Progress of every item from its restore sessions. An explore session whose item has finished is
   * stopped (it holds server resources); a restore session ends on its own.
   */
  async progress(ctx: CallContext, ref: VendorOperationRef): Promise<RestoreProgress> {
    const entries = decodeOperation(ref);
    const reads = await Promise.all(entries.map((e) => this.read(ctx, e)));
    const done = entries.filter(
      (e, i) => reads[i].explore.state === 'Working' && ['succeeded', 'failed', 'cancelled'].includes(itemProgress(e, reads[i]).status),
    );
    await this.stopAll(ctx, done);
    return toRestoreProgress(entries, reads);
  }

  /**
   * Reconciliation: the restore sessions of every item, found by the ref or on the server. Undefined
   * unless every item's restore has started (start() then starts the missing ones, and only those).
   */
  async find(
    ctx: CallContext,
    ref?: VendorOperationRef,
    req?: RestoreRequest,
    opts?: ReconcileOptions,
  ): Promise<{ ref: VendorOperationRef; progress: RestoreProgress } | undefined> {
    if (!ref?.vendorRef) return undefined;
    try {
      const entries = await this.locate(ctx, decodeOperation(ref), req, opts);
      if (!entries.every((e) => e.restoreSessionIds?.length)) return undefined;
      const found = encodeOperation(entries, (ref.extra?.workload as Workload | undefined) ?? 'sharepoint');
      return { ref: found, progress: await this.progress(ctx, found) };
    } catch (e) {
      if (e instanceof VendorError && e.code === 'NOT_FOUND') return undefined;
      throw e;
    }
  }

  /** Stops the restore sessions (those the ref lacks are looked up first), then the explore sessions. */
  async cancel(ctx: CallContext, ref: VendorOperationRef, opts?: ReconcileOptions): Promise<RestoreProgress> {
    const entries = await this.locate(ctx, decodeOperation(ref), undefined, opts);
    for (const id of entries.flatMap((e) => e.restoreSessionIds ?? [])) {
      // A restore session that has already ended may refuse the stop: it has nothing left to cancel.
      await this.client.stopRestoreSession(ctx, id).catch((e: unknown) => {
        if (!(e instanceof VendorError) || e.code !== 'NOT_ALLOWED_IN_STATE') throw e;
      });
    }
    for (const e of entries) await this.client.stopRestoreSession(ctx, e.sessionId);
    return this.progress(ctx, { ...ref, extra: { ...ref.extra, sessions: JSON.stringify(entries) } });
  }

  private async stopAll(ctx: CallContext, entries: SessionEntry[]): Promise<void> {
    for (const e of entries) await this.client.stopRestoreSession(ctx, e.sessionId).catch(() => undefined);
  }

  private async read(ctx: CallContext, entry: SessionEntry): Promise<ItemSessions> {
    const ids = entry.restoreSessionIds ?? [];
    // The explore session, the restore sessions and their events are independent reads: all at once.
    const [explore, restores, events] = await Promise.all([
      this.client.getRestoreSession(ctx, entry.sessionId),
      Promise.all(ids.map((id) => this.client.getRestoreSession(ctx, id))),
      Promise.all(ids.map((id) => this.client.restoreSessionEvents(ctx, id))),
    ]);
    return { explore, restores, events: events.flat() };
  }

  /**
   * Fills in the restore sessions of items whose ref lacks them (a start that failed or was interrupted
   * after Veeam accepted a restore action). A restore session shows no link to the explore session it came
   * from, so it is recognised by what the API does show: started after the item's explore session, by the
   * same account, of the same type, with a restore event about the item's site or user (event siteId /
   * userId, spec RESTRestoreSessionEvent). Items sharing one site or user get one session each, in order. An
   * item whose paths take two actions (documents, then folders) counts as started once either is found; an
   * item of the request `req` without paths takes one action, so it claims one session (the oldest). A
   * session another job of the connection has recorded (`opts.heldByOthers`) is that job's, never this one's.
   */
  private async locate(ctx: CallContext, entries: SessionEntry[], req?: RestoreRequest, opts?: ReconcileOptions): Promise<SessionEntry[]> {
    const missing = entries.filter((e) => !e.restoreSessionIds?.length);
    if (missing.length === 0) return entries;
    const explores = new Map(
      await Promise.all(missing.map(async (e) => [e.sessionId, await this.client.getRestoreSession(ctx, e.sessionId)] as const)),
    );
    const since = Math.min(...[...explores.values()].map((s) => Date.parse(s.creationTime)));
    const known = new Set(entries.flatMap((e) => [e.sessionId, ...(e.restoreSessionIds ?? [])]));
    const listed = (await this.client.listRestoreSessions(ctx, { startTimeFrom: new Date(since - 1).toISOString() })).filter(
      (s) => !known.has(s.id),
    );
    const held =
      listed.length && opts?.heldByOthers
        ? await opts.heldByOthers(
            listed.map((s) => s.id),
            new Date(since - 1),
          )
        : new Set();
    const sessions = listed.filter((s) => !held.has(s.id)).sort((a, b) => Date.parse(a.creationTime) - Date.parse(b.creationTime));
    const claimed = new Set<string>();
    const eventsOf = new Map<string, Promise<RESTRestoreSessionEvent[]>>();
    const events = (id: string) => eventsOf.get(id) ?? eventsOf.set(id, this.client.restoreSessionEvents(ctx, id)).get(id)!;
    const out = entries.map((e) => ({ ...e }));
    for (const entry of out.filter((e) => !e.restoreSessionIds?.length)) {
      const explore = explores.get(entry.sessionId)!;
      const ref = parseItemRef(entry.protectedItemRef);
      if (!ref) continue;
      const sharing = missing.filter((m) => m.protectedItemRef === entry.protectedItemRef).length > 1;
      const item = req?.items.find((x) => x.restorePointRef === entry.restorePointRef && x.protectedItemRef === entry.protectedItemRef);
      const oneAction = item !== undefined && !item.paths?.some((p) => p.trim());
      const found: string[] = [];
      for (const s of sessions) {
        if (claimed.has(s.id) || s.type !== explore.type || Date.parse(s.creationTime) < Date.parse(explore.creationTime)) continue;
        if (explore.initiatedBy && s.initiatedBy && explore.initiatedBy !== s.initiatedBy) continue;
        const about = (await events(s.id)).some((ev) => (ref.type === 'Site' ? ev.siteId : ev.userId) === ref.entityId);
        if (!about) continue;
        claimed.add(s.id);
        found.push(s.id);
        if (sharing || oneAction) break;
      }
      if (found.length) entry.restoreSessionIds = found;
    }
    return out;
  }

  // ---- one item ------------------------------------------------------------------------------------

  /** Starts one item's restore; returns the restore session id of each restore action it took. */
  private async restoreItem(ctx: CallContext, entry: SessionEntry, item: RestoreItemRequest, req: RestoreRequest): Promise<string[]> {
    const kind = COLLECTION[req.workload]!;
    const entityId = await this.findInSession(ctx, entry, kind, req.workload);
    const to = req.destination === 'new';
    const paths = item.paths?.filter((p) => p.trim()) ?? [];
    if (kind === 'mailbox') return this.restoreMailbox(ctx, entry.sessionId, entityId, paths, to ? req.target!.mailbox : undefined);
    if (paths.length) return this.restorePaths(ctx, entry.sessionId, kind, entityId, paths, to ? req.target!.siteUrl : undefined);
    if (kind === 'site') {
      const common = {
        restoreListViews: true,
        restoreSubsites: true,
        changedItems: true,
        deletedItems: true,
        documentVersion: 'Last',
        documentLastVersionAction: 'Overwrite',
      };
      const started = await (to
        ? this.client.restoreAction(
            ctx,
            entry.sessionId,
            kind,
            entityId,
            'restoreTo',
            this.withAuth({ ...common, siteURL: req.target!.siteUrl }, true),
          )
        : this.client.restoreAction(
            ctx,
            entry.sessionId,
            kind,
            entityId,
            'restore',
            this.withAuth({ ...common, restorePermissions: true }, true),
          ));
      return [started.sessionId];
    }
    const started = await this.client.restoreAction(
      ctx,
      entry.sessionId,
      kind,
      entityId,
      'restore',
      this.withAuth({ documentAction: 'Overwrite' }, false),
    );
    return [started.sessionId];
  }

  /** The session's id of the protected site / OneDrive / mailbox (session ids differ from organization ids). */
  private async findInSession(ctx: CallContext, entry: SessionEntry, kind: SessionCollection, workload: Workload): Promise<string> {
    const ref = parseItemRef(entry.protectedItemRef)!;
    const org = await this.organizationId(ctx);
    let match: { id: string } | undefined;
    // The organization's view of the item and the session's entities are independent reads: both at once.
    if (kind === 'site') {
      const [site, inSession] = await Promise.all([
        this.client.getSite(ctx, org, ref.entityId),
        this.client.sessionEntities<RESTSharePointSite>(ctx, entry.sessionId, 'site'),
      ]);
      match = inSession.find((s) => sameUrl(s.url, site.url));
    } else if (kind === 'oneDrive') {
      const [drives, inSession] = await Promise.all([
        this.client.getUserOneDrives(ctx, org, ref.entityId),
        this.client.sessionEntities<RESTOneDrive>(ctx, entry.sessionId, 'oneDrive'),
      ]);
      const urls = drives.map((d) => d.url);
      match = inSession.find((d) => urls.some((u) => sameUrl(u, d.url)));
    } else {
      const [user, inSession] = await Promise.all([
        this.client.getUser(ctx, org, ref.entityId),
        this.client.sessionEntities<RESTExchangeMailbox>(ctx, entry.sessionId, 'mailbox'),
      ]);
      match = inSession.find((m) => !m.isArchive && !!m.email && m.email.toLowerCase() === user.name?.toLowerCase());
    }
    if (!match) throw veeamRefusal('NOT_FOUND', `Restore point ${entry.restorePointRef} holds no ${workload} data of ${ref.entityId}`);
    return match.id;
  }

  /** Files and folders by path: walks the session's folder tree, then restores documents and folders in one call each. */
  private async restorePaths(
    ctx: CallContext,
    sessionId: string,
    kind: 'site' | 'oneDrive',
    entityId: string,
    paths: string[],
    siteUrl?: string,
  ): Promise<string[]> {
    const documents: RESTItemComposed[] = [];
    const folders: RESTItemComposed[] = [];
    for (const path of paths) {
      const { segments, folder } = splitPath(path);
      if (segments.length === 0) continue;
      let parent: RESTItemComposed | undefined;
      for (const name of segments.slice(0, -1)) {
        parent = await this.folderIn(ctx, sessionId, kind, entityId, parent, name);
        if (!parent) throw veeamRefusal('NOT_FOUND', `Path not found in the backup: ${path}`);
      }
      const name = segments[segments.length - 1];
      const doc = folder ? undefined : await this.documentIn(ctx, sessionId, kind, entityId, parent, name);
      if (doc) {
        documents.push(doc);
        continue;
      }
      const f = await this.folderIn(ctx, sessionId, kind, entityId, parent, name);
      if (!f) throw veeamRefusal('NOT_FOUND', `Path not found in the backup: ${path}`);
      folders.push(f);
    }
    const body = (key: 'documents' | 'folders', list: RESTItemComposed[]) =>
      this.withAuth(
        kind === 'oneDrive'
          ? { [key]: list, documentAction: 'Overwrite' }
          : siteUrl
            ? { [key]: list, siteURL: siteUrl, documentVersion: 'Last' }
            : { [key]: list, restorePermissions: true, documentVersion: 'Last' },
        false,
      );
    const action = (what: string) => (siteUrl ? `${what}/restoreTo` : `${what}/restore`);
    const ids: string[] = [];
    if (documents.length)
      ids.push(
        (await this.client.restoreAction(ctx, sessionId, kind, entityId, action('Documents'), body('documents', documents))).sessionId,
      );
    if (folders.length)
      ids.push((await this.client.restoreAction(ctx, sessionId, kind, entityId, action('Folders'), body('folders', folders))).sessionId);
    return ids;
  }

  private async folderIn(
    ctx: CallContext,
    sessionId: string,
    kind: 'site' | 'oneDrive',
    entityId: string,
    parent: RESTItemComposed | undefined,
    name: string,
  ) {
    const list = await this.client.sessionChildren(ctx, sessionId, kind, entityId, 'Folders', parent?.id);
    return list.find((f) => f.name.toLowerCase() === name.toLowerCase());
  }

  private async documentIn(
    ctx: CallContext,
    sessionId: string,
    kind: 'site' | 'oneDrive',
    entityId: string,
    parent: RESTItemComposed | undefined,
    name: string,
  ) {
    const docs = await this.client.sessionChildren(ctx, sessionId, kind, entityId, 'Documents', parent?.id);
    return docs.find((d) => !d.isFolder && d.name.toLowerCase() === name.toLowerCase());
  }

  /** A whole mailbox, or its folders named by `paths` (first segment = folder name). */
  private async restoreMailbox(
    ctx: CallContext,
    sessionId: string,
    mailboxId: string,
    paths: string[],
    targetMailbox?: string,
  ): Promise<string[]> {
    const body = this.withAuth(targetMailbox ? { mailbox: targetMailbox, changedItems: true, deletedItems: true } : {}, true);
    const action = targetMailbox ? 'restoreTo' : 'restore';
    if (!paths.length) return [(await this.client.restoreAction(ctx, sessionId, 'mailbox', mailboxId, action, body)).sessionId];
    const ids: string[] = [];
    for (const path of paths) {
      const name = splitPath(path).segments[0] ?? path;
      const folder = (await this.client.mailboxFolders(ctx, sessionId, mailboxId, name)).find(
        (f) => f.name?.toLowerCase() === name.toLowerCase(),
      );
      if (!folder) throw veeamRefusal('NOT_FOUND', `Mailbox folder not found in the backup: ${path}`);
      const started = await this.client.restoreAction(
        ctx,
        sessionId,
        'mailbox',
        mailboxId,
        `folders/${encodeURIComponent(folder.id)}/${action}`,
        body,
      );
      ids.push(started.sessionId);
    }
    return ids;
  }
}
