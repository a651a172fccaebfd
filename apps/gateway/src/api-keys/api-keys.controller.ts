import { SecretResponse } from '../common/idempotency.interceptor';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { NotFound, newId } from '@bg/domain';
import { generateApiKey, isUuid, rowsOf } from '@bg/platform';
import { problem, ProblemError } from '../common/problem';
import { APP_DB } from '../common/platform.providers';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { TenantAccess } from '../common/tenant-access.service';
import { ApiZodBody, ZodPipe } from '../common/zod';

const createKey = z.strictObject({
  name: z.string().trim().min(1).max(200),
  partnerId: z.uuid().optional(),
  tenantId: z.uuid().optional(),
}).refine((b) => !(b.partnerId && b.tenantId), { message: 'give partnerId (partner key) or tenantId (tenant key), not both' });

function toKey(r: { id: string; role: string; partner_id: string; tenant_id: string | null; name: string; prefix: string; created_at: Date; revoked_at: Date | null }) {
  return { id: r.id, role: r.role, partnerId: r.partner_id, tenantId: r.tenant_id, name: r.name, prefix: r.prefix, createdAt: r.created_at, revokedAt: r.revoked_at };
}

/**
 * API keys. The operator creates partner keys; a partner creates keys for itself or for its tenants.
 * A key is shown once; only its SHA-256 is stored.
 */
@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(@Inject(APP_DB) private readonly db: DataSource, private readonly access: TenantAccess) {}

  @Post()
  @HttpCode(201)
  @SecretResponse()
  @ApiOperation({ summary: 'Create a partner key (partnerId) or a tenant key (tenantId). The key is in the answer once.' })
  @ApiZodBody(createKey)
  async create(@CurrentPrincipal() p: Principal, @Body(new ZodPipe(createKey)) body: z.infer<typeof createKey>, @Res({ passthrough: true }) reply: FastifyReply) {
    if (p.kind === 'tenant') throw new ProblemError(problem('FORBIDDEN', 'A tenant key cannot create API keys.'));
    let partnerId: string;
    let tenantId: string | null = null;
    if (body.tenantId) {
      await this.access.assert(p, body.tenantId);
      tenantId = body.tenantId;
      [{ partner_id: partnerId }] = await this.db.query('SELECT partner_id FROM tenants WHERE id = $1', [tenantId]);
    } else {
      partnerId = body.partnerId ?? (p.kind === 'partner' ? p.partnerId : '');
      if (!partnerId) throw ProblemError.of('VALIDATION_FAILED', 'The operator must give partnerId or tenantId.', { errors: [{ path: 'partnerId', message: 'required' }] });
      if (p.kind === 'partner' && p.partnerId !== partnerId) throw new NotFound('partner', partnerId);
      const [exists] = await this.db.query('SELECT 1 FROM partners WHERE id = $1', [partnerId]);
      if (!exists) throw new NotFound('partner', partnerId);
    }
    const key = generateApiKey();
    const [row] = await this.db.query(
      `INSERT INTO api_keys (id, role, partner_id, tenant_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)
       RETURNING id, role, partner_id, tenant_id, name, prefix, created_at, revoked_at`,
      [newId(), tenantId ? 'tenant' : 'partner', partnerId, tenantId, body.name, key.prefix, key.hash],
    );
    reply.header('location', `/v1/api-keys/${row.id}`);
    return { ...toKey(row), key: key.key };
  }

  @Get()
  @ApiOperation({ summary: 'List the keys you manage (never the key itself).' })
  async list(@CurrentPrincipal() p: Principal) {
    if (p.kind === 'tenant') throw new ProblemError(problem('FORBIDDEN', 'A tenant key cannot list API keys.'));
    const rows = p.kind === 'admin'
      ? await this.db.query('SELECT * FROM api_keys ORDER BY id LIMIT 1000')
      : await this.db.query('SELECT * FROM api_keys WHERE partner_id = $1 ORDER BY id LIMIT 1000', [p.partnerId]);
    return { items: rows.map(toKey), nextCursor: null };
  }

  @Delete(':keyId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a key (takes effect within 30 s on every gateway).' })
  async revoke(@CurrentPrincipal() p: Principal, @Param('keyId') keyId: string) {
    if (p.kind === 'tenant' || !isUuid(keyId)) throw new NotFound('api key', keyId);
    const res = rowsOf(p.kind === 'admin'
      ? await this.db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id', [keyId])
      : await this.db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND partner_id = $2 AND revoked_at IS NULL RETURNING id', [keyId, p.partnerId]));
    if (!res.length) throw new NotFound('api key', keyId);
  }
}
