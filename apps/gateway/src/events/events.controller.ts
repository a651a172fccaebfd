import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { isEventFilter } from '@bg/domain';
import { problem, ProblemError } from '../common/problem';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { RequireScope } from '../common/scopes';
import { TenantAccess } from '../common/tenant-access.service';
import { cursorQuery, ZodPipe } from '../common/zod';
import { EventsService } from './events.service';

const eventsQuery = cursorQuery.extend({
  types: z
    .string()
    .max(2000)
    .optional()
    .refine((v) => !v || v.split(',').every((t) => isEventFilter(t.trim())), 'each entry must be an event type, "<resource>.*" or "*"')
    .describe('Comma-separated event types, "<resource>.*" or "*" (see /v1/webhooks for the list).'),
  resourceId: z.uuid().optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('Only events that occurred at or after this time.'),
  tenantId: z.uuid().optional().describe('GET /v1/events only: one tenant of the partner.'),
});
type EventsQuery = z.infer<typeof eventsQuery>;

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
  async listForTenant(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId') tenantId: string,
    @Query(new ZodPipe(eventsQuery.omit({ tenantId: true }), 'query')) q: EventsQuery,
  ) {
    await this.access.assert(p, tenantId);
    return this.events.pageForTenant(tenantId, q);
  }
}
