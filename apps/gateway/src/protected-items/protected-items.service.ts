import { Injectable } from '@nestjs/common';
import { NotAllowedInState, NotFound, protectedItemStatusAfterRemove, type ProtectedItem } from '@bg/domain';
import { TenantDb, isUuid, policyRepository, protectedItemRepository } from '@bg/platform';
import { decodeCursor } from '../common/pagination';
import { assertVendorSupports } from '../common/vendor-rules';
import { queuePolicySync } from '../policies/policies.service';
import type { AddItems, ListItemsQuery } from './protected-items.dto';

@Injectable()
export class ProtectedItemsService {
  constructor(private readonly db: TenantDb) {}

  list(tenantId: string, q: ListItemsQuery): Promise<ProtectedItem[]> {
    return this.db.run(tenantId, (tx) =>
      protectedItemRepository.list(tx, {
        after: decodeCursor(q.cursor),
        limit: q.limit + 1,
        policyId: q.policyId,
        status: q.status,
        state: q.state,
      }),
    );
  }

  async get(tenantId: string, id: string): Promise<ProtectedItem> {
    if (!isUuid(id)) throw new NotFound('protected item', id);
    const item = await this.db.run(tenantId, (tx) => protectedItemRepository.findById(tx, id));
    if (!item) throw new NotFound('protected item', id);
    return item;
  }

  async add(tenantId: string, body: AddItems): Promise<ProtectedItem[]> {
    return this.db.run(tenantId, async (tx) => {
      const policy = await policyRepository.lockVisible(tx, body.policyId);
      if (!policy) throw new NotFound('policy', body.policyId);
      assertVendorSupports(policy.vendor, 'protectedItem.add');
      if (policy.status === 'deleting') throw new NotAllowedInState('policy', policy.status, 'add items to');
      const ids = await protectedItemRepository.insertPending(tx, policy, body.items);
      await queuePolicySync(tx, policy.id);
      return protectedItemRepository.findByIds(tx, ids);
    });
  }

  async remove(tenantId: string, id: string): Promise<ProtectedItem> {
    return this.db.run(tenantId, async (tx) => {
      if (!isUuid(id)) throw new NotFound('protected item', id);
      const found = await protectedItemRepository.lockWithVendor(tx, id);
      if (!found) throw new NotFound('protected item', id);
      assertVendorSupports(found.vendor, 'protectedItem.remove');
      const { item } = found;
      const to = protectedItemStatusAfterRemove(item);
      if (to === item.status) return item;
      const removed = await protectedItemRepository.setStatus(tx, item, to);
      await queuePolicySync(tx, item.policyId);
      return removed;
    });
  }
}
