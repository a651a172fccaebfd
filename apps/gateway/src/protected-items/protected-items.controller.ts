import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { toProtectedItemResource } from '@bg/platform';
import { toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiAccepted, ApiOk, ApiPage, ApiProblems } from '../common/openapi';
import { ApiZodBody, ApiZodQuery, ZodPipe } from '../common/zod';
import {
  addedItemsSchema,
  addItemsSchema,
  listItemsQuery,
  protectedItemSchema,
  type AddItems,
  type ListItemsQuery,
} from './protected-items.dto';
import { ProtectedItemsService } from './protected-items.service';
import { WritesInTenantTransaction } from '../common/status-gate.guard';

@ApiTags('protected-items')
@ApiBearerAuth()
@WritesInTenantTransaction()
@Controller('v1/tenants/:tenantId/protected-items')
export class ProtectedItemsController {
  constructor(
    private readonly service: ProtectedItemsService,
    private readonly access: TenantAccess,
  ) {}

  @RequireScope('read')
  @Get()
  @ApiOperation({ summary: 'List protected items (filter by policyId, status, protection state: ?state=atRisk).' })
  @ApiZodQuery(listItemsQuery)
  @ApiPage(protectedItemSchema, 'A page of protected items, each with its protection health.')
  async list(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Query(new ZodPipe(listItemsQuery, 'query')) q: ListItemsQuery,
  ) {
    await this.access.assert(p, tenantId);
    return toPage(await this.service.list(tenantId, q), q.limit, toProtectedItemResource);
  }

  @RequireScope('read')
  @Get(':itemId')
  @ApiOperation({ summary: 'One protected item with its protection health.' })
  @ApiOk(protectedItemSchema, 'The item.')
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('itemId') id: string) {
    await this.access.assert(p, tenantId);
    return toProtectedItemResource(await this.service.get(tenantId, id));
  }

  @RequireScope('backup')
  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Add items to a policy; the worker protects them at the vendor (splitting above vendor batch limits).' })
  @ApiAccepted(addedItemsSchema, {
    description: 'The items added (status pending).',
    location: "The policy's items: /v1/tenants/{tenantId}/protected-items?policyId={policyId}",
  })
  @ApiProblems(409, 422)
  @ApiZodBody(addItemsSchema)
  async add(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Body(new ZodPipe(addItemsSchema)) body: AddItems,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    const items = (await this.service.add(tenantId, body)).map(toProtectedItemResource);
    if (items.length) reply.header('location', `/v1/tenants/${items[0].tenantId}/protected-items?policyId=${items[0].policyId}`);
    return { items };
  }

  @RequireScope('backup')
  @Delete(':itemId')
  @HttpCode(202)
  @ApiOperation({ summary: 'Remove an item from its policy (status removing -> removed).' })
  @ApiAccepted(protectedItemSchema, {
    description: 'The item (status removing).',
    location: 'The item: /v1/tenants/{tenantId}/protected-items/{itemId}',
  })
  @ApiProblems(409)
  async remove(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Param('itemId') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.access.assert(p, tenantId);
    const item = toProtectedItemResource(await this.service.remove(tenantId, id));
    reply.header('location', `/v1/tenants/${item.tenantId}/protected-items/${item.id}`);
    return item;
  }
}
