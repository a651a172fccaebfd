import { Body, Controller, Delete, Get, HttpCode, Injectable, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { NotAllowedInState, NotFound } from '@bg/domain';
import { TenantDb, isUuid, rowsOf } from '@bg/platform';
import { decodeCursor, toPage } from '../common/pagination';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { TenantAccess } from '../common/tenant-access.service';
import { assertVendorSupports } from '../common/vendor-rules';
import { ApiZodBody, cursorQuery, ZodPipe } from '../common/zod';
import { itemInput } from '../policies/policies.dto';
import { insertItems, queuePolicySync } from '../policies/policies.service';

const listQuery = cursorQuery.extend({ policyId: z.uuid().optional(), status: z.string().max(40).optional() });
const addItems = z.strictObject({ policyId: z.uuid(), items: z.array(itemInput).min(1).max(10000) });

interface ItemRow {
  id: string; tenant_id: string; policy_id: string; connection_id: string; kind: string; external_id: string;
  display_name: string | null; status: string; vendor_ref: string | null; vendor_status: string | null;
  size_bytes: string | null; error_code: string | null; error_message: string | null; created_at: Date; updated_at: Date;
}

function toItem(r: ItemRow) {
  return {
    id: r.id, tenantId: r.tenant_id, policyId: r.policy_id, connectionId: r.connection_id, kind: r.kind,
    externalId: r.external_id, displayName: r.display_name, status: r.status, vendorRef: r.vendor_ref,
    vendorStatus: r.vendor_status, sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes),
    error: r.error_code ? { code: r.error_code, message: r.error_message } : null, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

@Injectable()
export class ProtectedItemsService {
  constructor(private readonly db: TenantDb) {}

  list(tenantId: string, q: z.infer<typeof listQuery>): Promise<ItemRow[]> {
    return this.db.run(tenantId, (tx) => tx.query(
      `SELECT * FROM protected_items WHERE tenant_id = $1 AND id > $2 AND ($4::uuid IS NULL OR policy_id = $4)
         AND (($5::text IS NULL AND status <> 'removed') OR status = $5) ORDER BY id LIMIT $3`,
      [tenantId, decodeCursor(q.cursor) ?? '00000000-0000-0000-0000-000000000000', q.limit + 1, q.policyId ?? null, q.status ?? null],
    ));
  }

  async get(tenantId: string, id: string): Promise<ItemRow> {
    if (!isUuid(id)) throw new NotFound('protected item', id);
    const [row] = await this.db.run(tenantId, (tx) => tx.query('SELECT * FROM protected_items WHERE id = $1', [id]));
    if (!row) throw new NotFound('protected item', id);
    return row;
  }

  async add(tenantId: string, body: z.infer<typeof addItems>): Promise<ItemRow[]> {
    return this.db.run(tenantId, async (tx) => {
      const [policy] = await tx.query(`SELECT * FROM policies WHERE id = $1 AND status <> 'deleted' FOR UPDATE`, [body.policyId]);
      if (!policy) throw new NotFound('policy', body.policyId);
      assertVendorSupports(policy.vendor, 'protectedItem.add');
      if (policy.status === 'deleting') throw new NotAllowedInState('policy', policy.status, 'add items to');
      const ids = await insertItems(tx, policy, body.items);
      await queuePolicySync(tx, policy.id);
      return ids.length ? tx.query('SELECT * FROM protected_items WHERE id = ANY($1) ORDER BY id', [ids]) : [];
    });
  }

  async remove(tenantId: string, id: string): Promise<ItemRow> {
    return this.db.run(tenantId, async (tx) => {
      if (!isUuid(id)) throw new NotFound('protected item', id);
      const [item] = await tx.query(`SELECT i.*, p.vendor FROM protected_items i JOIN policies p ON p.id = i.policy_id WHERE i.id = $1 FOR UPDATE OF i`, [id]);
      if (!item) throw new NotFound('protected item', id);
      assertVendorSupports(item.vendor, 'protectedItem.remove');
      if (item.status === 'removed' || item.status === 'removing') return item;
      const status = item.vendor_ref ? 'removing' : 'removed';
      const [row] = rowsOf<ItemRow>(await tx.query('UPDATE protected_items SET status = $2, updated_at = now() WHERE id = $1 RETURNING *', [id, status]));
      await queuePolicySync(tx, item.policy_id);
      return row;
    });
  }
}

@ApiTags('protected-items')
@ApiBearerAuth()
@Controller('v1/tenants/:tenantId/protected-items')
export class ProtectedItemsController {
  constructor(private readonly service: ProtectedItemsService, private readonly access: TenantAccess) {}

  @Get()
  @ApiOperation({ summary: 'List protected items (filter by policyId, status).' })
  async list(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Query(new ZodPipe(listQuery, 'query')) q: z.infer<typeof listQuery>) {
    await this.access.assert(p, tenantId);
    return toPage(await this.service.list(tenantId, q), q.limit, toItem);
  }

  @Get(':itemId')
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('itemId') id: string) {
    await this.access.assert(p, tenantId);
    return toItem(await this.service.get(tenantId, id));
  }

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Add items to a policy; the worker protects them at the vendor (splitting above vendor batch limits).' })
  @ApiZodBody(addItems)
  async add(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Body(new ZodPipe(addItems)) body: z.infer<typeof addItems>) {
    await this.access.assert(p, tenantId);
    return { items: (await this.service.add(tenantId, body)).map(toItem) };
  }

  @Delete(':itemId')
  @HttpCode(202)
  @ApiOperation({ summary: 'Remove an item from its policy (status removing -> removed).' })
  async remove(@CurrentPrincipal() p: Principal, @Param('tenantId') tenantId: string, @Param('itemId') id: string) {
    await this.access.assert(p, tenantId);
    return toItem(await this.service.remove(tenantId, id));
  }
}
