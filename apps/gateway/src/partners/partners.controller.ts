import { SecretResponse } from '../common/idempotency.interceptor';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { NotFound, newId } from '@bg/domain';
import { generateApiKey, isUuid } from '@bg/platform';
import { requireAdmin } from '../common/auth.guard';
import { APP_DB } from '../common/platform.providers';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { ApiZodBody, ZodPipe } from '../common/zod';

const createPartner = z.strictObject({ name: z.string().trim().min(1).max(200) });

function toPartner(r: { id: string; name: string; created_at: Date }) {
  return { id: r.id, name: r.name, createdAt: r.created_at };
}

@ApiTags('partners')
@ApiBearerAuth()
@Controller('v1/partners')
export class PartnersController {
  constructor(@Inject(APP_DB) private readonly db: DataSource) {}

  @Post()
  @HttpCode(201)
  @SecretResponse()
  @ApiOperation({ summary: 'Create a partner (MSP) and its first partner API key (operator only). The key is shown once.' })
  @ApiZodBody(createPartner)
  async create(@CurrentPrincipal() p: Principal, @Body(new ZodPipe(createPartner)) body: z.infer<typeof createPartner>, @Res({ passthrough: true }) reply: FastifyReply) {
    requireAdmin(p);
    const id = newId();
    const key = generateApiKey();
    const keyId = newId();
    const partner = await this.db.transaction(async (tx) => {
      const [row] = await tx.query('INSERT INTO partners (id, name) VALUES ($1, $2) RETURNING id, name, created_at', [id, body.name]);
      await tx.query(`INSERT INTO api_keys (id, role, partner_id, name, prefix, key_hash) VALUES ($1, 'partner', $2, $3, $4, $5)`,
        [keyId, id, 'initial partner key', key.prefix, key.hash]);
      return row;
    });
    reply.header('location', `/v1/partners/${id}`);
    return { ...toPartner(partner), apiKey: { id: keyId, key: key.key, prefix: key.prefix } };
  }

  @Get()
  @ApiOperation({ summary: 'List partners (operator) or your own partner.' })
  async list(@CurrentPrincipal() p: Principal) {
    const rows = p.kind === 'admin'
      ? await this.db.query('SELECT id, name, created_at FROM partners ORDER BY id LIMIT 1000')
      : await this.db.query('SELECT id, name, created_at FROM partners WHERE id = $1', [p.partnerId]);
    return { items: rows.map(toPartner), nextCursor: null };
  }

  @Get(':partnerId')
  async get(@CurrentPrincipal() p: Principal, @Param('partnerId') partnerId: string) {
    if (!isUuid(partnerId) || (p.kind !== 'admin' && p.partnerId !== partnerId)) throw new NotFound('partner', partnerId);
    const [row] = await this.db.query('SELECT id, name, created_at FROM partners WHERE id = $1', [partnerId]);
    if (!row) throw new NotFound('partner', partnerId);
    return toPartner(row);
  }
}
