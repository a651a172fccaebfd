import type { Queue } from 'bullmq';
import type { CallContext } from '@bg/adapters';

/**
 * Queues a refresh of the policy's items and restore points (attempt `attempt`, after `delayMs`), as part
 * of the request that caused it (CallContext.requestId). (The maintenance sweep adds its periodic refreshes in bulk.)
 */
export async function queuePolicyRefresh(
  queue: Queue,
  call: CallContext,
  tenantId: string,
  policyId: string,
  attempt: number,
  delayMs: number,
): Promise<void> {
  await queue.add(
    'policy.refresh',
    { tenantId, policyId, attempt, requestId: call.requestId },
    { jobId: `policy.refresh_${policyId}_${attempt}_${Date.now()}`, delay: delayMs },
  );
}
