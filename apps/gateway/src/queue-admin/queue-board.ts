import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { QUEUES, queueConnection, safeEqual, type AppConfig } from '@bg/platform';
import { problem } from '../common/problem';

export const QUEUE_BOARD_PATH = '/admin/queues';

/** `Authorization: Bearer <ADMIN_API_KEY>`, or a 401 problem (the board is the operator's, like every admin route). */
function adminOnly(config: AppConfig) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (match && config.ADMIN_API_KEY && safeEqual(match[1], config.ADMIN_API_KEY)) return;
    const body = problem('UNAUTHENTICATED', 'Send the operator key as "Authorization: Bearer <ADMIN_API_KEY>".', { instance: req.id });
    await reply.code(body.status).type('application/problem+json').send(body);
  };
}

/**
 * Bull Board (every BullMQ queue of the stack: counts, jobs, retry/remove) at /admin/queues, behind the
 * admin key. The gateway opens its own Queue handles for it (one Redis connection each, closed with the app).
 */
export async function mountQueueBoard(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  // The board reads on demand: no offline queue, so a Redis outage answers the page with an error at once.
  const shared = queueConnection(config);
  const connection = config.REDIS_CLUSTER_NODES ? shared.connection : { ...shared.connection, enableOfflineQueue: false };
  const queues = Object.values(QUEUES).map((name) => new Queue(name, { connection, prefix: config.QUEUE_PREFIX }));
  for (const q of queues) q.on('error', () => undefined);
  const serverAdapter = new BullBoardFastifyAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q)),
    // @bull-board/fastify pins its own patch release of @bull-board/api: the same interface, declared twice.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
  });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  await fastify.register(
    async (scope) => {
      scope.addHook('onRequest', adminOnly(config));
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: QUEUE_BOARD_PATH },
  );
  fastify.addHook('onClose', async () => {
    await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
    await shared.close();
  });
}
