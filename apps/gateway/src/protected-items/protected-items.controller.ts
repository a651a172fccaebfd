import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { toProtectedItemResource } from '@bg/platform';
import { toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiZodBody, ApiZodQuery, jsonSchema, ZodPipe } from '../common/zod';
import {
  addItemsSchema,
  listItemsQuery,
  protectedItemPageSchema,
  protectedItemSchema,
  type AddItems,
  type ListItemsQuery,
} from './protected-items.dto';
import { ProtectedItemsService } from './protected-items.service';

@ApiTags('protected-items')
@ApiBearerAuth()
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
  @ApiOkResponse({
    description: 'A page of protected items, each with its protection health.',
    schema: jsonSchema(protectedItemPageSchema) as never,
  })
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
  @ApiOkResponse({ description: 'The item.', schema: jsonSchema(protectedItemSchema) as never })
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('itemId') id: string) {
    await this.access.assert(p, tenantId);
    return toProtectedItemResource(await this.service.get(tenantId, id));
  }

  @RequireScope('backup')
  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Add items to a policy; the worker protects them at the vendor (splitting above vendor batch limits).' })
  @ApiZodBody(addItemsSchema)
  async add(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Body(new ZodPipe(addItemsSchema)) body: AddItems) {
    await this.access.assert(p, tenantId);
    return { items: (await this.service.add(tenantId, body)).map(toProtectedItemResource) };
  }

  @RequireScope('backup')
  @Delete(':itemId')
  @HttpCode(202)
  @ApiOperation({ summary: 'Remove an item from its policy (status removing -> removed).' })
  async remove(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('itemId') id: string) {
    await this.access.assert(p, tenantId);
    return toProtectedItemResource(await this.service.remove(tenantId, id));
  }
}
