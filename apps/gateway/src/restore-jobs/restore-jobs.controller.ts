import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { toRestoreJobEventResource, toRestoreJobResource } from '@bg/platform';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { WithIdempotency } from '../common/idempotency.interceptor';
import { decodeCursor, SEQUENCE_ID, toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiAccepted, ApiOk, ApiPage, ApiProblems } from '../common/openapi';
import { ApiZodBody, ApiZodQuery, ZodPipe } from '../common/zod';
import {
  createRestoreJobSchema,
  listRestoreJobEventsQuery,
  listRestoreJobsQuery,
  restoreJobEventSchema,
  restoreJobSchema,
  type CreateRestoreJob,
} from './restore-jobs.dto';
import { RestoreJobsService } from './restore-jobs.service';
import { WritesInTenantTransaction } from '../common/status-gate.guard';

@ApiTags('restore-jobs')
@ApiBearerAuth()
@WritesInTenantTransaction()
@Controller('v1/tenants/:tenantId/restore-jobs')
export class RestoreJobsController {
  constructor(
    private readonly service: RestoreJobsService,
    private readonly access: TenantAccess,
  ) {}

  @RequireScope('restore')
  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Start a restore. Answers 202 with the job (status queued) and its Location; the worker runs it: queued -> submitting -> running -> succeeded | partiallySucceeded | failed | cancelled.',
  })
  @ApiAccepted(restoreJobSchema, {
    description: 'The job (status queued).',
    location: 'The job: /v1/tenants/{tenantId}/restore-jobs/{jobId}',
  })
  @ApiProblems(409, 422)
  @ApiZodBody(createRestoreJobSchema)
  async create(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Body(new ZodPipe(createRestoreJobSchema)) body: CreateRestoreJob,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    const location = (id: string) => `/v1/tenants/${tenantId}/restore-jobs/${id}`;
    // With an Idempotency-Key the answer commits with the job: a crash before answering leaves the answer to replay.
    const recorder = (req as WithIdempotency).idempotency;
    const created = await this.service.create(tenantId, body, req.id, async (tx, job) => {
      await recorder?.record(tx, 202, { location: location(job.id) }, toRestoreJobResource(job));
    });
    const job = toRestoreJobResource(created);
    reply.header('location', location(job.id));
    return job;
  }

  @RequireScope('read')
  @Get()
  @ApiOperation({ summary: "List the tenant's restore jobs (filter by status), oldest first, with a cursor." })
  @ApiZodQuery(listRestoreJobsQuery)
  @ApiPage(restoreJobSchema)
  async list(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Query(new ZodPipe(listRestoreJobsQuery, 'query')) q: z.infer<typeof listRestoreJobsQuery>,
  ) {
    await this.access.assert(p, tenantId);
    return toPage(await this.service.list(tenantId, decodeCursor(q.cursor), q.limit, q.status), q.limit, toRestoreJobResource);
  }

  @RequireScope('read')
  @Get(':jobId')
  @ApiOperation({ summary: 'One restore job with its items and their outcome.' })
  @ApiOk(restoreJobSchema)
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('jobId') id: string) {
    await this.access.assert(p, tenantId);
    return toRestoreJobResource(await this.service.get(tenantId, id));
  }

  @RequireScope('restore')
  @Post(':jobId/cancel')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Cancel a job: at once if still queued, otherwise at the vendor where it can (status cancelling -> cancelled or the state the vendor reached).',
  })
  @ApiAccepted(restoreJobSchema, {
    description: 'The job (status cancelling, or cancelled if it was queued).',
    location: 'The job: /v1/tenants/{tenantId}/restore-jobs/{jobId}',
  })
  @ApiProblems(409, 422)
  async cancel(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('jobId') id: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    const job = toRestoreJobResource(await this.service.cancel(tenantId, id, req.id));
    reply.header('location', `/v1/tenants/${job.tenantId}/restore-jobs/${job.id}`);
    return job;
  }

  @RequireScope('read')
  @Get(':jobId/events')
  @ApiOperation({ summary: "The job's full history: every state change and vendor interaction, oldest first." })
  @ApiZodQuery(listRestoreJobEventsQuery)
  @ApiPage(restoreJobEventSchema, 'A page of the history, oldest first.')
  async events(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('jobId') id: string,
    @Query(new ZodPipe(listRestoreJobEventsQuery, 'query')) q: z.infer<typeof listRestoreJobEventsQuery>,
  ) {
    await this.access.assert(p, tenantId);
    const events = await this.service.events(tenantId, id, decodeCursor(q.cursor, SEQUENCE_ID), q.limit);
    return toPage(events, q.limit, toRestoreJobEventResource);
  }
}
