import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SandboxScope, ScopeRegistry } from '../support';
import { ArmError, cloudErrorObject, sendArmError } from './azure.errors';
import { AZURE_FIXTURE, azureStorageAccounts } from './azure.fixtures';
import { ARM_AUDIENCE, verifyToken } from './azure.login';
import {
  azureConfig,
  findVault,
  guidFrom,
  newOperationId,
  newVault,
  restorableRange,
  subscriptionState,
  type AzureAccountState,
  type AzureConfig,
  type InstanceState,
  type OperationKind,
  type OperationState,
  type SubscriptionState,
  type VaultState,
} from './azure.state';
import {
  addBackupJob,
  backupRuleNames,
  backupsSuspended,
  parseRepeatingInterval,
  recoveryPointsOf,
  recoveryPointView,
  runBackupSchedules,
  runningBackupJob,
  scheduledRules,
} from './azure.backups';
import { operationType, remainingHeader, takeToken } from './azure.throttle';
import {
  BackupInstanceResourceSchema,
  BackupPolicyResourceSchema,
  BackupVaultResourceSchema,
  FindRestorableTimeRangesSchema,
  isoDurationDays,
  parseBody,
  RestoreRequestSchema,
  ValidateForBackupSchema,
  TriggerBackupRequestSchema,
  ValidateRestoreSchema,
  type BackupInstanceBody,
  type BackupPolicyBody,
  type RestoreRequestBody,
} from './azure.validation';
import { instanceView, jobView, operationStatusView, policyView, vaultView } from './azure.views';

/**
 * Azure Resource Manager for Microsoft.DataProtection, api-version 2024-04-01, mounted under
 * /azure/management (the connection's `endpoint`). Every request: bearer token from /azure/login with
 * audience https://management.azure.com/, `api-version` query, ARM token-bucket throttling per
 * subscription; long-running operations answer 201/202 with Azure-AsyncOperation, Location and
 * Retry-After and are polled on operationStatus / operationResults (seed 004, vendor-specs SOURCE.md).
 */

/**
 * The api-versions of Microsoft.DataProtection the repo's documents use: seed 004 calls 2021-01-01, the
 * kept swagger is 2024-04-01, and its SOURCE.md names the newer stable 2025-01-01 and 2025-07-01 (served
 * with the 2024-04-01 schemas, a compatible subset). ARM serves every registered version of a type side
 * by side; any other is refused as ARM does (armApiVersionError).
 */
export const SUPPORTED_API_VERSIONS = ['2021-01-01', '2024-04-01', '2025-01-01', '2025-07-01'];
/** Microsoft.Storage (BlobContainers_List, for a vaulted blob backup's containersList): its recent stable api-versions. */
export const STORAGE_API_VERSIONS = ['2022-09-01', '2023-01-01', '2023-05-01', '2024-01-01'];
// ARM's api-version form: yyyy-mm-dd with an optional -preview (or other) suffix.
const API_VERSION_RE = /^\d{4}-\d{2}-\d{2}(-[A-Za-z0-9]+)?$/;
const BLOB_DATASOURCE_TYPE = 'Microsoft.Storage/storageAccounts/blobServices';
const KNOWN_DATASOURCE_TYPES = [
  BLOB_DATASOURCE_TYPE,
  'Microsoft.Compute/disks',
  'Microsoft.DBforPostgreSQL/servers/databases',
  'Microsoft.ContainerService/managedClusters',
  'Microsoft.DBforPostgreSQL/flexibleServers',
  'OssDB',
];
// Sandbox assumption, matching the portal's rule for Backup vault policy names.
const POLICY_NAME_RE = /^[A-Za-z][A-Za-z0-9-]{2,149}$/;
// Azure Storage point-in-time restore of block blobs accepts at most 10 prefix ranges per request.
const MAX_RESTORE_RANGES = 10;

interface ArmCtx {
  scope: SandboxScope<AzureAccountState>;
  sub: SubscriptionState;
  cfg: AzureConfig;
  now: number;
  /** https://host/azure/management */
  base: string;
  apiVersion: string;
}
const contexts = new WeakMap<FastifyRequest, ArmCtx>();
const ctxOf = (req: FastifyRequest): ArmCtx => contexts.get(req)!;

type VaultParams = { sub: string; rg: string; vault: string };
type BiParams = VaultParams & { bi: string };
const VAULT = '/subscriptions/:sub/resourceGroups/:rg/providers/Microsoft.DataProtection/backupVaults/:vault';
const BI = `${VAULT}/backupInstances/:bi`;

export function registerArm(app: FastifyInstance, scopes: ScopeRegistry<AzureAccountState>): void {
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (err instanceof ArmError) return sendArmError(reply, err);
    if (err.statusCode === 415) return sendArmError(reply, new ArmError('UnsupportedMediaType'));
    if (err.statusCode === 400)
      return sendArmError(
        reply,
        new ArmError('InvalidRequestContent', `The request content was invalid and could not be deserialized: '${err.message}'.`),
      );
    return sendArmError(reply, new ArmError('InternalServerError'));
  });
  app.setNotFoundHandler((req, reply) =>
    sendArmError(reply, new ArmError('ResourceNotFound', `The resource type or route '${req.url.split('?')[0]}' could not be found.`)),
  );

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-ms-request-id', randomUUID());
    reply.header('x-ms-correlation-request-id', String(req.headers['x-ms-correlation-request-id'] ?? randomUUID()));
    reply.header('x-ms-routing-request-id', `WESTUS:${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}Z:${randomUUID()}`);
    const scope = authenticate(req, scopes);
    const apiVersion = (req.query as Record<string, string>)['api-version'];
    if (!apiVersion) throw new ArmError('MissingApiVersionParameter');
    const storage = /\/providers\/Microsoft\.Storage\//i.test(req.url);
    if (!(storage ? STORAGE_API_VERSIONS : SUPPORTED_API_VERSIONS).includes(apiVersion)) throw armApiVersionError(req.url, apiVersion);
    const subId = /^\/azure\/management\/subscriptions\/([^/?]+)/i.exec(req.url)?.[1];
    if (!subId) throw new ArmError('ResourceNotFound', 'Only subscription-scoped routes are simulated.');
    const cfg = azureConfig(scope);
    const now = scope.clock.now().getTime();
    const sub = subscriptionState(scope.state, decodeURIComponent(subId), now, cfg);
    const type = operationType(req.method);
    const token = takeToken(sub, type, cfg, now);
    if ('retryAfterSeconds' in token) {
      reply.header(remainingHeader(type), '0');
      throw new ArmError(
        'SubscriptionRequestsThrottled',
        `Number of '${type === 'reads' ? 'read' : type === 'writes' ? 'write' : 'delete'}' requests for subscription '${sub.id}' actor '${scope.state.tenantId}' exceeded. Please try again after '${token.retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
        { 'retry-after': String(token.retryAfterSeconds) },
      );
    }
    reply.header(remainingHeader(type), String(token.remaining));
    contexts.set(req, { scope, sub, cfg, now, base: `https://${req.headers.host}/azure/management`, apiVersion });
    // Scheduled backups happen on the scope clock whatever is asked; they are created here, lazily (azure.backups.ts).
    for (const rg of Object.values(sub.resourceGroups)) for (const vault of Object.values(rg.vaults)) runBackupSchedules(vault, cfg, now);
  });

  registerVaultRoutes(app);
  registerStorageRoutes(app);
  registerPolicyRoutes(app);
  registerInstanceRoutes(app);
  registerAdhocBackupRoute(app);
  registerProtectionControlRoutes(app);
  registerRestoreRoutes(app);
  registerJobRoutes(app);
  registerOperationRoutes(app);
}

/**
 * ARM's refusal of an api-version (400): a value not of the yyyy-mm-dd[-suffix] form is
 * InvalidApiVersionParameter ("The api-version '…' is invalid. The supported versions are '…'."); a
 * well-formed one the provider has not registered for the resource type is NoRegisteredProviderFound,
 * naming location, version, type and the supported versions.
 */
export function armApiVersionError(url: string, apiVersion: string): ArmError {
  const supported = SUPPORTED_API_VERSIONS.join(', ');
  if (!API_VERSION_RE.test(apiVersion)) {
    return new ArmError(
      'InvalidApiVersionParameter',
      `The api-version '${apiVersion}' is invalid. The supported versions are '${supported}'.`,
    );
  }
  // The resource type: the type segments after the provider (backupVaults/x/backupInstances/y -> backupVaults/backupInstances).
  const after = /\/providers\/Microsoft\.DataProtection\/([^?]*)/i.exec(url)?.[1] ?? 'backupVaults';
  const type = after
    .split('/')
    .filter((_, i) => i % 2 === 0)
    .join('/');
  const location = /\/locations\/([^/?]+)/i.exec(url)?.[1] ?? AZURE_FIXTURE.location;
  return new ArmError(
    'NoRegisteredProviderFound',
    `No registered resource provider found for location '${location}' and API version '${apiVersion}' for type '${type}'. The supported api-versions are '${supported}'. The supported locations are '${AZURE_FIXTURE.location}'.`,
  );
}

function authenticate(req: FastifyRequest, scopes: ScopeRegistry<AzureAccountState>): SandboxScope<AzureAccountState> {
  const header = req.headers.authorization;
  if (!header) throw new ArmError('AuthenticationFailed');
  const m = /^Bearer (.+)$/.exec(header);
  const claims = m ? verifyToken(m[1]) : undefined;
  if (!claims) throw new ArmError('InvalidAuthenticationToken', "The access token is invalid. Could not parse the 'Authorization' header.");
  if (claims.aud !== ARM_AUDIENCE) throw new ArmError('InvalidAuthenticationTokenAudience');
  const scope = scopes.get(claims.tid);
  const nowSec = Math.floor(scope.clock.now().getTime() / 1000);
  if (nowSec >= claims.exp) {
    throw new ArmError(
      'ExpiredAuthenticationToken',
      `The access token expiry UTC time '${new Date(claims.exp * 1000).toISOString()}' is earlier than current UTC time '${new Date(nowSec * 1000).toISOString()}'.`,
    );
  }
  return scope;
}

// ---------------------------------------------------------------- helpers

function vaultOr404(ctx: ArmCtx, p: VaultParams): VaultState {
  if (!ctx.sub.resourceGroups[p.rg.toLowerCase()])
    throw new ArmError('ResourceGroupNotFound', `Resource group '${p.rg}' could not be found.`);
  const vault = findVault(ctx.sub, p.rg, p.vault);
  if (!vault)
    throw new ArmError(
      'ResourceNotFound',
      `The Resource 'Microsoft.DataProtection/backupVaults/${p.vault}' under resource group '${p.rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  return vault;
}

/** Live instance (SoftDeleting ones whose time passed are purged here). */
function instanceOf(ctx: ArmCtx, vault: VaultState, name: string): InstanceState | undefined {
  purgeDeleted(ctx, vault);
  return vault.instances[name.toLowerCase()];
}

function purgeDeleted(ctx: ArmCtx, vault: VaultState): void {
  for (const [k, bi] of Object.entries(vault.instances)) {
    if (bi.deletingUntilMs !== undefined && ctx.now >= bi.deletingUntilMs) {
      delete vault.instances[k];
      delete ctx.sub.protectedDatasources[bi.datasourceId.toLowerCase()];
    }
  }
}

function instanceOr404(ctx: ArmCtx, vault: VaultState, name: string): InstanceState {
  const bi = instanceOf(ctx, vault, name);
  if (!bi)
    throw new ArmError(
      'ResourceNotFound',
      `The Resource 'Microsoft.DataProtection/backupVaults/${vault.name}/backupInstances/${name}' under resource group '${vault.resourceGroup}' was not found.`,
    );
  return bi;
}

function paged<T>(ctx: ArmCtx, req: FastifyRequest, items: T[]): { value: T[]; nextLink?: string } {
  const skip = Number((req.query as Record<string, string>).$skipToken ?? 0) || 0;
  const size = ctx.cfg.pageSize;
  const value = items.slice(skip, skip + size);
  if (skip + size >= items.length) return { value };
  const next = new URL(`https://${req.headers.host}${req.url}`);
  next.searchParams.set('$skipToken', String(skip + size));
  return { value, nextLink: next.toString() };
}

/**
 * The URLs an operation's 201/202 names. Default (config asyncUrlForm 'seed'): seed 004's forms, every
 * backup instance operation under `…/providers/Microsoft.DataProtection/locations/{location}/` with
 * operationStatus as Azure-AsyncOperation and operationResults as Location, the PUT without Location
 * (§Track response, §Example responses to configure backup request, §Example responses for delete
 * protection). asyncUrlForm 'examples': the official x-ms-examples' forms, Azure-AsyncOperation in vault
 * context and Location at the resource group (ValidateForBackup, ValidateRestore) or at the backup
 * instance (TriggerRestore; DELETE likewise), none on PUT (PutBackupInstance 201). A vault PUT answers
 * the vault-context form without Location either way (VaultCRUD_PutBackupVault).
 */
function operationUrls(ctx: ArmCtx, vault: VaultState, op: OperationState): { status: string; result?: string } {
  const q = `?api-version=${ctx.apiVersion}`;
  const subBase = `${ctx.base}/subscriptions/${ctx.sub.id}`;
  const rgBase = `${subBase}/resourceGroups/${vault.resourceGroup}/providers/Microsoft.DataProtection`;
  const vaultBase = `${rgBase}/backupVaults/${vault.name}`;
  const locationBase = `${subBase}/providers/Microsoft.DataProtection/locations/${vault.location}`;
  const vaultStatus = `${vaultBase}/operationStatus/${op.id}${q}`;
  if (op.kind === 'putVault') return { status: vaultStatus };
  if (ctx.cfg.asyncUrlForm !== 'examples') {
    const status = `${locationBase}/operationStatus/${op.id}${q}`;
    return op.kind === 'putInstance' ? { status } : { status, result: `${locationBase}/operationResults/${op.id}${q}` };
  }
  switch (op.kind) {
    case 'putInstance':
      return { status: vaultStatus };
    case 'restore':
    case 'adhocBackup':
    case 'deleteInstance':
      return { status: vaultStatus, result: `${vaultBase}/backupInstances/${op.instanceName}/operationResults/${op.id}${q}` };
    default:
      return { status: vaultStatus, result: `${rgBase}/operationResults/${op.id}${q}` };
  }
}

/** Starts a long-running operation and writes its 201/202 headers (seed 004 §Track response). */
function startOperation(
  ctx: ArmCtx,
  reply: FastifyReply,
  vault: VaultState,
  kind: OperationKind,
  durationMs: number,
  extra: Partial<OperationState> = {},
): OperationState {
  const op: OperationState = {
    id: newOperationId(),
    kind,
    location: vault.location,
    resourceGroup: vault.resourceGroup,
    vaultName: vault.name,
    startMs: ctx.now,
    doneMs: ctx.now + Math.max(0, durationMs),
    ...extra,
  };
  ctx.sub.operations[op.id] = op;
  const urls = operationUrls(ctx, vault, op);
  reply.header('azure-asyncoperation', urls.status);
  if (urls.result) reply.header('location', urls.result);
  reply.header('retry-after', String(ctx.cfg.asyncRetryAfterSeconds));
  return op;
}

/**
 * The fixture storage account an ARM id names, in its own subscription: seed 004 §Key entities protects
 * an account "in a different subscription" from the vault's (any subscription of the same tenant here).
 */
function storageAccountOr404(ctx: ArmCtx, resourceId: string) {
  const subscriptionId = /^\/subscriptions\/([^/]+)\//i.exec(resourceId)?.[1] ?? ctx.sub.id;
  const account = azureStorageAccounts(subscriptionId).find((a) => a.id.toLowerCase() === resourceId.toLowerCase());
  if (!account) {
    const name = resourceId.split('/').pop();
    throw new ArmError(
      'ResourceNotFound',
      `The Resource 'Microsoft.Storage/storageAccounts/${name}' under resource group '${/resourceGroups\/([^/]+)/i.exec(resourceId)?.[1] ?? ''}' was not found.`,
    );
  }
  return account;
}

/** The checks validateForBackup and PUT backupInstances share; returns the policy and the storage account. */
function checkBackupInstance(ctx: ArmCtx, vault: VaultState, bi: BackupInstanceBody, instanceName?: string) {
  const dsType = bi.dataSourceInfo.datasourceType;
  if (dsType !== BLOB_DATASOURCE_TYPE) {
    throw new ArmError(
      'BMSUserErrorInvalidInput',
      `Datasource type '${dsType ?? ''}' is not supported for this operation. Expected '${BLOB_DATASOURCE_TYPE}'.`,
    );
  }
  const account = storageAccountOr404(ctx, bi.dataSourceInfo.resourceID);
  const policyMatch = /\/backupVaults\/([^/]+)\/backupPolicies\/([^/]+)$/i.exec(bi.policyInfo.policyId);
  const policy =
    policyMatch && policyMatch[1].toLowerCase() === vault.name.toLowerCase() ? vault.policies[policyMatch[2].toLowerCase()] : undefined;
  if (!policy)
    throw new ArmError(
      'ResourceNotFound',
      `The backup policy '${bi.policyInfo.policyId}' was not found in the Backup vault '${vault.name}'.`,
    );
  const types = (policy.properties as BackupPolicyBody).datasourceTypes;
  if (!types.includes(dsType))
    throw new ArmError('BMSUserErrorInvalidInput', `The backup policy '${policy.name}' does not support datasource type '${dsType}'.`);
  // A vaulted backup of blobs copies named containers: BlobBackupDatasourceParameters.containersList (spec: required),
  // each a container of the account. The error code and texts are the sandbox's; the service's are not in the repo's documents.
  if (scheduledRules(policy).length) {
    const listed = (bi.policyInfo.policyParameters?.backupDatasourceParametersList ?? []).flatMap((p) =>
      p.objectType === 'BlobBackupDatasourceParameters' ? p.containersList : [],
    );
    if (!listed.length)
      throw new ArmError(
        'BMSUserErrorInvalidInput',
        `The backup policy '${policy.name}' backs up to the vault: name the containers to back up in policyInfo.policyParameters.backupDatasourceParametersList (BlobBackupDatasourceParameters.containersList).`,
      );
    const unknown = listed.filter((c) => !account.containers.includes(c));
    if (unknown.length)
      throw new ArmError(
        'BMSUserErrorInvalidInput',
        `The containers ${unknown.join(', ')} were not found in the storage account '${account.name}'.`,
      );
  }
  // A datasource is protected in one vault only, whichever subscription that vault is in.
  const holder = Object.values(ctx.scope.state.subscriptions)
    .map((sub) => sub.protectedDatasources[account.id.toLowerCase()])
    .find(Boolean);
  const self = instanceName ? `${vaultIdOf(ctx, vault)}/backupInstances/${instanceName}`.toLowerCase() : undefined;
  if (holder && holder.toLowerCase() !== self) {
    const holderVault = holder.replace(/\/backupInstances\/[^/]+$/i, '');
    throw new ArmError('UserErrorDppDatasourceAlreadyProtected', `Datasource is already protected under the Backup vault ${holderVault}.`);
  }
  return { policy, account };
}

function vaultIdOf(ctx: ArmCtx, vault: VaultState): string {
  return `/subscriptions/${ctx.sub.id}/resourceGroups/${vault.resourceGroup}/providers/Microsoft.DataProtection/backupVaults/${vault.name}`;
}

/**
 * UserErrorMissingRequiredPermissions as seed 004 §Track response shows it: the UserFacingError's
 * innerError names the vault's identity, the action it lacks and the storage account's scope.
 */
function missingPermissionsError(ctx: ArmCtx, vault: VaultState, accountId: string, step: string) {
  const error = cloudErrorObject('UserErrorMissingRequiredPermissions');
  const principal = guidFrom(`principal:${vaultIdOf(ctx, vault)}`);
  const info = error.additionalInfo![0].info;
  delete info.details;
  info.innerError = {
    code: 'UserErrorMissingRequiredPermissions',
    additionalInfo: {
      DetailedNonLocalisedMessage: `${step} failed. Exception Message: The client '${principal}' with object id '${principal}' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/read' over scope '${accountId}/providers/Microsoft.Authorization' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    },
  };
  delete error.target;
  return error;
}

function missingPermissions(ctx: ArmCtx, vault: VaultState, account: { id: string; name: string }, step: string) {
  return account.name === AZURE_FIXTURE.noPermissionAccount ? missingPermissionsError(ctx, vault, account.id, step) : undefined;
}

// ---------------------------------------------------------------- vaults

// ---------------------------------------------------------------- Microsoft.Storage (containers only)

/**
 * Microsoft.Storage BlobContainers_List of a fixture storage account (`value` of ListContainerItem: id, name, type,
 * properties), the list a vaulted blob backup's containersList names its containers from. Only what the gateway reads.
 */
function registerStorageRoutes(app: FastifyInstance): void {
  app.get<{ Params: { sub: string; rg: string; account: string } }>(
    '/subscriptions/:sub/resourceGroups/:rg/providers/Microsoft.Storage/storageAccounts/:account/blobServices/default/containers',
    async (req) => {
      const ctx = ctxOf(req);
      const { sub, rg, account } = req.params;
      const found = storageAccountOr404(
        ctx,
        `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${account}`,
      );
      return {
        value: found.containers.map((name) => ({
          id: `${found.id}/blobServices/default/containers/${name}`,
          name,
          type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
          properties: { publicAccess: 'None', leaseStatus: 'Unlocked', hasImmutabilityPolicy: false, hasLegalHold: false },
        })),
      };
    },
  );
}

function registerVaultRoutes(app: FastifyInstance): void {
  app.get<{ Params: { sub: string } }>('/subscriptions/:sub/providers/Microsoft.DataProtection/backupVaults', async (req) => {
    const ctx = ctxOf(req);
    const vaults = Object.values(ctx.sub.resourceGroups).flatMap((rg) => Object.values(rg.vaults));
    return paged(
      ctx,
      req,
      vaults.map((v) => vaultView(ctx.sub, v, ctx.scope.state.tenantId)),
    );
  });
  app.get<{ Params: { sub: string; rg: string } }>(
    '/subscriptions/:sub/resourceGroups/:rg/providers/Microsoft.DataProtection/backupVaults',
    async (req) => {
      const ctx = ctxOf(req);
      const rg = ctx.sub.resourceGroups[req.params.rg.toLowerCase()];
      if (!rg) throw new ArmError('ResourceGroupNotFound', `Resource group '${req.params.rg}' could not be found.`);
      return paged(
        ctx,
        req,
        Object.values(rg.vaults).map((v) => vaultView(ctx.sub, v, ctx.scope.state.tenantId)),
      );
    },
  );
  app.get<{ Params: VaultParams }>(VAULT, async (req) => {
    const ctx = ctxOf(req);
    return vaultView(ctx.sub, vaultOr404(ctx, req.params), ctx.scope.state.tenantId);
  });
  app.put<{ Params: VaultParams }>(VAULT, async (req, reply) => {
    const ctx = ctxOf(req);
    const rg = ctx.sub.resourceGroups[req.params.rg.toLowerCase()];
    if (!rg) throw new ArmError('ResourceGroupNotFound', `Resource group '${req.params.rg}' could not be found.`);
    const body = parseBody(BackupVaultResourceSchema, req.body);
    const existing = rg.vaults[req.params.vault.toLowerCase()];
    const {
      provisioningState: _p,
      secureScore: _s,
      bcdrSecurityLevel: _b,
      resourceMoveState: _r,
      resourceMoveDetails: _d,
      isVaultProtectedByResourceGuard: _g,
      ...props
    } = body.properties as Record<string, unknown>;
    if (existing) {
      Object.assign(existing, {
        properties: props,
        tags: body.tags,
        identity: body.identity ? { type: body.identity.type } : existing.identity,
      });
      return reply.code(200).send(vaultView(ctx.sub, existing, ctx.scope.state.tenantId));
    }
    const vault = newVault(
      req.params.vault,
      rg.name,
      body.location,
      props,
      body.identity ? { type: body.identity.type } : undefined,
      body.tags,
    );
    rg.vaults[vault.name.toLowerCase()] = vault;
    startOperation(ctx, reply, vault, 'putVault', 0);
    return reply.code(201).send(vaultView(ctx.sub, vault, ctx.scope.state.tenantId));
  });
}

// ---------------------------------------------------------------- policies

function checkPolicy(name: string, policy: BackupPolicyBody): number {
  if (!POLICY_NAME_RE.test(name)) {
    throw new ArmError(
      'BMSUserErrorInvalidInput',
      `Policy name '${name}' is invalid: use 3 to 150 letters, digits or hyphens, starting with a letter.`,
    );
  }
  for (const t of policy.datasourceTypes) {
    if (!KNOWN_DATASOURCE_TYPES.includes(t)) throw new ArmError('BMSUserErrorInvalidInput', `Datasource type '${t}' is not supported.`);
  }
  const retention = policy.policyRules.filter((r) => r.objectType === 'AzureRetentionRule');
  const defaults = retention.filter((r) => r.isDefault === true);
  if (defaults.length !== 1)
    throw new ArmError('BMSUserErrorInvalidInput', 'A backup policy must have exactly one default AzureRetentionRule.');
  let operationalDays = 0;
  for (const rule of retention) {
    for (const lc of rule.lifecycles) {
      const days = isoDurationDays(lc.deleteAfter.duration);
      if (days === undefined || days < 1)
        throw new ArmError(
          'BMSUserErrorInvalidInput',
          `Retention duration '${lc.deleteAfter.duration}' is not a valid ISO 8601 duration in days or weeks.`,
        );
      // Operational backup of blobs keeps data for at most 360 days.
      if (lc.sourceDataStore.dataStoreType === 'OperationalStore') {
        if (policy.datasourceTypes.includes(BLOB_DATASOURCE_TYPE) && days > 360)
          throw new ArmError('BMSUserErrorInvalidInput', 'Operational retention for blobs must be between 1 and 360 days.');
        operationalDays = Math.max(operationalDays, days);
      }
    }
  }
  // A backup rule's data must be kept somewhere: its data store needs a retention lifecycle, and its
  // schedule must be ISO 8601 repeating intervals (R/<start>/<period>, PolicyCRUD_CreateOrUpdateBackupPolicy).
  const kept = new Set(retention.flatMap((r) => r.lifecycles.map((lc) => lc.sourceDataStore.dataStoreType)));
  for (const rule of policy.policyRules) {
    if (rule.objectType !== 'AzureBackupRule') continue;
    if (!kept.has(rule.dataStore.dataStoreType))
      throw new ArmError(
        'BMSUserErrorInvalidInput',
        `Backup rule '${rule.name}' backs up to '${rule.dataStore.dataStoreType}', which no retention rule keeps.`,
      );
    const intervals = rule.trigger.objectType === 'ScheduleBasedTriggerContext' ? rule.trigger.schedule.repeatingTimeIntervals : [];
    const bad = intervals.find((i) => !parseRepeatingInterval(i));
    if (bad !== undefined)
      throw new ArmError(
        'BMSUserErrorInvalidInput',
        `Schedule '${bad}' of backup rule '${rule.name}' is not an ISO 8601 repeating interval.`,
      );
  }
  if (policy.datasourceTypes.includes(BLOB_DATASOURCE_TYPE) && operationalDays === 0) {
    // seed 004: blob backup here is operational backup (continuous, in the storage account)
    throw new ArmError('BMSUserErrorInvalidInput', 'A blob backup policy must retain data in the OperationalStore.');
  }
  return operationalDays;
}

function registerPolicyRoutes(app: FastifyInstance): void {
  app.get<{ Params: VaultParams }>(`${VAULT}/backupPolicies`, async (req) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const list = Object.values(vault.policies).sort((a, b) => a.createdMs - b.createdMs || a.name.localeCompare(b.name));
    return paged(
      ctx,
      req,
      list.map((p) => policyView(ctx.sub, vault, p)),
    );
  });
  app.get<{ Params: VaultParams & { name: string } }>(`${VAULT}/backupPolicies/:name`, async (req) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const policy = vault.policies[req.params.name.toLowerCase()];
    if (!policy)
      throw new ArmError(
        'ResourceNotFound',
        `The Resource 'Microsoft.DataProtection/backupVaults/${vault.name}/backupPolicies/${req.params.name}' under resource group '${vault.resourceGroup}' was not found.`,
      );
    return policyView(ctx.sub, vault, policy);
  });
  app.put<{ Params: VaultParams & { name: string } }>(`${VAULT}/backupPolicies/:name`, async (req) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const body = parseBody(BackupPolicyResourceSchema, req.body);
    checkPolicy(req.params.name, body.properties);
    const key = req.params.name.toLowerCase();
    const existing = vault.policies[key];
    vault.policies[key] = {
      name: existing?.name ?? req.params.name,
      properties: body.properties as unknown as Record<string, unknown>,
      createdMs: existing?.createdMs ?? ctx.now,
    };
    // BackupPolicies_CreateOrUpdate is synchronous: 200 only.
    return policyView(ctx.sub, vault, vault.policies[key]);
  });
  app.delete<{ Params: VaultParams & { name: string } }>(`${VAULT}/backupPolicies/:name`, async (req, reply) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const key = req.params.name.toLowerCase();
    if (!vault.policies[key]) return reply.code(204).send();
    purgeDeleted(ctx, vault);
    if (Object.values(vault.instances).some((bi) => bi.policyName.toLowerCase() === key))
      throw new ArmError('UserErrorDppPolicyObjectInUse');
    delete vault.policies[key];
    return reply.code(200).send();
  });
}

// ---------------------------------------------------------------- backup instances

function registerInstanceRoutes(app: FastifyInstance): void {
  app.get<{ Params: VaultParams }>(`${VAULT}/backupInstances`, async (req) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    purgeDeleted(ctx, vault);
    const list = Object.values(vault.instances).sort((a, b) => a.createdMs - b.createdMs || a.name.localeCompare(b.name));
    return paged(
      ctx,
      req,
      list.map((bi) => instanceView(ctx.sub, vault, bi, ctx.now, ctx.cfg)),
    );
  });
  app.get<{ Params: BiParams }>(BI, async (req) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    return instanceView(ctx.sub, vault, instanceOr404(ctx, vault, req.params.bi), ctx.now, ctx.cfg);
  });

  app.post<{ Params: VaultParams }>(`${VAULT}/validateForBackup`, async (req, reply) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const body = parseBody(ValidateForBackupSchema, req.body);
    // seed 004 §Error response: an already protected datasource is refused at once with 400.
    const { account } = checkBackupInstance(ctx, vault, body.backupInstance);
    // seed 004 §Track response: missing permissions surface in the tracked operation.
    startOperation(ctx, reply, vault, 'validateForBackup', ctx.cfg.validateDurationMs, {
      error: missingPermissions(ctx, vault, account, 'Validate for Protection'),
    });
    return reply.code(202).send();
  });

  app.put<{ Params: BiParams }>(BI, async (req, reply) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const body = parseBody(BackupInstanceResourceSchema, req.body);
    const { policy, account } = checkBackupInstance(ctx, vault, body.properties, req.params.bi);
    const {
      protectionStatus: _s,
      currentProtectionState: _c,
      protectionErrorDetails: _e,
      provisioningState: _p,
      ...props
    } = body.properties;
    const key = req.params.bi.toLowerCase();
    const existing = instanceOf(ctx, vault, req.params.bi);
    if (existing?.deletingUntilMs !== undefined) throw new ArmError('Conflict', `Backup instance '${existing.name}' is being deleted.`);
    const retentionDays = checkPolicy(policy.name, policy.properties as BackupPolicyBody);
    if (existing) {
      Object.assign(existing, { properties: props, tags: body.tags, policyName: policy.name, retentionDays });
      return reply.code(200).send(instanceView(ctx.sub, vault, existing, ctx.now, ctx.cfg));
    }
    // An account in failProtectionOf passed validation but loses the vault's role before protection is
    // configured: the PUT is accepted and its operation fails (ConfiguringProtectionFailed).
    const error =
      missingPermissions(ctx, vault, account, 'Configure Protection') ??
      (ctx.cfg.failProtectionOf.includes(account.name.toLowerCase())
        ? missingPermissionsError(ctx, vault, account.id, 'Configure Protection')
        : undefined);
    const bi: InstanceState = {
      name: req.params.bi,
      tags: body.tags,
      // seed 004 §Example responses to configure backup request: without one, friendlyName is the resource name.
      properties: { friendlyName: props.dataSourceInfo.resourceName, ...props } as Record<string, unknown>,
      policyName: policy.name,
      datasourceId: account.id,
      createdMs: ctx.now,
      protectedMs: ctx.now + ctx.cfg.protectionDurationMs,
      retentionDays,
      ...(error ? { protectionError: error.additionalInfo?.[0]?.info } : {}),
    };
    vault.instances[key] = bi;
    ctx.sub.protectedDatasources[account.id.toLowerCase()] = `${vaultIdOf(ctx, vault)}/backupInstances/${bi.name}`;
    // seed 004 §Responses to configure backup request: 201 Created + Azure-AsyncOperation (locations/… form,
    // no Location) + Retry-After, body ConfiguringProtection; the operation ends when protection is configured.
    startOperation(ctx, reply, vault, 'putInstance', ctx.cfg.protectionDurationMs, { instanceName: bi.name, error });
    return reply.code(201).send(instanceView(ctx.sub, vault, bi, ctx.now, ctx.cfg));
  });

  app.delete<{ Params: BiParams }>(BI, async (req, reply) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const bi = instanceOf(ctx, vault, req.params.bi);
    if (!bi) return reply.code(204).send();
    if (bi.deletingUntilMs === undefined) bi.deletingUntilMs = ctx.now + ctx.cfg.deleteDurationMs;
    purgeDeleted(ctx, vault);
    // seed 004 §Responses for delete protection: 202 Accepted + Azure-AsyncOperation + Location + Retry-After.
    startOperation(ctx, reply, vault, 'deleteInstance', ctx.cfg.deleteDurationMs, { instanceName: bi.name });
    return reply.code(202).send();
  });

  // Operational backup is continuous (restorable time ranges); a vaulted backup job leaves a discrete point.
  app.get<{ Params: BiParams }>(`${BI}/recoveryPoints`, async (req) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const bi = instanceOr404(ctx, vault, req.params.bi);
    const instanceId = `${vaultIdOf(ctx, vault)}/backupInstances/${bi.name}`;
    return paged(
      ctx,
      req,
      recoveryPointsOf(vault, bi, ctx.now).map((rp) => recoveryPointView(instanceId, rp)),
    );
  });
  app.get<{ Params: BiParams & { rp: string } }>(`${BI}/recoveryPoints/:rp`, async (req) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const bi = instanceOr404(ctx, vault, req.params.bi);
    const rp = recoveryPointsOf(vault, bi, ctx.now).find((p) => p.id === req.params.rp.toLowerCase());
    if (!rp) throw new ArmError('ResourceNotFound', `Recovery point '${req.params.rp}' was not found.`);
    return recoveryPointView(`${vaultIdOf(ctx, vault)}/backupInstances/${bi.name}`, rp);
  });
  app.post<{ Params: BiParams }>(`${BI}/findRestorableTimeRanges`, async (req) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const bi = instanceOr404(ctx, vault, req.params.bi);
    const body = parseBody(FindRestorableTimeRangesSchema, req.body);
    if (body.sourceDataStoreType !== 'OperationalStore') {
      throw new ArmError('BMSUserErrorInvalidInput', `The backup instance has no data in '${body.sourceDataStoreType}'.`);
    }
    const range = bi.protectionError ? undefined : restorableRange(bi, ctx.now);
    const from = body.startTime ? Date.parse(body.startTime) : -Infinity;
    const to = body.endTime ? Date.parse(body.endTime) : Infinity;
    if (Number.isNaN(from) || Number.isNaN(to))
      throw new ArmError('BMSUserErrorInvalidInput', 'startTime and endTime must be ISO 8601 date-times.');
    const ranges =
      range && range.endMs >= from && range.startMs <= to
        ? [
            {
              startTime: new Date(Math.max(range.startMs, from)).toISOString(),
              endTime: new Date(Math.min(range.endMs, to)).toISOString(),
              objectType: 'RestorableTimeRange',
            },
          ]
        : [];
    return {
      id: `${vaultIdOf(ctx, vault)}/backupInstances/${bi.name}/findRestorableTimeRanges`,
      name: bi.name,
      type: 'Microsoft.DataProtection/backupVaults/backupInstances/findRestorableTimeRanges',
      properties: { restorableTimeRanges: ranges, objectType: 'AzureBackupFindRestorableTimeRangesResponse' },
    };
  });
}

// ---------------------------------------------------------------- ad-hoc backup

/**
 * BackupInstances_AdhocBackup (BackupInstanceOperations_TriggerBackup): 202 + Azure-AsyncOperation, Location and
 * Retry-After; the operation names the job (OperationJobExtendedInfo.jobId). ruleName must be one of the
 * policy's AzureBackupRules: an operational-only blob policy has none, continuous backup takes no ad-hoc
 * backup. Refused as CloudError: BMSUserErrorInvalidInput for the rule, UserErrorBackupInstanceNotProtected
 * unless protection is configured and backups run, AnotherOperationInProgress while a backup job runs.
 */
function registerAdhocBackupRoute(app: FastifyInstance): void {
  app.post<{ Params: BiParams }>(`${BI}/backup`, async (req, reply) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const bi = instanceOr404(ctx, vault, req.params.bi);
    const body = parseBody(TriggerBackupRequestSchema, req.body);
    const policy = vault.policies[bi.policyName.toLowerCase()];
    const rules = policy ? backupRuleNames(policy) : [];
    if (rules.length === 0)
      throw new ArmError(
        'BMSUserErrorInvalidInput',
        `Backup policy '${bi.policyName}' has no backup rule: operational backup is continuous and takes no ad-hoc backup.`,
      );
    if (!rules.includes(body.backupRuleOptions.ruleName))
      throw new ArmError(
        'BMSUserErrorInvalidInput',
        `Backup rule '${body.backupRuleOptions.ruleName}' is not a backup rule of policy '${bi.policyName}' (${rules.join(', ')}).`,
      );
    if (ctx.now < bi.protectedMs || bi.protectionError || backupsSuspended(bi, ctx.cfg))
      throw new ArmError('UserErrorBackupInstanceNotProtected', `Backup instance '${bi.name}' is not protected: backups cannot be taken.`);
    if (runningBackupJob(vault, bi, ctx.now))
      throw new ArmError('AnotherOperationInProgress', `A backup of backup instance '${bi.name}' is already in progress.`);
    const job = addBackupJob(vault, bi, ctx.cfg, ctx.now + ctx.cfg.adhocAcceptDurationMs, {
      ruleName: body.backupRuleOptions.ruleName,
      userTriggered: true,
      retentionTag: body.backupRuleOptions.triggerOption.retentionTagOverride,
    });
    startOperation(ctx, reply, vault, 'adhocBackup', ctx.cfg.adhocAcceptDurationMs, { instanceName: bi.name, jobId: job.id });
    return reply.code(202).send();
  });
}

// ---------------------------------------------------------------- stop / suspend / resume

/**
 * BackupInstances_StopProtection / SuspendBackups (optional body {resourceGuardOperationRequests}) and
 * ResumeProtection / ResumeBackups (no body): long-running, 202 + Azure-AsyncOperation, Location and
 * Retry-After. Stopping keeps the data (use DELETE to remove it); resuming takes up the schedule from the
 * next occurrence, without catching up.
 */
function registerProtectionControlRoutes(app: FastifyInstance): void {
  const GuardSchema = z.strictObject({ resourceGuardOperationRequests: z.array(z.string()).optional() }).optional();
  const route = (action: 'stopProtection' | 'suspendBackups' | 'resumeProtection' | 'resumeBackups') =>
    app.post<{ Params: BiParams }>(`${BI}/${action}`, async (req, reply) => {
      const ctx = ctxOf(req);
      const vault = vaultOr404(ctx, req.params);
      const bi = instanceOr404(ctx, vault, req.params.bi);
      if (action === 'stopProtection' || action === 'suspendBackups') parseBody(GuardSchema, req.body ?? undefined);
      if (ctx.now < bi.protectedMs || bi.protectionError || bi.deletingUntilMs !== undefined)
        throw new ArmError('UserErrorBackupInstanceNotProtected', `Backup instance '${bi.name}' is not protected.`);
      if (action === 'stopProtection') bi.stopped = { kind: 'protection', atMs: ctx.now };
      else if (action === 'suspendBackups')
        bi.stopped = bi.stopped?.kind === 'protection' ? bi.stopped : { kind: 'backups', atMs: ctx.now };
      else if (action === 'resumeProtection' || bi.stopped?.kind === 'backups') bi.stopped = undefined;
      startOperation(ctx, reply, vault, action, 0, { instanceName: bi.name });
      return reply.code(202).send();
    });
  for (const action of ['stopProtection', 'suspendBackups', 'resumeProtection', 'resumeBackups'] as const) route(action);
}

// ---------------------------------------------------------------- restore

/** Semantic checks of a restore request for an operational blob backup instance; returns the point in time. */
function checkRestore(ctx: ArmCtx, bi: InstanceState, body: RestoreRequestBody): number {
  if (ctx.now < bi.protectedMs || bi.protectionError) {
    throw new ArmError(
      'UserErrorBackupInstanceNotProtected',
      `Backup instance '${bi.name}' is not protected yet (state ConfiguringProtection).`,
    );
  }
  if (body.objectType === 'AzureBackupRecoveryPointBasedRestoreRequest') {
    throw new ArmError(
      'ResourceNotFound',
      `Recovery point '${body.recoveryPointId}' was not found: operational backups restore to a point in time.`,
    );
  }
  if (body.objectType !== 'AzureBackupRecoveryTimeBasedRestoreRequest')
    throw new ArmError('BMSUserErrorInvalidInput', `'${body.objectType}' is not supported for blobs.`);
  if (body.sourceDataStoreType !== 'OperationalStore')
    throw new ArmError('BMSUserErrorInvalidInput', `sourceDataStoreType must be 'OperationalStore' for operational blob backup.`);
  const target = body.restoreTargetInfo;
  if (target.objectType === 'RestoreFilesTargetInfo')
    throw new ArmError('BMSUserErrorInvalidInput', 'RestoreFilesTargetInfo is not supported for blobs.');
  // Operational blob restore goes to the original storage account only.
  if (target.datasourceInfo.resourceID.toLowerCase() !== bi.datasourceId.toLowerCase()) {
    throw new ArmError('BMSUserErrorInvalidInput', 'Operational blob backups can only be restored to the original storage account.');
  }
  if (target.objectType === 'ItemLevelRestoreTargetInfo') {
    if (target.restoreCriteria.length === 0 || target.restoreCriteria.length > MAX_RESTORE_RANGES) {
      throw new ArmError('BMSUserErrorInvalidInput', `Specify between 1 and ${MAX_RESTORE_RANGES} blob ranges to restore.`);
    }
    const account = storageAccountOr404(ctx, bi.datasourceId);
    for (const c of target.restoreCriteria) {
      const min = c.objectType === 'RangeBasedItemLevelRestoreCriteria' ? c.minMatchingValue : c.itemPath;
      if (!min) throw new ArmError('BMSUserErrorInvalidInput', 'minMatchingValue is required.');
      if (c.objectType === 'RangeBasedItemLevelRestoreCriteria' && c.maxMatchingValue !== undefined && c.maxMatchingValue < min) {
        throw new ArmError('BMSUserErrorInvalidInput', `maxMatchingValue '${c.maxMatchingValue}' sorts before minMatchingValue '${min}'.`);
      }
      const container = min.split('/')[0];
      if (!account.containers.includes(container))
        throw new ArmError('BMSUserErrorInvalidInput', `Container '${container}' does not exist in storage account '${account.name}'.`);
    }
  }
  const at = Date.parse(body.recoveryPointTime);
  const range = restorableRange(bi, ctx.now);
  if (Number.isNaN(at) || !range || at < range.startMs || at > range.endMs) {
    throw new ArmError(
      'UserErrorRestorePointInTimeNotInRange',
      `The point in time '${body.recoveryPointTime}' is outside the restorable time ranges of backup instance '${bi.name}'.`,
    );
  }
  return at;
}

function registerRestoreRoutes(app: FastifyInstance): void {
  app.post<{ Params: BiParams }>(`${BI}/validateRestore`, async (req, reply) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const bi = instanceOr404(ctx, vault, req.params.bi);
    const body = parseBody(ValidateRestoreSchema, req.body);
    checkRestore(ctx, bi, body.restoreRequestObject);
    startOperation(ctx, reply, vault, 'validateRestore', ctx.cfg.validateDurationMs, { instanceName: bi.name });
    return reply.code(202).send();
  });
  app.post<{ Params: BiParams }>(`${BI}/restore`, async (req, reply) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const bi = instanceOr404(ctx, vault, req.params.bi);
    const body = parseBody(RestoreRequestSchema, req.body);
    const at = checkRestore(ctx, bi, body);
    const jobId = randomUUID();
    const startMs = ctx.now + ctx.cfg.restoreAcceptDurationMs;
    vault.jobs[jobId] = {
      id: jobId,
      instanceName: bi.name,
      datasourceId: bi.datasourceId,
      datasourceName: bi.datasourceId.split('/').pop()!,
      policyName: bi.policyName,
      operation: 'Restore',
      startMs,
      endMs: ctx.cfg.stuckJobs ? null : startMs + ctx.cfg.restoreDurationMs,
      fails: ctx.cfg.failRestores,
      recoveryPointTime: new Date(at).toISOString(),
      activityId: String(req.headers['x-ms-client-request-id'] ?? randomUUID()),
      restoreType: body.restoreTargetInfo.objectType === 'ItemLevelRestoreTargetInfo' ? 'ItemLevelRestore' : 'AlternateLocationRestore',
      bytes: 1_048_576,
    };
    startOperation(ctx, reply, vault, 'restore', ctx.cfg.restoreAcceptDurationMs, { instanceName: bi.name, jobId });
    return reply.code(202).send();
  });
}

// ---------------------------------------------------------------- jobs

function registerJobRoutes(app: FastifyInstance): void {
  app.get<{ Params: VaultParams }>(`${VAULT}/backupJobs`, async (req) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const jobs = Object.values(vault.jobs)
      .filter((j) => j.startMs <= ctx.now)
      .sort((a, b) => b.startMs - a.startMs || a.id.localeCompare(b.id));
    return paged(
      ctx,
      req,
      jobs.map((j) => jobView(ctx.sub, vault, j, ctx.now)),
    );
  });
  app.get<{ Params: VaultParams & { jobId: string } }>(`${VAULT}/backupJobs/:jobId`, async (req) => {
    const ctx = ctxOf(req);
    const vault = vaultOr404(ctx, req.params);
    const job = vault.jobs[req.params.jobId.toLowerCase()] ?? vault.jobs[req.params.jobId];
    if (!job || job.startMs > ctx.now)
      throw new ArmError('ResourceNotFound', `Job '${req.params.jobId}' was not found in Backup vault '${vault.name}'.`);
    return jobView(ctx.sub, vault, job, ctx.now);
  });
}

// ---------------------------------------------------------------- async operations

function registerOperationRoutes(app: FastifyInstance): void {
  const status = async (req: FastifyRequest<{ Params: { opId: string } }>) => {
    const ctx = ctxOf(req);
    const op = ctx.sub.operations[req.params.opId];
    if (!op) throw new ArmError('ResourceNotFound', `Operation '${req.params.opId}' was not found.`);
    return operationStatusView(req.url.split('?')[0].replace(/^\/azure\/management/, ''), op, ctx.now);
  };
  const result = async (req: FastifyRequest<{ Params: { opId: string } }>, reply: FastifyReply) => {
    const ctx = ctxOf(req);
    const op = ctx.sub.operations[req.params.opId];
    if (!op) throw new ArmError('ResourceNotFound', `Operation '${req.params.opId}' was not found.`);
    if (ctx.now < op.doneMs) {
      return reply
        .code(202)
        .header('location', `https://${req.headers.host}${req.url}`)
        .header('retry-after', String(ctx.cfg.asyncRetryAfterSeconds))
        .send();
    }
    if (op.error) {
      return reply.code(400).header('content-type', 'application/json; charset=utf-8').send({ error: op.error });
    }
    return reply.code(200).send({ objectType: 'OperationJobExtendedInfo', ...(op.jobId ? { jobId: op.jobId } : {}) });
  };
  app.get<{ Params: { sub: string; loc: string; opId: string } }>(
    '/subscriptions/:sub/providers/Microsoft.DataProtection/locations/:loc/operationStatus/:opId',
    status,
  );
  app.get<{ Params: { sub: string; loc: string; opId: string } }>(
    '/subscriptions/:sub/providers/Microsoft.DataProtection/locations/:loc/operationResults/:opId',
    result,
  );
  app.get<{ Params: VaultParams & { opId: string } }>(`${VAULT}/operationStatus/:opId`, status);
  app.get<{ Params: VaultParams & { opId: string } }>(`${VAULT}/operationResults/:opId`, result);
  app.get<{ Params: { sub: string; rg: string; opId: string } }>(
    '/subscriptions/:sub/resourceGroups/:rg/providers/Microsoft.DataProtection/operationStatus/:opId',
    status,
  );
  app.get<{ Params: BiParams & { opId: string } }>(`${BI}/operationResults/:opId`, result);
  // The resource-group Location of the official ValidateForBackup / ValidateRestore examples (not a swagger path).
  app.get<{ Params: { sub: string; rg: string; opId: string } }>(
    '/subscriptions/:sub/resourceGroups/:rg/providers/Microsoft.DataProtection/operationResults/:opId',
    result,
  );
}
