import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { newId } from '@bg/domain';
import { decodeCursor, toPage } from '../common/pagination';
import { problem, ProblemError } from '../common/problem';
import { APP_DB } from '../common/platform.providers';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiZodBody, cursorQuery, ZodPipe } from '../common/zod';

const createTenant = z.strictObject({
  name: z.string().trim().min(1).max(200),
  externalRef: z.string().trim().max(200).optional(),
  partnerId: z.uuid().optional().describe('Operator only: the partner that owns the tenant.'),
});

function toTenant(r: { id: string; partner_id: string; name: string; external_ref: string | null; created_at: Date }) {
  return { id: r.id, partnerId: r.partner_id, name: r.name, externalRef: r.external_ref, createdAt: r.created_at };
}

@ApiTags('tenants')
@ApiBearerAuth()
@Controller('v1/tenants')
export class TenantsController {
  constructor(@Inject(APP_DB) private readonly db: DataSource, private readonly access: TenantAccess) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a customer tenant under your partner.' })
  @ApiZodBody(createTenant)
  async create(@CurrentPrincipal() p: Principal, @Body(new ZodPipe(createTenant)) body: z.infer<typeof createTenant>, @Res({ passthrough: true }) reply: FastifyReply) {
    if (p.kind === 'tenant') throw new ProblemError(problem('FORBIDDEN', 'A tenant key cannot create tenants.'));
    const partnerId = p.kind === 'partner' ? p.partnerId : body.partnerId;
    if (!partnerId) throw ProblemError.of('VALIDATION_FAILED', 'The operator must give partnerId.', { errors: [{ path: 'partnerId', message: 'required' }] });
    if (p.kind === 'partner' && body.partnerId && body.partnerId !== p.partnerId) throw ProblemError.of('VALIDATION_FAILED', 'partnerId must be your own partner.', { errors: [{ path: 'partnerId', message: 'not yours' }] });
    const [partner] = await this.db.query('SELECT 1 FROM partners WHERE id = $1', [partnerId]);
    if (!partner) throw ProblemError.of('NOT_FOUND', `partner ${partnerId} was not found`);
    const [row] = await this.db.query(
      'INSERT INTO tenants (id, partner_id, name, external_ref) VALUES ($1, $2, $3, $4) RETURNING *',
      [newId(), partnerId, body.name, body.externalRef ?? null],
    );
    reply.header('location', `/v1/tenants/${row.id}`);
    return toTenant(row);
  }

  @Get()
  @ApiOperation({ summary: 'List the tenants you can reach, oldest first, with a cursor.' })
  async list(@CurrentPrincipal() p: Principal, @Query(new ZodPipe(cursorQuery, 'query')) q: z.infer<typeof cursorQuery>) {
    const after = decodeCursor(q.cursor) ?? '00000000-0000-0000-0000-000000000000';
    const where = p.kind === 'admin' ? 'TRUE' : p.kind === 'partner' ? 'partner_id = $3' : 'id = $3';
    const params: unknown[] = [after, q.limit + 1];
    if (p.kind === 'partner') params.push(p.partnerId);
    if (p.kind === 'tenant') params.push(p.tenantId);
    const rows = await this.db.query(`SELECT * FROM tenants WHERE id > $1 AND ${where} ORDER BY id LIMIT $2`, params);
    return toPage(rows, q.limit, toTenant);
  }

  @Get(':tenantId')
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string) {
    await this.access.assert(p, tenantId);
    const [row] = await this.db.query('SELECT * FROM tenants WHERE id = $1', [tenantId]);
    return toTenant(row);
  }
}
