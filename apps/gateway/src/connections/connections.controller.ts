import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { toConnectionResource } from '@bg/platform';
import { decodeCursor, toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiAccepted, ApiCreated, ApiNoContent, ApiOk, ApiPage, ApiProblems } from '../common/openapi';
import { ApiZodBody, ApiZodQuery, cursorQuery, ZodPipe } from '../common/zod';
import {
  connectionSchema,
  createConnectionSchema,
  updateConnectionSchema,
  type CreateConnection,
  type UpdateConnection,
} from './connections.dto';
import { ConnectionsService } from './connections.service';
import { WritesInTenantTransaction } from '../common/status-gate.guard';

@ApiTags('connections')
@ApiBearerAuth()
@WritesInTenantTransaction()
@Controller('v1/tenants/:tenantId/connections')
export class ConnectionsController {
  constructor(
    private readonly service: ConnectionsService,
    private readonly access: TenantAccess,
  ) {}

  @RequireScope('manage')
  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Connect a vendor account. Credentials are encrypted at rest and never returned.' })
  @ApiCreated(connectionSchema, { location: 'The connection: /v1/tenants/{tenantId}/connections/{connectionId}' })
  @ApiProblems(422)
  @ApiZodBody(createConnectionSchema)
  async create(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Body(new ZodPipe(createConnectionSchema)) body: CreateConnection,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    const conn = await this.service.create(tenantId, body);
    reply.header('location', `/v1/tenants/${tenantId}/connections/${conn.id}`);
    return toConnectionResource(conn);
  }

  @RequireScope('read')
  @Get()
  @ApiOperation({ summary: "List the tenant's connections (never their secrets), oldest first, with a cursor." })
  @ApiZodQuery(cursorQuery)
  @ApiPage(connectionSchema)
  async list(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Query(new ZodPipe(cursorQuery, 'query')) q: z.infer<typeof cursorQuery>,
  ) {
    await this.access.assert(p, tenantId);
    return toPage(await this.service.list(tenantId, decodeCursor(q.cursor), q.limit), q.limit, toConnectionResource);
  }

  @RequireScope('read')
  @Get(':connectionId')
  @ApiOperation({ summary: 'One connection with its health.' })
  @ApiOk(connectionSchema)
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('connectionId') id: string) {
    await this.access.assert(p, tenantId);
    return toConnectionResource(await this.service.get(tenantId, id));
  }

  @RequireScope('manage')
  @Post(':connectionId/verify')
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a credential check: the worker obtains a vendor token, makes one read and records `health`.' })
  @ApiAccepted(connectionSchema, {
    description: 'The connection; its health changes when the check is done.',
    location: 'The connection: /v1/tenants/{tenantId}/connections/{connectionId}',
  })
  async verify(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('connectionId') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    // Built from the stored connection, never from the raw path: an unknown or malformed id is a 404 with no Location.
    const conn = await this.service.verify(tenantId, id);
    reply.header('location', `/v1/tenants/${conn.tenantId}/connections/${conn.id}`);
    return toConnectionResource(conn);
  }

  @RequireScope('manage')
  @Patch(':connectionId')
  @ApiOperation({
    operationId: 'updateConnection',
    summary:
      "Replace a connection's credentials (validated for its vendor, encrypted at rest, never returned), endpoint or display name. New credentials or endpoint queue a verification: health is unknown until the worker records healthy or unhealthy.",
  })
  @ApiZodBody(updateConnectionSchema)
  @ApiOk(connectionSchema, 'The connection (public credential fields only).')
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('connectionId') id: string,
    @Body(new ZodPipe(updateConnectionSchema)) body: UpdateConnection,
  ) {
    await this.access.assert(p, tenantId);
    return toConnectionResource(await this.service.update(tenantId, id, body));
  }

  @RequireScope('manage')
  @Delete(':connectionId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a connection and destroy its credentials.' })
  @ApiNoContent('Deleted.')
  @ApiProblems(409)
  async remove(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('connectionId') id: string) {
    await this.access.assert(p, tenantId);
    await this.service.remove(tenantId, id);
  }
}
