import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import pino from 'pino';
import { PinoNestLogger, requestContext, type AppConfig } from '@bg/platform';
import { GatewayModule } from './app.module';
import { buildOpenApiDocument } from './common/openapi-document';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the gateway (used by main.ts, tests and the benchmark). Call `listen` on the result. */
export async function createGateway(config: AppConfig, logStream?: pino.DestinationStream): Promise<NestFastifyApplication> {
  const logger = pino(
    {
      level: config.LOG_LEVEL,
      base: { service: 'gateway' },
      redact: {
        paths: ['req.headers.authorization', 'req.headers["idempotency-key"]', '*.clientSecret', '*.password', '*.credentials'],
        censor: '[redacted]',
      },
    },
    logStream ?? pino.destination(1),
  );
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // A caller's X-Request-Id is kept when it is a plain token (it travels on to the vendor's request-id
    // header, so nothing that could break a header line); otherwise a random UUID from Node's pooled
    // entropy (newId() costs a getrandom call per request).
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    trustProxy: true,
    // Logged below as one line per request; Fastify's own logging writes two.
    disableRequestLogging: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (req, _reply, done) => {
    req.log.debug({ req }, 'incoming request');
    // The rest of the request runs inside its context, so jobs it writes carry its id (requestContext).
    requestContext.run(req.id, done);
  });
  fastify.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    done(null, payload);
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    req.log.info({ req, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    done();
  });
  const doc = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'openapi.json' });
  app.enableShutdownHooks();
  return app;
}
