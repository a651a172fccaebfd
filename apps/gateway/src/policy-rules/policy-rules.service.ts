import { Injectable } from '@nestjs/common';
import { NotAllowedInState, NotFound, isPolicyClosed, newId, type Policy, type PolicyRule } from '@bg/domain';
import { TenantDb, policyRepository, policyRuleRepository, writeOutbox, type TenantTx } from '@bg/platform';
import { assertVendorSupports } from '../common/vendor-rules';
import type { CreatePolicyRule } from './policy-rules.dto';

/** Enqueues the worker's sync of a rule with its vendor. */
async function queueRuleSync(tx: TenantTx, rule: Pick<PolicyRule, 'id' | 'policyId'>): Promise<void> {
  await writeOutbox(
    tx,
    tx.tenantId,
    'policy-rule.sync',
    { tenantId: tx.tenantId, policyId: rule.policyId, ruleId: rule.id },
    { jobId: `policy-rule.sync_${rule.id}_${newId()}` },
  );
}

@Injectable()
export class PolicyRulesService {
  constructor(private readonly db: TenantDb) {}

  async create(tenantId: string, policyId: string, body: CreatePolicyRule): Promise<PolicyRule> {
    return this.db.run(tenantId, async (tx) => {
      const policy = await this.policy(tx, policyId);
      assertVendorSupports(policy.vendor, 'policyRule.create');
      if (isPolicyClosed(policy.status)) throw new NotAllowedInState('policy', policy.status, 'add a rule');
      const rule = await policyRuleRepository.insert(tx, {
        id: newId(),
        policyId,
        connectionId: policy.connectionId,
        vendor: policy.vendor,
        displayName: body.displayName,
        groupIds: [...new Set(body.groupIds.map((g) => g.toLowerCase()))],
      });
      await queueRuleSync(tx, rule);
      return rule;
    });
  }

  async list(tenantId: string, policyId: string, after: string | undefined, limit: number): Promise<PolicyRule[]> {
    return this.db.run(tenantId, async (tx) => {
      await this.policy(tx, policyId);
      return policyRuleRepository.listVisible(tx, policyId, after, limit + 1);
    });
  }

  async get(tenantId: string, policyId: string, id: string): Promise<PolicyRule> {
    return this.db.run(tenantId, async (tx) => {
      await this.policy(tx, policyId);
      return this.rule(tx, policyId, id);
    });
  }

  /** Deletes the rule at the vendor (the worker does); the items it added stay in the policy. */
  async remove(tenantId: string, policyId: string, id: string): Promise<PolicyRule> {
    return this.db.run(tenantId, async (tx) => {
      const policy = await this.policy(tx, policyId);
      const rule = await this.rule(tx, policyId, id, true);
      assertVendorSupports(policy.vendor, 'policyRule.delete');
      if (rule.status !== 'deleting') {
        await policyRuleRepository.markDeleting(tx, id);
        await queueRuleSync(tx, rule);
      }
      return this.rule(tx, policyId, id);
    });
  }

  private async policy(tx: TenantTx, id: string): Promise<Policy> {
    const policy = await policyRepository.findVisible(tx, id);
    if (!policy) throw new NotFound('policy', id);
    return policy;
  }

  private async rule(tx: TenantTx, policyId: string, id: string, forUpdate = false): Promise<PolicyRule> {
    const rule = await policyRuleRepository.findVisible(tx, policyId, id, { forUpdate });
    if (!rule) throw new NotFound('policy rule', id);
    return rule;
  }
}
