import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { isEventFilter } from '@bg/domain';
import { TenantDb, toDomainEvent, type EventRow } from '@bg/platform';
import type { EntityManager } from 'typeorm';
import { decodeCursor, toPage } from '../common/pagination';
import { problem, ProblemError } from '../common/problem';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { TenantAccess } from '../common/tenant-access.service';
import { cursorQuery, ZodPipe } from '../common/zod';

const eventsQuery = cursorQuery.extend({
  types: z.string().max(2000).optional()
    .refine((v) => !v || v.split(',').every((t) => isEventFilter(t.trim())), 'each entry must be an event type, "<resource>.*" or "*"')
    .describe('Comma-separated event types, "<resource>.*" or "*" (see /v1/webhooks for the list).'),
  resourceId: z.uuid().optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('Only events that occurred at or after this time.'),
  tenantId: z.uuid().optional().describe('GET /v1/events only: one tenant of the partner.'),
});
type EventsQuery = z.infer<typeof eventsQuery>;

const SELECT = 'SELECT id, partner_id, tenant_id, type, resource_type, resource_id, data, occurred_at FROM events';

/**
 * Every published event (the ones webhooks deliver), oldest first with a cursor, so an integration can
 * catch up without webhooks. Events are written in the same transaction as the change they describe.
 */
@ApiTags('events')
@ApiBearerAuth()
@Controller()
export class EventsController {
  constructor(private readonly db: TenantDb, private readonly access: TenantAccess) {}

  @Get('v1/events')
  @ApiOperation({ summary: 'Events of every tenant you can reach (a partner key: all its tenants), oldest first, with a cursor. Filter by types, resourceId, since, tenantId.' })
  async list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(eventsQuery, 'query')) q: EventsQuery) {
    if (q.tenantId || p.kind === 'tenant') {
      const tenantId = q.tenantId ?? (p as { tenantId: string }).tenantId;
      await this.access.assert(p, tenantId);
      return this.db.run(tenantId, (tx) => this.page(tx, q, tenantId));
    }
    if (p.kind !== 'partner') throw new ProblemError(problem('VALIDATION_FAILED', 'The operator must give tenantId.', { errors: [{ path: 'tenantId', message: 'required' }] }));
    return this.db.runAsPartner(p.partnerId, (tx) => this.page(tx, q, null));
  }

  @Get('v1/tenants/:tenantId/events')
  @ApiOperation({ summary: 'Events of one tenant, oldest first, with a cursor.' })
  async listForTenant(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Query(new ZodPipe(eventsQuery.omit({ tenantId: true }), 'query')) q: EventsQuery) {
    await this.access.assert(p, tenantId);
    return this.db.run(tenantId, (tx) => this.page(tx, q, tenantId));
  }

  /** One indexed range scan ((tenant_id, id) or (partner_id, id)); row-level security confines it either way. */
  private async page(tx: EntityManager, q: EventsQuery, tenantId: string | null) {
    const types = q.types?.split(',').map((t) => t.trim());
    const rows: EventRow[] = await tx.query(
      `${SELECT} WHERE id > $1 AND ($2::uuid IS NULL OR tenant_id = $2)
         AND ($3::text[] IS NULL OR type = ANY($3) OR split_part(type, '.', 1) || '.*' = ANY($3) OR '*' = ANY($3))
         AND ($4::uuid IS NULL OR resource_id = $4) AND ($5::timestamptz IS NULL OR occurred_at >= $5)
       ORDER BY id LIMIT $6`,
      [decodeCursor(q.cursor) ?? '00000000-0000-0000-0000-000000000000', tenantId, types ?? null, q.resourceId ?? null, q.since ?? null, q.limit + 1],
    );
    return toPage(rows, q.limit, toDomainEvent);
  }
}
