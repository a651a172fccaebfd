import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type pino from 'pino';

import { PinoNestLogger, createAppLogger, queueConnection, type AppConfig } from '@bg/platform';
import { WorkerModule } from './worker.module';

/** Builds and starts the worker (BullMQ consumers, outbox relay, schedulers). Used by main.ts and tests. */
export async function createWorker(config: AppConfig, logStream?: pino.DestinationStream): Promise<INestApplicationContext> {
  const logger = createAppLogger(config, { base: { service: 'worker' } }, logStream);
  const queues = queueConnection(config);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, queues), { logger: new PinoNestLogger(logger) });
  app.enableShutdownHooks();
  // Nest shuts the root module down before BullModule's workers; a shared (cluster) client must outlive them.
  const close = app.close.bind(app);
  app.close = async () => {
    await close();
    await queues.close();
  };
  await app.init();
  logger.info({ queuePrefix: config.QUEUE_PREFIX }, 'worker started');
  return app;
}
