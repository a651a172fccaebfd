import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { isVendorError, VendorError, type BackupVendorPort, type CallContext, type VendorProtectedItem } from '@bg/adapters';
import { isPolicyRuleSettled, policyRuleStatusFromVendor, type Policy, type PolicyRule } from '@bg/domain';
import { QUEUES, TenantDb, policyRepository, policyRuleRepository, protectedItemRepository } from '@bg/platform';
import { AdapterCache } from '../common/adapter-cache.service';
import { allPages } from '../common/pages';
import { queuePolicyRefresh } from '../policies/policy-refresh.queue';

const MAX_ATTEMPTS = 200;
const CLOSED_POLICY = ['deleting', 'deleted', 'failed'];

/** A rule-capable adapter: the optional port methods are there (capabilities.operations has policyRule.create). */
type RuleAdapter = Required<Pick<BackupVendorPort, 'createPolicyRule' | 'getPolicyRule' | 'deletePolicyRule'>> & BackupVendorPort;

function ruleAdapter(adapter: BackupVendorPort, vendor: string): RuleAdapter {
  if (adapter.createPolicyRule && adapter.getPolicyRule && adapter.deletePolicyRule) return adapter as RuleAdapter;
  throw new VendorError({
    code: 'UNSUPPORTED_BY_VENDOR',
    vendor,
    retryable: false,
    message: `Vendor ${vendor} does not support policy rules`,
  });
}

/**
 * Brings a policy rule and its vendor rule together, one step per job: create (and start) it at the vendor once
 * the policy is there, poll it while it applies (the job re-queues itself with backoff), and once applied adopt
 * the items the vendor added to the policy as protected items and refresh the policy (restore points). A rule
 * being deleted is deleted at the vendor. Idempotent: the adapter reuses a vendor rule with the same groups.
 */
@Injectable()
export class PolicyRuleSyncService {
  constructor(
    private readonly db: TenantDb,
    private readonly adapters: AdapterCache,
    @InjectQueue(QUEUES.policyRules) private readonly rules: Queue,
    @InjectQueue(QUEUES.policies) private readonly policies: Queue,
  ) {}

  async sync(call: CallContext, tenantId: string, ruleId: string, attempt: number): Promise<string> {
    const loaded = await this.db.run(tenantId, async (tx) => {
      const rule = await policyRuleRepository.findById(tx, ruleId);
      if (!rule || rule.status === 'deleted') return undefined;
      const policy = await policyRepository.findById(tx, rule.policyId);
      const { adapter } = await this.adapters.forConnection(tx, rule.connectionId);
      return { rule, policy, adapter: ruleAdapter(adapter, rule.vendor) };
    });
    if (!loaded) return 'gone';
    const { rule, policy, adapter } = loaded;
    if (rule.status === 'deleting') return this.delete(call, tenantId, rule, policy, adapter);
    if (isPolicyRuleSettled(rule.status)) return rule.status;
    if (!policy || CLOSED_POLICY.includes(policy.status)) {
      await this.db.run(tenantId, (tx) =>
        policyRuleRepository.recordFailure(tx, rule.id, {
          code: 'NOT_ALLOWED_IN_STATE',
          message: `policy ${rule.policyId} is ${policy?.status ?? 'gone'}`,
        }),
      );
      return 'failed';
    }
    // The policy is not at the vendor yet (the policy sync creates it): try again shortly.
    if (!policy.vendorRef) return this.again(call, tenantId, rule, attempt);

    const vendorRule = rule.vendorRef
      ? await adapter.getPolicyRule(call, policy.vendorRef, rule.vendorRef)
      : await adapter.createPolicyRule(call, policy.vendorRef, { groupIds: rule.groupIds });
    const status = policyRuleStatusFromVendor(vendorRule.state);
    const now = await this.db.run(tenantId, (tx) =>
      policyRuleRepository.recordVendor(tx, rule.id, {
        vendorRef: vendorRule.vendorRef,
        status,
        vendorStatus: vendorRule.vendorStatus,
        error: vendorRule.error ? { code: vendorRule.error.code, message: vendorRule.error.message } : undefined,
      }),
    );
    // Deleted while the vendor was creating it (the delete's own sync found no vendor ref): delete it there too.
    if (now && (now.status === 'deleting' || now.status === 'deleted')) return this.delete(call, tenantId, now, policy, adapter);
    if (status !== 'completed' && status !== 'completedWithErrors') return this.again(call, tenantId, rule, attempt);
    await this.adoptItems(call, tenantId, policy, adapter);
    await queuePolicyRefresh(this.policies, call, tenantId, policy.id, 0, 500);
    return status;
  }

  /** Records a rule the vendor refused for good. */
  async fail(tenantId: string, ruleId: string, err: unknown): Promise<void> {
    const code = isVendorError(err) ? err.code : ((err as { code?: string })?.code ?? 'INTERNAL');
    await this.db.run(tenantId, (tx) =>
      policyRuleRepository.recordFailure(tx, ruleId, { code, message: err instanceof Error ? err.message : String(err) }),
    );
  }

  private async delete(call: CallContext, tenantId: string, rule: PolicyRule, policy: Policy | undefined, adapter: RuleAdapter) {
    if (rule.vendorRef && policy?.vendorRef) await adapter.deletePolicyRule(call, policy.vendorRef, rule.vendorRef);
    await this.db.run(tenantId, (tx) => policyRuleRepository.markDeleted(tx, rule.id));
    return 'deleted';
  }

  /** The vendor's items of the policy, the ones the rule added among them, become our protected items. */
  private async adoptItems(call: CallContext, tenantId: string, policy: Policy, adapter: BackupVendorPort): Promise<void> {
    const items = await allPages<VendorProtectedItem>((page) => adapter.listProtectedItems(call, policy.vendorRef!, page));
    await this.db.run(tenantId, async (tx) => {
      // Only units we have never had (in any status): one we removed may still be listed while the vendor removes it.
      const known = await protectedItemRepository.idsByVendorRef(tx, policy.id);
      const added = items.filter((i) => i.vendorRef && !known.has(i.vendorRef));
      await protectedItemRepository.insertPending(
        tx,
        policy,
        added.map((i) => ({ externalId: i.externalId })),
      );
      await protectedItemRepository.applyVendorView(tx, policy.id, added);
    });
  }

  private async again(call: CallContext, tenantId: string, rule: PolicyRule, attempt: number): Promise<string> {
    if (attempt >= MAX_ATTEMPTS) {
      await this.fail(
        tenantId,
        rule.id,
        new VendorError({
          code: 'VENDOR_ERROR',
          vendor: rule.vendor,
          retryable: false,
          message: 'the vendor did not finish applying the rule',
        }),
      );
      return 'failed';
    }
    await this.rules.add(
      'policy-rule.sync',
      { tenantId, policyId: rule.policyId, ruleId: rule.id, attempt: attempt + 1, requestId: call.requestId },
      { jobId: `policy-rule.sync_${rule.id}_${attempt + 1}_${Date.now()}`, delay: Math.min(30_000, 500 * 1.5 ** attempt) },
    );
    return 'running';
  }
}
