import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { decodeCursor, toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiZodBody, ZodPipe } from '../common/zod';
import { createRestoreJobSchema, listRestoreJobsQuery, toRestoreJob, toRestoreJobEvent, type CreateRestoreJob } from './restore-jobs.dto';
import { RestoreJobsService } from './restore-jobs.service';

@ApiTags('restore-jobs')
@ApiBearerAuth()
@Controller('v1/tenants/:tenantId/restore-jobs')
export class RestoreJobsController {
  constructor(private readonly service: RestoreJobsService, private readonly access: TenantAccess) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Start a restore. Answers 202 with the job (status queued) and its Location; the worker runs it: queued -> submitting -> running -> succeeded | partiallySucceeded | failed | cancelled.' })
  @ApiZodBody(createRestoreJobSchema)
  async create(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Body(new ZodPipe(createRestoreJobSchema)) body: CreateRestoreJob, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.access.assert(p, tenantId);
    const job = toRestoreJob(await this.service.create(tenantId, body));
    reply.header('location', `/v1/tenants/${tenantId}/restore-jobs/${job.id}`);
    return job;
  }

  @Get()
  async list(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Query(new ZodPipe(listRestoreJobsQuery, 'query')) q: z.infer<typeof listRestoreJobsQuery>) {
    await this.access.assert(p, tenantId);
    return toPage(await this.service.list(tenantId, decodeCursor(q.cursor), q.limit, q.status), q.limit, toRestoreJob);
  }

  @Get(':jobId')
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('jobId') id: string) {
    await this.access.assert(p, tenantId);
    return toRestoreJob(await this.service.get(tenantId, id));
  }

  @Post(':jobId/cancel')
  @HttpCode(202)
  @ApiOperation({ summary: 'Cancel a job: at once if still queued, otherwise at the vendor where it can (status cancelling -> cancelled or the state the vendor reached).' })
  async cancel(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('jobId') id: string) {
    await this.access.assert(p, tenantId);
    return toRestoreJob(await this.service.cancel(tenantId, id));
  }

  @Get(':jobId/events')
  @ApiOperation({ summary: 'The job\'s full history: every state change and vendor interaction, oldest first.' })
  async events(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('jobId') id: string) {
    await this.access.assert(p, tenantId);
    return { items: (await this.service.events(tenantId, id)).map(toRestoreJobEvent), nextCursor: null };
  }
}
