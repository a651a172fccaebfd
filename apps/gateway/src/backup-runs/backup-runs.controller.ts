import { applyDecorators, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toBackupRunResource } from '@bg/platform';
import { toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiAccepted, ApiOk, ApiPage, ApiProblems } from '../common/openapi';
import { ApiZodQuery, ZodPipe } from '../common/zod';
import { acceptedBackupSchema, backupRunSchema, listBackupRunsQuery, type ListBackupRunsQuery } from './backup-runs.dto';

/** The 202 of an on-demand backup and its Location; 422 UNSUPPORTED_BY_VENDOR where the vendor has none. */
const acceptedBackup = () =>
  applyDecorators(
    ApiAccepted(acceptedBackupSchema, {
      description: 'The backup run (queued, or the one already going).',
      location: 'The run: /v1/tenants/{tenantId}/backup-runs/{runId}',
    }),
    ApiProblems(409, 422),
  );
import { BackupRunsService, type RequestedBackup } from './backup-runs.service';
import { WritesInTenantTransaction } from '../common/status-gate.guard';

/** Answers an on-demand backup: 202 with the run and its Location (also when it is the run already going). */
function answer(tenantId: string, requested: RequestedBackup, reply: FastifyReply) {
  reply.header('location', `/v1/tenants/${tenantId}/backup-runs/${requested.run.id}`);
  return { ...toBackupRunResource(requested.run), alreadyRunning: requested.existing };
}

@ApiTags('backup-runs')
@ApiBearerAuth()
@WritesInTenantTransaction()
@Controller('v1/tenants/:tenantId')
export class BackupRunsController {
  constructor(
    private readonly service: BackupRunsService,
    private readonly access: TenantAccess,
  ) {}

  @RequireScope('read')
  @Get('backup-runs')
  @ApiOperation({
    summary:
      'Backup runs the vendors report (Veeam job sessions, Azure backup jobs, AvePoint backup jobs) and on-demand runs, newest first. Filter by policyId, protectedItemId, status, from, to. Microsoft Graph reports no runs (see GET /v1/vendors, health).',
  })
  @ApiZodQuery(listBackupRunsQuery)
  @ApiPage(backupRunSchema, 'A page of runs, newest first.')
  async list(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Query(new ZodPipe(listBackupRunsQuery, 'query')) q: ListBackupRunsQuery,
  ) {
    await this.access.assert(p, tenantId);
    return toPage(await this.service.list(tenantId, q), q.limit, (r) => toBackupRunResource(r));
  }

  @RequireScope('read')
  @Get('backup-runs/:runId')
  @ApiOperation({ summary: 'One backup run with the outcome of each item it covered.' })
  @ApiOk(backupRunSchema, 'The run with its items.')
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('runId') id: string) {
    await this.access.assert(p, tenantId);
    const { run, items } = await this.service.get(tenantId, id);
    return toBackupRunResource(run, items);
  }

  @RequireScope('backup')
  @Post('protected-items/:itemId/backup')
  @HttpCode(202)
  @ApiOperation({
    summary:
      "Back up an item now: 202 with the backup run (queued) and its Location. Where the vendor runs whole jobs (Veeam) the run is the policy's. A run already going for the item is returned (alreadyRunning: true). 422 UNSUPPORTED_BY_VENDOR where the vendor has no on-demand backup (Graph, AvePoint).",
  })
  @acceptedBackup()
  async backupItem(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('itemId') itemId: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    return answer(tenantId, await this.service.backupItem(tenantId, itemId, req.id), reply);
  }

  @RequireScope('backup')
  @Post('policies/:policyId/backup')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Back up a whole policy now, where the vendor backs up per job (Veeam): 202 with the run. A run of the policy already going is returned. 422 UNSUPPORTED_BY_VENDOR elsewhere.',
  })
  @acceptedBackup()
  async backupPolicy(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('policyId') policyId: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    return answer(tenantId, await this.service.backupPolicy(tenantId, policyId, req.id), reply);
  }
}
