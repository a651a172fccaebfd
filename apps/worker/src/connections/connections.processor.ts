import { Processor } from '@nestjs/bullmq';
import { LoggedWorkerHost } from '../common/logged-worker-host';
import type { Job } from 'bullmq';
import { isVendorError, type CallContext } from '@bg/adapters';
import { QUEUES, TenantDb, connectionRepository, type JobPayloads } from '@bg/platform';
import { AdapterCache } from '../common/adapter-cache.service';
import { assertHandlers } from '../common/handlers';
import { WORKER_SETTINGS } from '../common/queue-options';

@Processor(QUEUES.connections, { concurrency: 10, settings: WORKER_SETTINGS })
export class ConnectionsProcessor extends LoggedWorkerHost {
  private readonly handlers = {
    'connection.verify': (job: Job) => this.verify(this.callContext(job), job.data.tenantId, job.data.connectionId),
  } satisfies Record<Extract<keyof JobPayloads, `connection.${string}`>, (job: Job) => Promise<unknown>>;

  constructor(
    private readonly db: TenantDb,
    private readonly adapters: AdapterCache,
  ) {
    super();
    assertHandlers(QUEUES.connections, this.handlers);
  }

  async process(job: Job): Promise<unknown> {
    const handler = this.handlers[job.name as keyof typeof this.handlers];
    if (!handler) throw new Error(`no handler for ${job.name}`);
    return handler(job);
  }

  /** Obtains a vendor token and makes one read; records the connection's health either way. */
  private async verify(ctx: CallContext, tenantId: string, connectionId: string): Promise<string> {
    const adapter = await this.db.run(tenantId, async (tx) => (await this.adapters.forConnection(tx, connectionId)).adapter);
    let health: 'healthy' | 'unhealthy';
    let detail: string;
    try {
      const result = await adapter.verify(ctx);
      health = result.ok ? 'healthy' : 'unhealthy';
      detail = result.detail;
    } catch (e) {
      health = 'unhealthy';
      detail = isVendorError(e) ? `${e.code}${e.vendorCode ? ` (${e.vendorCode})` : ''}: ${e.message}` : (e as Error).message;
    }
    await this.db.run(tenantId, (tx) => connectionRepository.recordHealth(tx, connectionId, health, detail.slice(0, 1000)));
    return health;
  }
}
