import type { Clock, ErrorCatalog } from '@bg/domain';
import { abortedError, throwIfAborted } from '../http/abort';
import { parseRetryAfterMs } from '../http/retry-after';
import { EntraTokenSource } from '../http/entra-token';
import { VendorHttp, type VendorResponse } from '../http/vendor-http';
import type { AdapterConfig, CallContext } from '../port/port.types';
import { VendorError } from '../port/vendor-error';
import { ARM_SCOPE, parseAzureDpCredentials, type AzureDpCredentials } from './azure-dataprotection.credentials';
import { armResponseError, identityError, operationError, VENDOR } from './azure-dataprotection.errors';
import {
  API_VERSION,
  STORAGE_API_VERSION,
  type AsyncOperationHandle,
  type AzureBackupFindRestorableTimeRangesRequest,
  type AzureBackupFindRestorableTimeRangesResponseResource,
  type AzureBackupJobResource,
  type AzureBackupRecoveryTimeBasedRestoreRequest,
  type BackupInstanceResource,
  type BackupVaultResource,
  type BaseBackupPolicyResource,
  type DppResourceList,
  type OperationJobExtendedInfo,
  type OperationResource,
  type TriggerBackupRequest,
  type ValidateForBackupRequest,
  type ValidateRestoreRequestObject,
} from './azure-dataprotection.types';

type OperationType = 'reads' | 'writes' | 'deletes';
const DEFAULT_POLL_MS = 5_000;
const MAX_POLL_MS = 60_000;
/** Floor between repeated polls, should a service answer Retry-After: 0 while still running. */
const MIN_REPOLL_MS = 200;
const TERMINAL_OK = ['succeeded'];
const TERMINAL_FAILED = ['failed', 'canceled', 'cancelled'];

/**
 * Typed client of Microsoft.DataProtection through Azure Resource Manager: one method per endpoint,
 * Entra auth, api-version on every call, ARM throttling honoured, long-running operations polled. No
 * mapping to the domain (that is azure-dataprotection.mapping.ts).
 *
 * Why not @azure/arm-dataprotection: it is not installed, and its pipeline retries on its own while the
 * worker owns every retry decision. Why a hand-written poller rather than @azure/core-lro: startRestore
 * must return after the 202 with the operation URLs stored in our ref, and getRestore polls once per
 * worker tick (possibly in another process); core-lro's poller is built to wait in-process until done.
 * The pattern is small (seed 004 §Track response): GET Azure-AsyncOperation until Succeeded/Failed,
 * waiting Retry-After between polls, then GET Location for the result.
 */
export class AzureDpClient {
  readonly creds: AzureDpCredentials;
  /** /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataProtection/backupVaults/{vault} */
  readonly vaultId: string;
  private readonly entra: EntraTokenSource;
  private readonly http: VendorHttp;
  private readonly origin: string;
  /** Earliest time (epoch ms) a call of each ARM operation type may be made again after a 429. */
  private readonly blockedUntil: Record<OperationType, number> = { reads: 0, writes: 0, deletes: 0 };
  /** Last x-ms-ratelimit-remaining-subscription-* values ARM reported. */
  readonly rateLimitRemaining: Partial<Record<OperationType, number>> = {};

  constructor(
    config: AdapterConfig,
    private readonly catalog: ErrorCatalog = config.catalog,
    private readonly clock: Clock = config.clock,
  ) {
    this.creds = parseAzureDpCredentials(config.credentials);
    this.http = new VendorHttp({
      vendor: VENDOR,
      baseUrl: config.endpoint,
      clock: config.clock,
      timeoutMs: config.timeoutMs,
      tls: config.tls,
      requestIdHeaders: ['x-ms-request-id', 'x-ms-correlation-request-id'],
      clientRequestIdHeader: 'x-ms-client-request-id',
    });
    this.origin = new URL(config.endpoint).origin;
    this.vaultId = `/subscriptions/${this.creds.subscriptionId}/resourceGroups/${this.creds.resourceGroup}/providers/Microsoft.DataProtection/backupVaults/${this.creds.vaultName}`;
    this.entra = new EntraTokenSource(this.creds, ARM_SCOPE, (e) => identityError(this.catalog, e));
  }

  // ---------------------------------------------------------------- auth and transport

  /** Resolves a path (api-version added) or a URL ARM returned (nextLink, operation URLs: used unchanged). */
  private target(pathOrUrl: string): { url: string; query?: Record<string, string> } {
    if (/^https?:\/\//.test(pathOrUrl)) {
      // Never send the bearer token to a host other than the connection's ARM endpoint.
      if (new URL(pathOrUrl).origin !== this.origin) {
        throw new VendorError({
          code: 'VENDOR_ERROR',
          vendor: VENDOR,
          retryable: false,
          message: `Refusing to follow ${new URL(pathOrUrl).origin}: not the connection's ARM endpoint`,
        });
      }
      return { url: pathOrUrl };
    }
    const storage = /\/providers\/Microsoft\.Storage\//i.test(pathOrUrl);
    return { url: pathOrUrl, query: { 'api-version': storage ? STORAGE_API_VERSION : API_VERSION } };
  }

  /**
   * One ARM call. Returns the response when its status is in `accept` (default 2xx); otherwise throws the
   * mapped VendorError. A 401 gets one fresh token and one retry (port contract). A 429 blocks calls of the
   * same operation type until Retry-After has passed (SOURCE.md §Throttling).
   */
  async request<T>(ctx: CallContext, method: string, pathOrUrl: string, body?: unknown, accept?: number[]): Promise<VendorResponse<T>> {
    throwIfAborted(ctx, VENDOR);
    const type: OperationType = method === 'GET' ? 'reads' : method === 'DELETE' ? 'deletes' : 'writes';
    const now = this.clock.now().getTime();
    if (now < this.blockedUntil[type]) {
      throw new VendorError({
        code: 'THROTTLED',
        vendor: VENDOR,
        retryable: true,
        vendorCode: 'SubscriptionRequestsThrottled',
        retryAfterMs: this.blockedUntil[type] - now,
        message: `ARM throttled ${type} for this subscription; not calling again before Retry-After`,
      });
    }
    const { url, query } = this.target(pathOrUrl);
    const send = async () => {
      const authorization = `Bearer ${await this.entra.token(ctx)}`;
      return this.http.send<T>(ctx, method, url, { query, body, headers: { authorization } });
    };
    let res = await send();
    if (res.status === 401) {
      this.entra.reset();
      res = await send();
    }
    const remaining = Number(res.headers[`x-ms-ratelimit-remaining-subscription-${type}`]);
    if (Number.isFinite(remaining)) this.rateLimitRemaining[type] = remaining;
    const ok = accept ? accept.includes(res.status) : res.status >= 200 && res.status < 300;
    if (ok) return res;
    const error = armResponseError(this.catalog, res, method, this.clock.now());
    if (res.status === 429) this.blockedUntil[type] = this.clock.now().getTime() + (error.retryAfterMs ?? 1_000);
    throw error;
  }

  /** The LRO headers of a 201/202 (seed 004 §Track response). */
  handleOf(res: VendorResponse): AsyncOperationHandle {
    const header = (name: string) => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    return {
      asyncOperationUrl: header('azure-asyncoperation'),
      locationUrl: header('location'),
      retryAfterMs: parseRetryAfterMs(res.headers, this.clock.now()),
    };
  }

  /**
   * Polls a long-running operation to its end: Azure-AsyncOperation until Succeeded (then the Location
   * result) or Failed/Canceled (its CloudError as VendorError); Location alone when that is all ARM sent.
   * Waits Retry-After between polls. TIMED_OUT (retryable) past `timeoutMs`.
   */
  async waitForOperation(
    ctx: CallContext,
    handle: AsyncOperationHandle,
    timeoutMs = 120_000,
  ): Promise<OperationJobExtendedInfo | undefined> {
    const deadline = Date.now() + timeoutMs;
    let wait = handle.retryAfterMs ?? DEFAULT_POLL_MS;
    if (handle.asyncOperationUrl) {
      for (;;) {
        await this.sleep(ctx, wait, deadline);
        const res = await this.request<OperationResource>(ctx, 'GET', handle.asyncOperationUrl);
        const status = (res.body?.status ?? '').toLowerCase();
        if (TERMINAL_FAILED.includes(status)) throw operationError(this.catalog, res.body.error);
        if (TERMINAL_OK.includes(status)) break;
        wait = Math.max(MIN_REPOLL_MS, parseRetryAfterMs(res.headers, this.clock.now()) ?? wait);
      }
      if (!handle.locationUrl) return undefined;
      return (await this.request<OperationJobExtendedInfo>(ctx, 'GET', handle.locationUrl, undefined, [200, 204])).body;
    }
    if (!handle.locationUrl) return undefined;
    for (;;) {
      await this.sleep(ctx, wait, deadline);
      const res = await this.request<OperationJobExtendedInfo>(ctx, 'GET', handle.locationUrl, undefined, [200, 202, 204]);
      if (res.status !== 202) return res.body;
      wait = Math.max(MIN_REPOLL_MS, parseRetryAfterMs(res.headers, this.clock.now()) ?? wait);
    }
  }

  private async sleep(ctx: CallContext, ms: number, deadline: number): Promise<void> {
    const wait = Math.min(Math.max(0, ms), MAX_POLL_MS);
    if (Date.now() + wait > deadline) {
      throw new VendorError({
        code: 'TIMED_OUT',
        vendor: VENDOR,
        retryable: true,
        message: 'The Azure long-running operation did not finish in time',
      });
    }
    throwIfAborted(ctx, VENDOR);
    if (wait === 0) return;
    const signal = ctx.signal;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(t);
        reject(abortedError(VENDOR, ctx));
      };
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ---------------------------------------------------------------- endpoints (swagger operationIds)

  /** BackupVaults_Get */
  async getVault(ctx: CallContext): Promise<BackupVaultResource> {
    return (await this.request<BackupVaultResource>(ctx, 'GET', this.vaultId)).body;
  }

  /** BackupPolicies_List (a page; `next` is the nextLink) */
  async listPolicies(ctx: CallContext, next?: string): Promise<DppResourceList<BaseBackupPolicyResource>> {
    return (await this.request<DppResourceList<BaseBackupPolicyResource>>(ctx, 'GET', next ?? `${this.vaultId}/backupPolicies`)).body;
  }

  /** BackupPolicies_Get */
  async getPolicy(ctx: CallContext, name: string): Promise<BaseBackupPolicyResource> {
    return (await this.request<BaseBackupPolicyResource>(ctx, 'GET', `${this.vaultId}/backupPolicies/${encodeURIComponent(name)}`)).body;
  }

  /** Microsoft.Storage BlobContainers_List of a storage account (a page; `next` is the nextLink). */
  async listBlobContainers(
    ctx: CallContext,
    storageAccountId: string,
    next?: string,
  ): Promise<{ value?: Array<{ name?: string }>; nextLink?: string }> {
    return (
      await this.request<{ value?: Array<{ name?: string }>; nextLink?: string }>(
        ctx,
        'GET',
        next ?? `${storageAccountId}/blobServices/default/containers`,
      )
    ).body;
  }

  /** BackupPolicies_CreateOrUpdate (synchronous, 200) */
  async putPolicy(ctx: CallContext, name: string, body: BaseBackupPolicyResource): Promise<BaseBackupPolicyResource> {
    return (await this.request<BaseBackupPolicyResource>(ctx, 'PUT', `${this.vaultId}/backupPolicies/${encodeURIComponent(name)}`, body))
      .body;
  }

  /** BackupPolicies_Delete (200, or 204 when there was none) */
  async deletePolicy(ctx: CallContext, name: string): Promise<void> {
    await this.request(ctx, 'DELETE', `${this.vaultId}/backupPolicies/${encodeURIComponent(name)}`);
  }

  /** BackupInstances_List (a page) */
  async listInstances(ctx: CallContext, next?: string): Promise<DppResourceList<BackupInstanceResource>> {
    return (await this.request<DppResourceList<BackupInstanceResource>>(ctx, 'GET', next ?? `${this.vaultId}/backupInstances`)).body;
  }

  /** BackupInstances_Get */
  async getInstance(ctx: CallContext, name: string): Promise<BackupInstanceResource> {
    return (await this.request<BackupInstanceResource>(ctx, 'GET', `${this.vaultId}/backupInstances/${encodeURIComponent(name)}`)).body;
  }

  /** BackupInstances_ValidateForBackup: 202 + operation headers (seed 004 §Validate the request). */
  async validateForBackup(ctx: CallContext, body: ValidateForBackupRequest): Promise<AsyncOperationHandle> {
    return this.handleOf(await this.request(ctx, 'POST', `${this.vaultId}/validateForBackup`, body, [200, 202]));
  }

  /** BackupInstances_CreateOrUpdate: 201 (new, ConfiguringProtection) or 200 (updated). */
  async putInstance(
    ctx: CallContext,
    name: string,
    body: BackupInstanceResource,
  ): Promise<{ resource: BackupInstanceResource; handle: AsyncOperationHandle }> {
    const res = await this.request<BackupInstanceResource>(
      ctx,
      'PUT',
      `${this.vaultId}/backupInstances/${encodeURIComponent(name)}`,
      body,
      [200, 201, 202],
    );
    return { resource: res.body, handle: this.handleOf(res) };
  }

  /** BackupInstances_Delete: 202 (stopping protection), 200/204 (already gone). */
  async deleteInstance(ctx: CallContext, name: string): Promise<AsyncOperationHandle> {
    return this.handleOf(
      await this.request(ctx, 'DELETE', `${this.vaultId}/backupInstances/${encodeURIComponent(name)}`, undefined, [200, 202, 204]),
    );
  }

  /** RestorableTimeRanges_Find */
  async findRestorableTimeRanges(
    ctx: CallContext,
    instance: string,
    body: AzureBackupFindRestorableTimeRangesRequest,
  ): Promise<AzureBackupFindRestorableTimeRangesResponseResource> {
    return (
      await this.request<AzureBackupFindRestorableTimeRangesResponseResource>(
        ctx,
        'POST',
        `${this.vaultId}/backupInstances/${encodeURIComponent(instance)}/findRestorableTimeRanges`,
        body,
      )
    ).body;
  }

  /** BackupInstances_ValidateForRestore: 202 + operation headers. */
  async validateRestore(ctx: CallContext, instance: string, body: ValidateRestoreRequestObject): Promise<AsyncOperationHandle> {
    return this.handleOf(
      await this.request(ctx, 'POST', `${this.vaultId}/backupInstances/${encodeURIComponent(instance)}/validateRestore`, body, [200, 202]),
    );
  }

  /** BackupInstances_TriggerRestore: 202 + operation headers; the result names the restore job. */
  async triggerRestore(
    ctx: CallContext,
    instance: string,
    body: AzureBackupRecoveryTimeBasedRestoreRequest,
  ): Promise<AsyncOperationHandle> {
    return this.handleOf(
      await this.request(ctx, 'POST', `${this.vaultId}/backupInstances/${encodeURIComponent(instance)}/restore`, body, [200, 202]),
    );
  }

  /**
   * BackupInstances_AdhocBackup: 202 + operation headers (BackupInstanceOperations_TriggerBackup), or 200 with
   * the job already named (OperationJobExtendedInfo).
   */
  async adhocBackup(
    ctx: CallContext,
    instance: string,
    body: TriggerBackupRequest,
  ): Promise<{ handle: AsyncOperationHandle; jobId?: string }> {
    const res = await this.request<OperationJobExtendedInfo | undefined>(
      ctx,
      'POST',
      `${this.vaultId}/backupInstances/${encodeURIComponent(instance)}/backup`,
      body,
      [200, 202],
    );
    return { handle: this.handleOf(res), jobId: res.status === 200 ? res.body?.jobId : undefined };
  }

  /** OperationStatus_Get / OperationStatusBackupVaultContext_Get (the Azure-AsyncOperation URL). */
  async getOperationStatus(ctx: CallContext, url: string): Promise<VendorResponse<OperationResource>> {
    return this.request<OperationResource>(ctx, 'GET', url);
  }

  /** OperationResult_Get (the Location URL): 202 while running, 200 with the result. */
  async getOperationResult(ctx: CallContext, url: string): Promise<VendorResponse<OperationJobExtendedInfo>> {
    return this.request<OperationJobExtendedInfo>(ctx, 'GET', url, undefined, [200, 202, 204]);
  }

  /** Jobs_Get */
  async getJob(ctx: CallContext, jobId: string): Promise<AzureBackupJobResource> {
    return (await this.request<AzureBackupJobResource>(ctx, 'GET', `${this.vaultId}/backupJobs/${encodeURIComponent(jobId)}`)).body;
  }

  /** Jobs_List (a page) */
  async listJobs(ctx: CallContext, next?: string): Promise<DppResourceList<AzureBackupJobResource>> {
    return (await this.request<DppResourceList<AzureBackupJobResource>>(ctx, 'GET', next ?? `${this.vaultId}/backupJobs`)).body;
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
