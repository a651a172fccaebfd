import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { problem, ProblemError } from '../common/problem';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiPage, ApiProblems } from '../common/openapi';
import { ApiZodQuery, ZodPipe } from '../common/zod';
import { eventSchema, eventsQuery, tenantEventsQuery, type EventsQuery } from './events.dto';
import { EventsService } from './events.service';

/**
 * Every published event (the ones webhooks deliver), oldest first with a cursor, so an integration can
 * catch up without webhooks. Events are written in the same transaction as the change they describe.
 */
@ApiTags('events')
@ApiBearerAuth()
@Controller()
export class EventsController {
  constructor(
    private readonly events: EventsService,
    private readonly access: TenantAccess,
  ) {}

  @RequireScope('read')
  @Get('v1/events')
  @ApiOperation({
    summary:
      'Events of every tenant you can reach (a partner key: all its tenants), oldest first, with a cursor. Filter by types, resourceId, since, tenantId.',
  })
  @ApiProblems(404)
  @ApiZodQuery(eventsQuery)
  @ApiPage(eventSchema, 'A page of events, oldest first.')
  async list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(eventsQuery, 'query')) q: EventsQuery) {
    if (q.tenantId || p.kind === 'tenant') {
      const tenantId = q.tenantId ?? (p as { tenantId: string }).tenantId;
      await this.access.assert(p, tenantId);
      return this.events.pageForTenant(tenantId, q);
    }
    if (p.kind !== 'partner')
      throw new ProblemError(
        problem('VALIDATION_FAILED', 'The operator must give tenantId.', { errors: [{ path: 'tenantId', message: 'required' }] }),
      );
    return this.events.pageForPartner(p.partnerId, q);
  }

  @RequireScope('read')
  @Get('v1/tenants/:tenantId/events')
  @ApiOperation({ summary: 'Events of one tenant, oldest first, with a cursor.' })
  @ApiZodQuery(tenantEventsQuery)
  @ApiPage(eventSchema, 'A page of events, oldest first.')
  async listForTenant(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Query(new ZodPipe(tenantEventsQuery, 'query')) q: EventsQuery,
  ) {
    await this.access.assert(p, tenantId);
    return this.events.pageForTenant(tenantId, q);
  }
}
