import type { Capabilities, ErrorCatalog } from '@bg/domain';
import type { BackupVendorPort } from '../port/backup-vendor.port';
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
} from '../port/port.types';
import { isVendorError, VendorError } from '../port/vendor-error';
import type { VendorDescriptor } from '../port/vendor-descriptor';
import { AZURE_DP_CAPABILITIES, AZURE_DP_LIMITS } from './azure-dataprotection.capabilities';
import { AzureDpClient } from './azure-dataprotection.client';
import { AZURE_DP_CREDENTIAL_FIELDS, AZURE_DP_DEFAULT_ENDPOINT } from './azure-dataprotection.credentials';
import { operationError, unsupported, VENDOR } from './azure-dataprotection.errors';
import {
  aggregateRestore,
  backupRuleNameOf,
  blobBackupInstance,
  isVaultedPolicy,
  blobPolicyBody,
  encodePolicyName,
  fromOperationRef,
  instanceNameFor,
  instanceOfJob,
  isBackupJob,
  isBeingRemoved,
  jobToBackupRun,
  jobToItemProgress,
  operationalRetentionOf,
  parseRestorePointRef,
  parseStorageAccountId,
  policyIdOf,
  policyNameOfInstance,
  rangesToRestorePoints,
  restoreRequestBody,
  retentionDaysOf,
  toOperationRef,
  toVendorItem,
  toVendorPolicy,
  vendorStatusOf,
  type ItemProgress,
  type RestoreRefItem,
} from './azure-dataprotection.mapping';
import type { AsyncOperationHandle, BackupInstanceResource } from './azure-dataprotection.types';

/** Items validated and protected at once (each is validateForBackup + poll + PUT). */
const ITEM_CONCURRENCY = 4;
/** Protected items whose restore points one listRestorePoints page covers (one call each). */
const RESTORE_POINT_ITEMS_PER_PAGE = 10;
/** Pages of backupJobs findRestore reads back when matching a lost restore. */
const JOB_PAGES_SEARCHED = 5;

function invalid(message: string, code: 'INVALID_REQUEST' | 'LIMIT_EXCEEDED' = 'INVALID_REQUEST'): VendorError {
  return new VendorError({ code, vendor: VENDOR, retryable: false, message });
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Azure Data Protection (Backup vaults) through ARM. Policy = backup policy (operational blob backup),
 * protected item = backup instance of a storage account, restore point = end of a restorable time range,
 * restore = validateRestore then restore, tracked through the operation and then the backupJob.
 */
export class AzureDataProtectionAdapter implements BackupVendorPort {
  readonly capabilities: Capabilities = AZURE_DP_CAPABILITIES;
  private readonly client: AzureDpClient;
  private readonly catalog: ErrorCatalog;
  private location?: string;

  constructor(config: AdapterConfig) {
    this.client = new AzureDpClient(config);
    this.catalog = config.catalog;
  }

  async verify(ctx: CallContext): Promise<VerifyResult> {
    const vault = await this.client.getVault(ctx);
    this.location = vault.location;
    return { ok: true, detail: `Backup vault ${vault.name} (${vault.location}) is reachable` };
  }

  // ---------------------------------------------------------------- policies

  async listPolicies(ctx: CallContext, page?: string): Promise<Page<VendorPolicy>> {
    const res = await this.client.listPolicies(ctx, page);
    return { items: res.value.map(toVendorPolicy).filter((p): p is VendorPolicy => !!p), next: res.nextLink };
  }

  async getPolicy(ctx: CallContext, policyRef: string): Promise<VendorPolicy> {
    const policy = toVendorPolicy(await this.client.getPolicy(ctx, policyRef));
    if (!policy)
      throw new VendorError({
        code: 'NOT_FOUND',
        vendor: VENDOR,
        retryable: false,
        message: `Backup policy ${policyRef} does not protect Azure blobs`,
      });
    return policy;
  }

  async createPolicy(ctx: CallContext, spec: PolicySpec): Promise<{ policy: VendorPolicy; items: VendorProtectedItem[] }> {
    if (spec.workload !== 'azureBlob') throw unsupported(`workload ${spec.workload}`);
    const name = encodePolicyName(spec.displayName);
    if (!name)
      throw invalid(`Policy display name "${spec.displayName}" does not fit a Backup vault policy name (3-150 characters once encoded)`);
    const days = retentionDaysOf(spec.settings);
    if (typeof days === 'string') throw invalid(days);
    this.checkItems(spec.items);
    const body = blobPolicyBody(days);
    const existing = await this.client.getPolicy(ctx, name).catch((e: unknown) => {
      if (isVendorError(e) && e.code === 'NOT_FOUND') return undefined;
      throw e;
    });
    // PUT is create-or-update: never silently overwrite another policy of the same name. The same body
    // again (a retried create) is adopted.
    if (existing && operationalRetentionOf(existing) !== operationalRetentionOf(body)) {
      throw new VendorError({
        code: 'CONFLICT',
        vendor: VENDOR,
        retryable: false,
        message: `Backup vault ${this.client.creds.vaultName} already has a different policy named ${name}`,
      });
    }
    const stored = existing ?? (await this.client.putPolicy(ctx, name, body));
    const policy = toVendorPolicy(stored)!;
    const items = spec.items.length > 0 ? await this.protect(ctx, policy.vendorRef, spec.items, isVaultedPolicy(stored)) : [];
    return { policy, items };
  }

  async updatePolicy(): Promise<VendorPolicy> {
    throw unsupported('policy.update');
  }

  /**
   * Azure refuses to delete a policy backup instances still use (UserErrorDppPolicyObjectInUse), and a
   * deleted policy protects nothing: so its instances are deleted first (stop protection, seed 004
   * §Stop protection), each operation polled to its end, then the policy. NOT_ALLOWED_IN_STATE if Azure
   * still counts an instance.
   */
  async deletePolicy(ctx: CallContext, policyRef: string): Promise<void> {
    const instances = [...(await this.instancesByDatasource(ctx)).values()].filter(
      (bi) => policyNameOfInstance(bi)?.toLowerCase() === policyRef.toLowerCase(),
    );
    await mapLimited(instances, ITEM_CONCURRENCY, async (bi) =>
      this.client.waitForOperation(ctx, await this.client.deleteInstance(ctx, bi.name!)),
    );
    await this.client.deletePolicy(ctx, policyRef);
  }

  async activatePolicy(): Promise<VendorPolicy> {
    throw unsupported('policy.activate');
  }

  async deactivatePolicy(): Promise<VendorPolicy> {
    throw unsupported('policy.deactivate');
  }

  // ---------------------------------------------------------------- protected items

  async listProtectedItems(ctx: CallContext, policyRef: string, page?: string): Promise<Page<VendorProtectedItem>> {
    const res = await this.client.listInstances(ctx, page);
    const mine = res.value.filter((bi) => policyNameOfInstance(bi)?.toLowerCase() === policyRef.toLowerCase() && !isBeingRemoved(bi));
    return { items: mine.map((bi) => toVendorItem(bi, this.catalog)), next: res.nextLink };
  }

  /**
   * Per storage account (seed 004 §Configure backup): an instance already in this vault is returned as
   * held (or ALREADY_PROTECTED under another policy); otherwise validateForBackup, polled to Succeeded,
   * then PUT backupInstances, whose Azure-AsyncOperation (or Location) is followed until protection is
   * configured or has failed (seed 004 §Responses to configure backup request), so a
   * ConfiguringProtectionFailed comes back on the item at once. One datasource per request, so
   * "splitting" is one request each. Permanent per-item refusals come back on the item; throttling and
   * outages abort the call (retryable; a retry finds the instances already PUT as held).
   */
  async addProtectedItems(ctx: CallContext, policyRef: string, items: ItemSpec[]): Promise<VendorProtectedItem[]> {
    this.checkItems(items);
    return this.protect(ctx, policyRef, items, isVaultedPolicy(await this.client.getPolicy(ctx, policyRef)));
  }

  /** addProtectedItems under a policy known to be vaulted (its instances name their containers) or not. */
  private async protect(ctx: CallContext, policyRef: string, items: ItemSpec[], vaulted: boolean): Promise<VendorProtectedItem[]> {
    const location = await this.vaultLocation(ctx);
    const held = await this.instancesByDatasource(ctx);
    const policyId = policyIdOf(this.client.vaultId, policyRef);
    const configured = await mapLimited(items, ITEM_CONCURRENCY, async (item) => {
      const existing = held.get(item.externalId.toLowerCase());
      if (existing) {
        if (policyNameOfInstance(existing)?.toLowerCase() === policyRef.toLowerCase()) return toVendorItem(existing, this.catalog);
        return this.itemError(
          item,
          existing.name ?? '',
          new VendorError({
            code: 'ALREADY_PROTECTED',
            vendor: VENDOR,
            retryable: false,
            vendorCode: 'UserErrorDppDatasourceAlreadyProtected',
            message: `Storage account is already protected by backup instance ${existing.name} under policy ${policyNameOfInstance(existing)}`,
          }),
        );
      }
      const name = instanceNameFor(item.externalId);
      try {
        // A vaulted backup copies named containers: every container of the account (read with Microsoft.Storage).
        const containers = vaulted ? await this.containersOf(ctx, item.externalId) : undefined;
        const instance = blobBackupInstance(item.externalId, policyId, location, item.displayName, containers);
        const validation = await this.client.validateForBackup(ctx, { backupInstance: instance });
        await this.client.waitForOperation(ctx, validation);
        return { item, name, ...(await this.client.putInstance(ctx, name, { properties: instance })) };
      } catch (e) {
        if (isVendorError(e) && !e.retryable) return this.itemError(item, name, e);
        throw e;
      }
    });
    // Every PUT is running by now: their operations are followed side by side.
    return mapLimited(configured, ITEM_CONCURRENCY, (c) => ('handle' in c ? this.followProtection(ctx, c) : Promise.resolve(c)));
  }

  /** Every blob container of a storage account (BlobContainers_List, all pages). */
  private async containersOf(ctx: CallContext, storageAccountId: string): Promise<string[]> {
    const names: string[] = [];
    let next: string | undefined;
    do {
      const page = await this.client.listBlobContainers(ctx, storageAccountId, next);
      names.push(...(page.value ?? []).flatMap((c) => (c.name ? [c.name] : [])));
      next = page.nextLink;
    } while (next);
    return names;
  }

  /**
   * Follows a backup instance PUT's operation to its end, then reads the instance (ARM's final state of a
   * PUT is the resource itself). A failed operation (ConfiguringProtectionFailed) becomes the item's
   * normalized error; an operation still running when the poll deadline passes leaves the item as the
   * PUT answered it (ConfiguringProtection), for the policy refresh to pick up.
   */
  private async followProtection(
    ctx: CallContext,
    put: { item: ItemSpec; name: string; resource: BackupInstanceResource; handle: AsyncOperationHandle },
  ): Promise<VendorProtectedItem> {
    const { item, name, resource, handle } = put;
    if (!handle.asyncOperationUrl && !handle.locationUrl) return toVendorItem(resource, this.catalog);
    let failure: VendorError | undefined;
    try {
      await this.client.waitForOperation(ctx, handle);
    } catch (e) {
      if (isVendorError(e) && e.code === 'TIMED_OUT') return toVendorItem(resource, this.catalog);
      if (!isVendorError(e) || e.retryable) throw e;
      failure = e;
    }
    const current = await this.client.getInstance(ctx, name).catch((e: unknown) => {
      if (failure && isVendorError(e) && e.code === 'NOT_FOUND') return undefined;
      throw e;
    });
    if (!failure) return toVendorItem(current ?? resource, this.catalog);
    const state = current ? toVendorItem(current, this.catalog) : undefined;
    return {
      ...this.itemError(item, name, failure),
      vendorStatus: state && state.vendorStatus !== 'ConfiguringProtection' ? state.vendorStatus : 'ConfiguringProtectionFailed',
    };
  }

  async removeProtectedItems(ctx: CallContext, _policyRef: string, itemRefs: string[]): Promise<void> {
    // DELETE stops protection and deletes the backup data (seed 004 §Stop protection); 204 = already gone.
    await mapLimited(itemRefs, ITEM_CONCURRENCY, (ref) => this.client.deleteInstance(ctx, ref));
  }

  private checkItems(items: ItemSpec[]): void {
    for (const item of items) {
      if (item.kind !== 'storageAccount' || !parseStorageAccountId(item.externalId)) {
        throw invalid(
          `Azure blob backup protects storage accounts by ARM id (/subscriptions/…/providers/Microsoft.Storage/storageAccounts/<name>); got ${item.kind} ${item.externalId}`,
        );
      }
    }
  }

  private itemError(item: ItemSpec, vendorRef: string, e: VendorError): VendorProtectedItem {
    return {
      vendorRef,
      kind: 'storageAccount',
      externalId: item.externalId,
      vendorStatus: 'NotProtected',
      protected: false,
      error: { code: e.code, vendorCode: e.vendorCode, message: e.message },
    };
  }

  private async vaultLocation(ctx: CallContext): Promise<string> {
    // Operational blob backup needs vault and storage account in one region: the vault's is the datasource's.
    this.location ??= (await this.client.getVault(ctx)).location;
    return this.location;
  }

  private async instancesByDatasource(ctx: CallContext): Promise<Map<string, BackupInstanceResource>> {
    const map = new Map<string, BackupInstanceResource>();
    let next: string | undefined;
    do {
      const page = await this.client.listInstances(ctx, next);
      for (const bi of page.value) if (!isBeingRemoved(bi)) map.set(bi.properties.dataSourceInfo.resourceID.toLowerCase(), bi);
      next = page.nextLink;
    } while (next);
    return map;
  }

  // ---------------------------------------------------------------- restore points

  /**
   * Operational backup is continuous: each protected item's restorable time ranges (findRestorableTimeRanges)
   * become one restore point per range, at its end. A page covers 10 items; `next` is the next item index.
   */
  async listRestorePoints(ctx: CallContext, query: RestorePointQuery, page?: string): Promise<Page<VendorRestorePoint>> {
    const start = page ? Number(page) : 0;
    if (!Number.isInteger(start) || start < 0) throw invalid(`Invalid restore point page token ${page}`);
    const refs = query.protectedItemRefs.slice(start, start + RESTORE_POINT_ITEMS_PER_PAGE);
    const perItem = await mapLimited(refs, ITEM_CONCURRENCY, async (ref) => {
      const res = await this.client.findRestorableTimeRanges(ctx, ref, {
        sourceDataStoreType: 'OperationalStore',
        startTime: query.from?.toISOString(),
        endTime: query.to?.toISOString(),
      });
      return rangesToRestorePoints(ref, res.properties?.restorableTimeRanges ?? [], query.from, query.to);
    });
    const end = start + refs.length;
    return { items: perItem.flat(), next: end < query.protectedItemRefs.length ? String(end) : undefined };
  }

  // ---------------------------------------------------------------- backup runs

  /**
   * One page of the vault's backup jobs (Jobs_List, nextLink paging): the vault's jobs are read once per call
   * whatever the number of items (ARM read budget, SOURCE.md §Throttling), and the runs of `itemRefs` started
   * at or after `since` are kept here: the 2024-04-01 Jobs_List takes no $filter. Only operationCategory
   * "Backup" jobs are runs. The service's order is not documented (JobCRUD_ListJobs lists oldest first), so
   * every page is followed.
   */
  async listBackupRuns(ctx: CallContext, query: BackupRunQuery, page?: string): Promise<Page<VendorBackupRun>> {
    if (query.itemRefs.length === 0) return { items: [] };
    // ARM names are case-insensitive: a job's backupInstanceId is matched so, and the run carries the caller's ref.
    const wanted = new Map(query.itemRefs.map((r) => [r.toLowerCase(), r]));
    const since = query.since?.getTime();
    const res = await this.client.listJobs(ctx, page);
    const items = res.value
      .filter((job) => isBackupJob(job) && wanted.has(instanceOfJob(job.properties)?.toLowerCase() ?? ''))
      .map((job) => {
        const run = jobToBackupRun(job, this.catalog);
        return { ...run, itemRef: wanted.get(run.itemRef!.toLowerCase())! };
      })
      .filter((run) => since === undefined || (run.startedAt?.getTime() ?? Infinity) >= since);
    return { items, next: res.nextLink };
  }

  /**
   * Ad-hoc backup of one backup instance (BackupInstances_AdhocBackup): TriggerBackupRequest names the backup
   * rule of the instance's policy (its scheduled AzureBackupRule), with the Default retention tag. 202: the ref
   * keeps the operation's URLs, followed by getBackupRun until it names the job. NOT_ALLOWED_IN_STATE when the
   * policy has no backup rule (operational backup is continuous), when the instance is not protected
   * (UserErrorBackupInstanceNotProtected) or while a backup of it runs (AnotherOperationInProgress).
   */
  async startBackup(ctx: CallContext, target: BackupTarget): Promise<StartedBackup> {
    if (!target.itemRef) throw invalid('Azure Data Protection backs up one backup instance at a time: itemRef is required');
    const bi = await this.client.getInstance(ctx, target.itemRef);
    const policyName = policyNameOfInstance(bi) ?? target.policyRef;
    const ruleName = backupRuleNameOf(await this.client.getPolicy(ctx, policyName));
    if (!ruleName) {
      throw new VendorError({
        code: 'NOT_ALLOWED_IN_STATE',
        vendor: VENDOR,
        retryable: false,
        message: `Backup policy ${policyName} has no backup rule: operational backup is continuous and takes no ad-hoc backup`,
      });
    }
    const started = await this.client
      .adhocBackup(ctx, target.itemRef, { backupRuleOptions: { ruleName, triggerOption: { retentionTagOverride: 'Default' } } })
      .catch((e: unknown) => {
        if (isVendorError(e) && (e.vendorCode === 'AnotherOperationInProgress' || e.code === 'CONFLICT'))
          throw new VendorError({ ...e, code: 'NOT_ALLOWED_IN_STATE', retryable: false, message: e.message });
        throw e;
      });
    const extra: Record<string, string> = { instanceName: target.itemRef };
    if (started.jobId) extra.jobId = started.jobId;
    if (started.handle.asyncOperationUrl) extra.asyncOperationUrl = started.handle.asyncOperationUrl;
    if (started.handle.locationUrl) extra.locationUrl = started.handle.locationUrl;
    const opId = started.handle.asyncOperationUrl ? new URL(started.handle.asyncOperationUrl).pathname.split('/').pop()! : '';
    return {
      ref: { vendorRef: started.jobId ?? opId, extra },
      run: {
        vendorRef: started.jobId ?? '',
        policyRef: policyName,
        itemRef: target.itemRef,
        status: 'queued',
        vendorStatus: 'Accepted',
        onDemand: true,
      },
    };
  }

  /**
   * The run of a started ad-hoc backup: the operation (Azure-AsyncOperation) until it names the job
   * (properties.jobId, else the Location result), then the job (Jobs_Get). While the operation runs the
   * run is queued; a failed operation is a failed run with its CloudError.
   */
  async getBackupRun(ctx: CallContext, ref: VendorOperationRef): Promise<VendorBackupRun> {
    const extra = ref.extra ?? {};
    const itemRef = extra.instanceName;
    const pending = (vendorStatus: string): VendorBackupRun => ({ vendorRef: '', itemRef, status: 'queued', vendorStatus, onDemand: true });
    let jobId: string | undefined = extra.jobId;
    if (!jobId && extra.asyncOperationUrl) {
      const op = (await this.client.getOperationStatus(ctx, extra.asyncOperationUrl)).body;
      const status = (op?.status ?? '').toLowerCase();
      if (status === 'failed' || status === 'canceled' || status === 'cancelled') {
        const e = operationError(this.catalog, op.error);
        return { ...pending(op.status!), status: 'failed', error: { code: e.code, vendorCode: e.vendorCode, message: e.message } };
      }
      if (status !== 'succeeded') return pending(op?.status ?? 'Accepted');
      jobId = op.properties?.jobId;
    }
    if (!jobId && extra.locationUrl) {
      const result = await this.client.getOperationResult(ctx, extra.locationUrl);
      if (result.status === 202) return pending('Accepted');
      jobId = result.body?.jobId;
    }
    if (!jobId) {
      throw new VendorError({
        code: 'VENDOR_ERROR',
        vendor: VENDOR,
        retryable: false,
        message: `The ad-hoc backup operation ${ref.vendorRef || '(no id)'} finished without naming a job`,
      });
    }
    // OperationJobExtendedInfo.jobId is "Name or Arm Id of the job".
    const run = jobToBackupRun(await this.client.getJob(ctx, jobId.split('/').pop()!), this.catalog);
    return { ...run, itemRef: run.itemRef ?? itemRef, onDemand: true };
  }

  // ---------------------------------------------------------------- restores

  /**
   * Phase 1: checks the documented limits, then validateRestore per item, polled to the end. Nothing is
   * restored yet and nothing needs undoing, so the ref is empty.
   */
  async prepareRestore(ctx: CallContext, req: RestoreRequest): Promise<VendorOperationRef> {
    this.checkRestore(req);
    const location = await this.vaultLocation(ctx);
    for (const item of req.items) {
      const bi = await this.client.getInstance(ctx, item.protectedItemRef);
      const body = restoreRequestBody(bi, this.pointInTime(item), location, item.paths);
      await this.client.waitForOperation(
        ctx,
        await this.client.validateRestore(ctx, item.protectedItemRef, { restoreRequestObject: body }),
      );
    }
    return { vendorRef: '' };
  }

  /** Phase 2: POST restore per item; the ref keeps each operation's URLs for getRestore. */
  async startRestore(
    ctx: CallContext,
    _ref: VendorOperationRef,
    req: RestoreRequest,
  ): Promise<{ ref: VendorOperationRef; progress: RestoreProgress }> {
    this.checkRestore(req);
    const location = await this.vaultLocation(ctx);
    const started: RestoreRefItem[] = [];
    let retryAfterMs: number | undefined;
    for (const item of req.items) {
      const bi = await this.client.getInstance(ctx, item.protectedItemRef);
      const handle = await this.client.triggerRestore(
        ctx,
        item.protectedItemRef,
        restoreRequestBody(bi, this.pointInTime(item), location, item.paths),
      );
      retryAfterMs = handle.retryAfterMs ?? retryAfterMs;
      started.push({
        restorePointRef: item.restorePointRef,
        instanceName: item.protectedItemRef,
        asyncOperationUrl: handle.asyncOperationUrl,
        locationUrl: handle.locationUrl,
      });
    }
    const items = started.map((s) => ({ restorePointRef: s.restorePointRef, status: 'pending' as const, vendorStatus: 'Accepted' }));
    return { ref: toOperationRef(started), progress: { state: 'pending', vendorStatus: 'Accepted', items, retryAfterMs } };
  }

  /**
   * With a started ref: its progress. Otherwise (a crash before the ref was saved) the restore jobs of
   * the vault are matched by backup instance and point in time (the restore request carries no client
   * reference); undefined when none exists.
   */
  async findRestore(
    ctx: CallContext,
    req: RestoreRequest,
    ref?: VendorOperationRef,
  ): Promise<{ ref: VendorOperationRef; progress: RestoreProgress } | undefined> {
    if (ref && fromOperationRef(ref).length > 0) return { ref, progress: await this.getRestore(ctx, ref) };
    const found: RestoreRefItem[] = [];
    let next: string | undefined;
    const wanted = new Map(req.items.map((i) => [`${i.protectedItemRef.toLowerCase()}|${this.pointInTime(i).getTime()}`, i]));
    for (let page = 0; page < JOB_PAGES_SEARCHED && wanted.size > 0; page += 1) {
      const res = await this.client.listJobs(ctx, next);
      for (const job of res.value) {
        const p = job.properties;
        if ((p.operationCategory ?? p.operation)?.toLowerCase() !== 'restore') continue;
        const instance = p.backupInstanceId?.split('/').pop()?.toLowerCase();
        const at = Date.parse(p.extendedInfo?.sourceRecoverPoint?.recoveryPointTime ?? '');
        const key = `${instance}|${at}`;
        const item = wanted.get(key);
        if (!item || !job.name) continue;
        wanted.delete(key);
        found.push({ restorePointRef: item.restorePointRef, instanceName: item.protectedItemRef, jobId: job.name });
      }
      next = res.nextLink;
      if (!next) break;
    }
    if (found.length === 0) return undefined;
    const foundRef = toOperationRef(found);
    return { ref: foundRef, progress: await this.getRestore(ctx, foundRef) };
  }

  /** Per item: the operation (Azure-AsyncOperation) until Succeeded, then its job (Location -> jobId -> backupJobs). */
  async getRestore(ctx: CallContext, ref: VendorOperationRef): Promise<RestoreProgress> {
    const refItems = fromOperationRef(ref);
    if (refItems.length === 0) {
      throw new VendorError({
        code: 'NOT_FOUND',
        vendor: VENDOR,
        vendorCode: 'ResourceNotFound',
        httpStatus: 404,
        retryable: false,
        message: `No Azure restore operation is recorded in ref ${ref.vendorRef || '(empty)'}`,
      });
    }
    let retryAfterMs: number | undefined;
    const items: ItemProgress[] = [];
    for (const it of refItems) {
      const { progress, retryAfter } = await this.itemProgress(ctx, it);
      retryAfterMs = retryAfter ?? retryAfterMs;
      items.push(progress);
    }
    const state = aggregateRestore(items);
    const failed = items.find((i) => i.status === 'failed');
    return {
      state,
      vendorStatus: vendorStatusOf(items),
      items,
      ...(state === 'failed' && failed
        ? {
            error: {
              code: failed.errorCode ?? 'RESTORE_FAILED',
              vendorCode: failed.vendorCode,
              message: failed.errorMessage ?? 'The restore failed',
            },
          }
        : {}),
      ...(retryAfterMs !== undefined && (state === 'pending' || state === 'running') ? { retryAfterMs } : {}),
    };
  }

  private async itemProgress(ctx: CallContext, it: RestoreRefItem): Promise<{ progress: ItemProgress; retryAfter?: number }> {
    let jobId = it.jobId;
    if (!jobId && it.asyncOperationUrl) {
      const op = await this.client.getOperationStatus(ctx, it.asyncOperationUrl);
      const status = (op.body?.status ?? '').toLowerCase();
      if (status === 'failed' || status === 'canceled' || status === 'cancelled') {
        const e = operationError(this.catalog, op.body.error);
        return {
          progress: {
            restorePointRef: it.restorePointRef,
            status: 'failed',
            vendorStatus: op.body.status,
            errorCode: e.code === 'INVALID_REQUEST' ? 'RESTORE_FAILED' : e.code,
            vendorCode: e.vendorCode,
            errorMessage: e.message,
          },
        };
      }
      if (status !== 'succeeded') {
        return {
          progress: { restorePointRef: it.restorePointRef, status: 'pending', vendorStatus: op.body?.status ?? 'Accepted' },
          retryAfter: this.retryAfter(op.headers),
        };
      }
      jobId = op.body.properties?.jobId;
    }
    if (!jobId && it.locationUrl) {
      const result = await this.client.getOperationResult(ctx, it.locationUrl);
      if (result.status === 202)
        return {
          progress: { restorePointRef: it.restorePointRef, status: 'pending', vendorStatus: 'Accepted' },
          retryAfter: this.retryAfter(result.headers),
        };
      jobId = result.body?.jobId;
    }
    if (!jobId) {
      return {
        progress: {
          restorePointRef: it.restorePointRef,
          status: 'failed',
          vendorStatus: 'Unknown',
          errorCode: 'VENDOR_ERROR',
          errorMessage: 'The restore operation finished without naming a job',
        },
      };
    }
    const job = await this.client.getJob(ctx, jobId);
    return { progress: jobToItemProgress(it.restorePointRef, job.properties, this.catalog) };
  }

  async cancelRestore(): Promise<RestoreProgress> {
    // The 2024-04-01 API has no operation to cancel a backupJob.
    throw unsupported('restoreJob.cancel');
  }

  private checkRestore(req: RestoreRequest): void {
    if (req.workload !== 'azureBlob') throw unsupported(`workload ${req.workload}`);
    if (req.destination !== 'original')
      throw unsupported('restore to a new destination (operational blob backups restore to the original storage account)');
    const paths = req.items.reduce((n, i) => n + (i.paths?.length ?? 0), 0);
    if (paths > AZURE_DP_LIMITS.prefixRangesPerRestore) {
      throw invalid(`At most ${AZURE_DP_LIMITS.prefixRangesPerRestore} blob prefix ranges per restore; got ${paths}`, 'LIMIT_EXCEEDED');
    }
  }

  /** The point in time of an item: from its restore point ref when it is ours, else the item's own. */
  private pointInTime(item: RestoreRequest['items'][number]): Date {
    return parseRestorePointRef(item.restorePointRef)?.at ?? item.pointInTime;
  }

  private retryAfter(headers: Record<string, string | string[] | undefined>): number | undefined {
    return this.client.handleOf({ status: 200, headers, body: undefined }).retryAfterMs;
  }
}

export const azureDataProtectionDescriptor: VendorDescriptor = {
  capabilities: AZURE_DP_CAPABILITIES,
  defaultEndpoint: AZURE_DP_DEFAULT_ENDPOINT,
  credentialFields: AZURE_DP_CREDENTIAL_FIELDS,
  create: (config) => new AzureDataProtectionAdapter(config),
};
