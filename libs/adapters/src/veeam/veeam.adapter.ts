import type { Workload } from '@bg/domain';
import type { BackupVendorPort, ReconcileOptions, StartOptions } from '../port/backup-vendor.port';
import type {
  AdapterConfig,
  BackupRunQuery,
  BackupTarget,
  CallContext,
  ItemSpec,
  Page,
  PolicySpec,
  RestorePointQuery,
  RestoreProgress,
  RestoreRequest,
  StartedBackup,
  VendorBackupRun,
  VendorOperationRef,
  VendorPolicy,
  VendorProtectedItem,
  VendorRestorePoint,
  VerifyResult,
  VendorStorageUsage,
} from '../port/port.types';
import { VendorError } from '../port/vendor-error';
import type { VendorDescriptor } from '../port/vendor-descriptor';
import { VEEAM_CAPABILITIES, VEEAM_PAGE_SIZE } from './veeam.capabilities';
import { nextOffset, VeeamClient } from './veeam.client';
import { parseVeeamCredentials, VEEAM_CREDENTIAL_FIELDS, VEEAM_DEFAULT_ENDPOINT, type VeeamCredentials } from './veeam.credentials';
import { veeamRefusal } from './veeam.errors';
import {
  editOf,
  entityOfItem,
  entityTypeFor,
  itemRef,
  jobItemFor,
  kindFor,
  parseItemRef,
  restorePointQuery,
  SESSION_TYPE,
  toProtectedItem,
  toRepositoryUsage,
  toRestorePoint,
  toVendorPolicy,
  type VeeamRepositoryUsage,
  workloadOfItem,
} from './veeam.mapping';
import { VeeamBackups } from './veeam.backups';
import { VeeamRestores } from './veeam.restore';
import type { RESTJob, RESTJobItemComposed, RESTJobSchedulePolicy, RESTSite, RESTUser } from './veeam.types';

const WORKLOAD_OF_KIND: Record<string, Workload> = { site: 'sharepoint', drive: 'onedrive', mailbox: 'exchange' };

function offsetOf(page?: string): number {
  if (page === undefined || page === '') return 0;
  if (!/^\d+$/.test(page)) throw veeamRefusal('INVALID_REQUEST', `Not a Veeam page token: ${page}`);
  return Number(page);
}

/**
 * Veeam Backup for Microsoft 365 (REST v8) behind the port. Policy = backup job (backupType
 * SelectedItems), protected item = a job's selected item (a site, or a user's mailbox / OneDrive),
 * restore point = VB365 restore point, restore = explore session + asynchronous restore action,
 * backup run = job session (per-object outcomes from its log items).
 */
export class VeeamAdapter implements BackupVendorPort {
  readonly capabilities = VEEAM_CAPABILITIES;
  private readonly creds: VeeamCredentials;
  private readonly client: VeeamClient;
  private readonly restores: VeeamRestores;
  private readonly backups: VeeamBackups;
  private orgId?: string;
  private repoId?: string;

  constructor(config: AdapterConfig) {
    this.creds = parseVeeamCredentials(config.credentials);
    this.client = new VeeamClient(config, this.creds);
    this.restores = new VeeamRestores(this.client, (ctx) => this.organizationId(ctx), this.creds.restoreAuth);
    this.backups = new VeeamBackups(this.client);
  }

  async verify(ctx: CallContext): Promise<VerifyResult> {
    const orgs = await this.client.listOrganizations(ctx, { limit: 1 });
    const org = orgs.results[0];
    if (!org) return { ok: false, detail: 'Veeam Backup for Microsoft 365 answered, but holds no organization' };
    return { ok: true, detail: `Veeam Backup for Microsoft 365 reachable; organization ${org.name ?? org.id}` };
  }

  // ---- policies (backup jobs) ---------------------------------------------------------------------

  async listPolicies(ctx: CallContext, page?: string): Promise<Page<VendorPolicy>> {
    const p = await this.client.listJobs(ctx, { offset: offsetOf(page), limit: VEEAM_PAGE_SIZE.default }, await this.organizationId(ctx));
    const items = await Promise.all(p.results.map(async (job) => toVendorPolicy(job, await this.jobWorkload(ctx, job))));
    const next = nextOffset(p, VEEAM_PAGE_SIZE.default);
    return { items, ...(next !== undefined ? { next: String(next) } : {}) };
  }

  async getPolicy(ctx: CallContext, policyRef: string): Promise<VendorPolicy> {
    const job = await this.client.getJob(ctx, policyRef);
    return toVendorPolicy(job, await this.jobWorkload(ctx, job));
  }

  async createPolicy(ctx: CallContext, spec: PolicySpec): Promise<{ policy: VendorPolicy; items: VendorProtectedItem[] }> {
    if (!SESSION_TYPE[spec.workload])
      throw veeamRefusal('UNSUPPORTED_BY_VENDOR', `veeam does not support policy.create for workload ${spec.workload}`);
    const { ok, failed } = await this.resolveItems(ctx, spec.workload, spec.items);
    const settings = spec.settings ?? {};
    const job = await this.client.createJob(ctx, {
      name: spec.displayName,
      organizationId: await this.organizationId(ctx),
      repositoryId: typeof settings.repositoryId === 'string' ? settings.repositoryId : await this.repositoryId(ctx),
      backupType: 'SelectedItems',
      selectedItems: ok,
      isEnabled: true,
      ...(settings.schedulePolicy && typeof settings.schedulePolicy === 'object'
        ? { schedulePolicy: settings.schedulePolicy as RESTJobSchedulePolicy }
        : {}),
    });
    const held = await this.heldItems(ctx, job, spec.workload);
    return { policy: toVendorPolicy(job, spec.workload), items: [...held, ...failed] };
  }

  /**
   * Renames by read-modify-write: PUT /v8/Jobs/{id} replaces the job's settings (spec Job_Update), so the
   * job, its selected and its excluded items are read and sent back whole with the new name; a body of
   * `{name}` alone would drop the schedule, the items and the disabled state.
   */
  async updatePolicy(ctx: CallContext, policyRef: string, patch: { displayName?: string }): Promise<VendorPolicy> {
    if (patch.displayName === undefined) return this.getPolicy(ctx, policyRef);
    const [job, selectedItems, excludedItems] = await Promise.all([
      this.client.getJob(ctx, policyRef),
      this.client.allSelectedItems(ctx, policyRef),
      this.client.allExcludedItems(ctx, policyRef),
    ]);
    await this.client.editJob(ctx, policyRef, editOf(job, { name: patch.displayName, selectedItems, excludedItems }));
    return this.getPolicy(ctx, policyRef);
  }

  async deletePolicy(ctx: CallContext, policyRef: string): Promise<void> {
    await this.client.deleteJob(ctx, policyRef);
  }

  async activatePolicy(ctx: CallContext, policyRef: string): Promise<VendorPolicy> {
    await this.client.setJobEnabled(ctx, policyRef, true);
    return this.getPolicy(ctx, policyRef);
  }

  async deactivatePolicy(ctx: CallContext, policyRef: string): Promise<VendorPolicy> {
    await this.client.setJobEnabled(ctx, policyRef, false);
    return this.getPolicy(ctx, policyRef);
  }

  // ---- protected items (job selected items) ---------------------------------------------------------

  async listProtectedItems(ctx: CallContext, policyRef: string, page?: string): Promise<Page<VendorProtectedItem>> {
    const job = await this.client.getJob(ctx, policyRef);
    const p = await this.client.listSelectedItems(ctx, policyRef, { offset: offsetOf(page), limit: VEEAM_PAGE_SIZE.default });
    const workload = p.results.map(workloadOfItem).find(Boolean) ?? 'sharepoint';
    const items = p.results.map((i) => toProtectedItem(job, i, workload)).filter((i): i is VendorProtectedItem => !!i);
    const next = nextOffset(p, VEEAM_PAGE_SIZE.default);
    return { items, ...(next !== undefined ? { next: String(next) } : {}) };
  }

  async addProtectedItems(ctx: CallContext, policyRef: string, items: ItemSpec[]): Promise<VendorProtectedItem[]> {
    const job = await this.client.getJob(ctx, policyRef);
    const workload = (await this.jobWorkload(ctx, job, false)) ?? WORKLOAD_OF_KIND[items[0]?.kind] ?? 'sharepoint';
    const type = entityTypeFor(workload);
    const heldIds = new Set(
      (await this.client.allSelectedItems(ctx, policyRef))
        .map(entityOfItem)
        .filter((e) => e?.type === type)
        .map((e) => e!.id),
    );
    const { ok, failed } = await this.resolveItems(
      ctx,
      workload,
      items.filter((i) => !heldIds.has(i.externalId)),
    );
    if (ok.length) await this.client.addSelectedItems(ctx, policyRef, ok);
    const wanted = new Set(items.map((i) => i.externalId));
    const held = (await this.heldItems(ctx, job, workload)).filter((i) => wanted.has(i.externalId));
    return [...held, ...failed];
  }

  async removeProtectedItems(ctx: CallContext, policyRef: string, itemRefs: string[]): Promise<void> {
    const refs = new Set(itemRefs);
    const ids = (await this.client.allSelectedItems(ctx, policyRef))
      .filter((i) => {
        const e = entityOfItem(i);
        return (e && refs.has(itemRef(policyRef, e.type, e.id))) || (i.id && refs.has(i.id));
      })
      .map((i) => i.id!)
      .filter(Boolean);
    // Items already gone are not an error: only ids the job still holds are sent.
    if (ids.length) await this.client.removeSelectedItems(ctx, policyRef, ids);
  }

  // ---- restore points -------------------------------------------------------------------------------

  /** One Veeam page per call; the token is `<index of the item ref>:<offset>`. */
  async listRestorePoints(ctx: CallContext, query: RestorePointQuery, page?: string): Promise<Page<VendorRestorePoint>> {
    const refs = query.protectedItemRefs;
    const parsed = refs.map((r) => {
      const p = parseItemRef(r);
      if (!p) throw veeamRefusal('INVALID_REQUEST', `Not a Veeam protected item ref: ${r}`);
      return p;
    });
    const m = /^(\d+):(\d+)$/.exec(page ?? '0:0');
    if (!m) throw veeamRefusal('INVALID_REQUEST', `Not a Veeam page token: ${page}`);
    const [index, offset] = [Number(m[1]), Number(m[2])];
    if (index >= refs.length) return { items: [] };
    const p = await this.client.listRestorePoints(ctx, restorePointQuery(parsed[index], query.from, query.to), {
      offset,
      limit: VEEAM_PAGE_SIZE.default,
    });
    const items = p.results.map((rp) => toRestorePoint(rp, refs[index]));
    const more = nextOffset(p, VEEAM_PAGE_SIZE.default);
    const next = more !== undefined ? `${index}:${more}` : index + 1 < refs.length ? `${index + 1}:0` : undefined;
    return { items, ...(next ? { next } : {}) };
  }

  // ---- restores -----------------------------------------------------------------------------------

  prepareRestore(ctx: CallContext, req: RestoreRequest): Promise<VendorOperationRef> {
    return this.restores.prepare(ctx, req);
  }

  startRestore(
    ctx: CallContext,
    ref: VendorOperationRef,
    req: RestoreRequest,
    opts?: StartOptions,
  ): Promise<{ ref: VendorOperationRef; progress: RestoreProgress }> {
    return this.restores.start(ctx, ref, req, opts);
  }

  findRestore(
    ctx: CallContext,
    req: RestoreRequest,
    ref?: VendorOperationRef,
    opts?: ReconcileOptions,
  ): Promise<{ ref: VendorOperationRef; progress: RestoreProgress } | undefined> {
    return this.restores.find(ctx, ref, req, opts);
  }

  getRestore(ctx: CallContext, ref: VendorOperationRef): Promise<RestoreProgress> {
    return this.restores.progress(ctx, ref);
  }

  cancelRestore(ctx: CallContext, ref: VendorOperationRef, opts?: ReconcileOptions): Promise<RestoreProgress> {
    return this.restores.cancel(ctx, ref, opts);
  }

  // ---- backup runs (job sessions) -------------------------------------------------------------------

  listBackupRuns(ctx: CallContext, query: BackupRunQuery, page?: string): Promise<Page<VendorBackupRun>> {
    return this.backups.list(ctx, query, page);
  }

  startBackup(ctx: CallContext, target: BackupTarget): Promise<StartedBackup> {
    return this.backups.start(ctx, target);
  }

  getBackupRun(ctx: CallContext, ref: VendorOperationRef): Promise<VendorBackupRun> {
    return this.backups.get(ctx, ref);
  }

  // ---- backup repositories (Veeam only: the port has no repository operations yet) ----------------

  /**
   * The server's backup repositories that hold this connection's organization's backups, with the space
   * they use there (seed 002 §Get Backup Repositories with organizationId, §Get Backed-Up Organizations).
   */
  async repositoryUsage(ctx: CallContext): Promise<VeeamRepositoryUsage[]> {
    const org = await this.organizationId(ctx);
    const repos = await this.client.allRepositories(ctx, { organizationId: org });
    return Promise.all(repos.map(async (r) => toRepositoryUsage(r, org, await this.client.backedUpOrganizations(ctx, r.id))));
  }

  /** The backup storage this organization's backups use, across the repositories that hold them (storage_bytes usage). */
  async storageUsage(ctx: CallContext): Promise<VendorStorageUsage> {
    const repos = await this.repositoryUsage(ctx);
    return {
      usedBytes: repos.reduce((n, r) => n + r.usedBytes, 0),
      repositories: repos.map((r) => ({
        vendorRef: r.repositoryRef,
        displayName: r.name,
        usedBytes: r.usedBytes,
        ...(r.capacityBytes !== undefined ? { capacityBytes: r.capacityBytes } : {}),
        ...(r.freeSpaceBytes !== undefined ? { freeBytes: r.freeSpaceBytes } : {}),
      })),
    };
  }

  /**
   * The organization's licensed users, Veeam's billing unit (seed 002 "Licensed Users"): users a backup job has
   * processed. Users in any state are counted (Licensed, New, TemporaryAssigned, Exceeded): each takes a license.
   */
  async licensedUsers(ctx: CallContext): Promise<number> {
    return (await this.client.allLicensedUsers(ctx, await this.organizationId(ctx))).length;
  }

  /** One backup repository's usage by this connection's organization. NOT_FOUND for an unknown repository. */
  async getRepositoryUsage(ctx: CallContext, repositoryRef: string): Promise<VeeamRepositoryUsage> {
    const org = await this.organizationId(ctx);
    const [repo, usage] = await Promise.all([
      this.client.getRepository(ctx, repositoryRef),
      this.client.backedUpOrganizations(ctx, repositoryRef),
    ]);
    return toRepositoryUsage(repo, org, usage);
  }

  // ---- helpers --------------------------------------------------------------------------------------

  /** The connection's organization: configured, else the server's first (a connection is one M365 tenant). */
  private async organizationId(ctx: CallContext): Promise<string> {
    if (this.creds.organizationId) return this.creds.organizationId;
    if (!this.orgId) {
      const org = (await this.client.listOrganizations(ctx, { limit: 1 })).results[0];
      if (!org) throw veeamRefusal('NOT_FOUND', 'The Veeam server holds no Microsoft 365 organization');
      this.orgId = org.id;
    }
    return this.orgId;
  }

  private async repositoryId(ctx: CallContext): Promise<string> {
    if (this.creds.repositoryId) return this.creds.repositoryId;
    if (!this.repoId) {
      const repo = (await this.client.listRepositories(ctx)).results[0];
      if (!repo) throw veeamRefusal('NOT_FOUND', 'The Veeam server has no backup repository');
      this.repoId = repo.id;
    }
    return this.repoId;
  }

  /** A job's workload, read from its first selected item (a job holds no workload field). */
  private async jobWorkload(ctx: CallContext, job: RESTJob, fallback?: true): Promise<Workload>;
  private async jobWorkload(ctx: CallContext, job: RESTJob, fallback: false): Promise<Workload | undefined>;
  private async jobWorkload(ctx: CallContext, job: RESTJob, fallback = true): Promise<Workload | undefined> {
    if (job.backupType === 'EntireOrganization') return 'exchange';
    const first = (await this.client.listSelectedItems(ctx, job.id, { limit: 1 })).results[0];
    return (first && workloadOfItem(first)) ?? (fallback ? 'sharepoint' : undefined);
  }

  private async heldItems(ctx: CallContext, job: RESTJob, workload: Workload): Promise<VendorProtectedItem[]> {
    const items = await this.client.allSelectedItems(ctx, job.id);
    return items.map((i) => toProtectedItem(job, i, workload)).filter((i): i is VendorProtectedItem => !!i);
  }

  /** Looks each item up in the organization and builds its job item; unknown items come back failed. */
  private async resolveItems(
    ctx: CallContext,
    workload: Workload,
    items: ItemSpec[],
  ): Promise<{ ok: RESTJobItemComposed[]; failed: VendorProtectedItem[] }> {
    const org = await this.organizationId(ctx);
    const ok: RESTJobItemComposed[] = [];
    const failed: VendorProtectedItem[] = [];
    const unique = [...new Map(items.map((i) => [i.externalId, i])).values()];
    const fail = (i: ItemSpec, error: VendorProtectedItem['error']) =>
      failed.push({ vendorRef: '', kind: i.kind, externalId: i.externalId, vendorStatus: 'Refused', protected: false, error });
    for (const item of unique) {
      if (item.kind !== kindFor(workload)) {
        fail(item, { code: 'INVALID_REQUEST', message: `A ${workload} policy protects ${kindFor(workload)} items, not ${item.kind}` });
        continue;
      }
      try {
        const entity: RESTSite | RESTUser =
          workload === 'sharepoint'
            ? await this.client.getSite(ctx, org, item.externalId)
            : await this.client.getUser(ctx, org, item.externalId);
        ok.push(jobItemFor(workload, entity));
      } catch (e) {
        if (!(e instanceof VendorError) || e.code !== 'NOT_FOUND') throw e;
        fail(item, { code: 'NOT_FOUND', vendorCode: e.vendorCode, message: e.message });
      }
    }
    return { ok, failed };
  }
}

export const veeamDescriptor: VendorDescriptor = {
  capabilities: VEEAM_CAPABILITIES,
  defaultEndpoint: VEEAM_DEFAULT_ENDPOINT,
  credentialFields: VEEAM_CREDENTIAL_FIELDS,
  create: (config) => new VeeamAdapter(config),
};
