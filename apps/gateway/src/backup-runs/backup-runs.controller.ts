import { applyDecorators, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toBackupRunResource } from '@bg/platform';
import { toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiZodQuery, jsonSchema, ZodPipe } from '../common/zod';
import {
  acceptedBackupSchema,
  backupRunPageSchema,
  backupRunSchema,
  listBackupRunsQuery,
  type ListBackupRunsQuery,
} from './backup-runs.dto';

/** The 202 of an on-demand backup, its Location and the Idempotency-Key it honours. */
const acceptedBackup = () =>
  applyDecorators(
    ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key answers the first answer.' }),
    ApiAcceptedResponse({
      description: 'The backup run (queued, or the one already going).',
      schema: jsonSchema(acceptedBackupSchema) as never,
      headers: { Location: { description: 'The run: /v1/tenants/{tenantId}/backup-runs/{runId}', schema: { type: 'string' } } },
    }),
  );
import { BackupRunsService, type RequestedBackup } from './backup-runs.service';

/** Answers an on-demand backup: 202 with the run and its Location (also when it is the run already going). */
function answer(tenantId: string, requested: RequestedBackup, reply: FastifyReply) {
  reply.header('location', `/v1/tenants/${tenantId}/backup-runs/${requested.run.id}`);
  return { ...toBackupRunResource(requested.run), alreadyRunning: requested.existing };
}

@ApiTags('backup-runs')
@ApiBearerAuth()
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
  @ApiOkResponse({ description: 'A page of runs, newest first.', schema: jsonSchema(backupRunPageSchema) as never })
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
  @ApiOkResponse({ description: 'The run with its items.', schema: jsonSchema(backupRunSchema) as never })
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
