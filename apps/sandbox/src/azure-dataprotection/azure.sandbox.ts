import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ScopeRegistry, type FaultSpec, type VendorSandbox } from '../support';
import { registerArm } from './azure.arm';
import { codeForStatus } from './azure.errors';
import { loginTenantOf, peekClaims, registerLogin } from './azure.login';
import { newAccountState, type AzureAccountState } from './azure.state';

/**
 * Simulator of Azure Data Protection (Backup vaults) behind Azure Resource Manager, from seed 004 and
 * vendor-specs/azure-dataprotection (api-version 2024-04-01). Mounted under /azure:
 *   /azure/login/{tenant}/...          Entra ID v2.0 (openid-configuration, client-credentials token)
 *   /azure/management/subscriptions/…  ARM: backupVaults, backupPolicies, backupInstances
 *                                      (+validateForBackup, findRestorableTimeRanges, validateRestore,
 *                                      restore, backup (ad hoc), stopProtection, suspendBackups,
 *                                      resumeProtection, resumeBackups, recoveryPoints), backupJobs,
 *                                      operationStatus/Results
 *
 * One scope per Entra tenant (the token's `tid`; the path's tenant on /login). Each subscription used
 * under it starts with resource group rg-backup holding vault bv-sandbox (westus) and 80 storage
 * accounts in rg-storage (azure.fixtures.ts). Behaviour switches (SandboxControl.configure):
 *   tokenLifetimeSeconds (3599)     access token lifetime, checked against the scope clock
 *   asyncRetryAfterSeconds (1)      Retry-After on 201/202 and in-progress polls
 *   asyncUrlForm ('seed')           operation URLs in seed 004's locations/… form, or 'examples': the
 *                                   official x-ms-examples' vault-context / resource-group forms
 *   validateDurationMs (0)          validateForBackup / validateRestore operations
 *   protectionDurationMs (1000)     ConfiguringProtection -> ProtectionConfigured (the PUT's operation)
 *   failProtectionOf ([])           storage account names whose PUT backupInstances is accepted and whose
 *                                   operation then fails: ConfiguringProtectionFailed, UserErrorMissingRequiredPermissions
 *   deleteDurationMs (0)            SoftDeleting before a deleted backup instance disappears
 *   restoreAcceptDurationMs (0)     restore operation -> job created
 *   restoreDurationMs (60000)       restore job InProgress -> Completed
 *   stuckJobs / failRestores        restore jobs started while set never finish / end Failed
 *   backupDurationMs (600000)       backup job Started/InProgress -> Completed (azure.backups.ts: one job per
 *                                   instance at each occurrence of its policy's AzureBackupRule schedule;
 *                                   a successful job leaves a discrete recovery point)
 *   adhocAcceptDurationMs (0)       ad-hoc backup operation -> job created
 *   failBackupsOf ([])              backup instance names whose backup jobs end Failed (errorDetails
 *                                   UserErrorMissingRequiredPermissions); the instance shows ProtectionError
 *   warnBackupsOf ([])              ... whose backup jobs end CompletedWithWarnings (extendedInfo.warningDetails)
 *   skipBackupsOf ([])              ... whose scheduled backups silently stop (state stays ProtectionConfigured)
 *   suspendBackupsOf ([])           ... whose backups are suspended: BackupSchedulesSuspended, no jobs, ad hoc refused
 *   pageSize (10)                   items per page of list calls (nextLink with $skipToken)
 *   readBucket/readRefillPerSecond (250/25), writeBucket/writeRefillPerSecond (200/10),
 *   deleteBucket/deleteRefillPerSecond (200/10)   ARM throttling per subscription, on the scope clock
 */
export class AzureDataProtectionSandbox implements VendorSandbox {
  readonly prefix = 'azure';
  readonly scopes = new ScopeRegistry<AzureAccountState>((key) => newAccountState(key));

  scopeOf(req: FastifyRequest): string | undefined {
    const tenant = loginTenantOf(req, this.prefix);
    if (tenant) return tenant;
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    return m ? peekClaims(m[1])?.tid : undefined;
  }

  writeFault(reply: FastifyReply, fault: FaultSpec, req: FastifyRequest): void {
    const status = fault.status ?? 500;
    if (loginTenantOf(req, this.prefix)) {
      // Entra's error shape (temporarily_unavailable for 5xx, as the token endpoint does)
      reply.code(status).send(
        fault.body ?? {
          error: status >= 500 ? 'temporarily_unavailable' : 'invalid_request',
          error_description: `AADSTS90000${status}: Injected fault.`,
          error_codes: [status],
        },
      );
      return;
    }
    const body = fault.body as { error?: unknown } | undefined;
    reply
      .code(status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(body?.error ? body : { error: { code: codeForStatus(status), message: `Injected fault (${status}).`, ...(body ?? {}) } });
  }

  async register(app: FastifyInstance): Promise<void> {
    await app.register(async (login) => registerLogin(login, this.scopes));
    await app.register(async (arm) => registerArm(arm, this.scopes), { prefix: '/management' });
  }
}
