import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type pino from 'pino';
import { PinoNestLogger, createAppLogger, redactRequestUrl, requestContext, startMetricsServer, type AppConfig } from '@bg/platform';
import { GatewayModule } from './app.module';
import { AuditRecorder } from './audit/audit-recorder.service';
import { registerAuditHooks } from './audit/audit.hook';
import { clientErrorProblem, frameworkErrorProblem, sendProblem } from './common/framework-errors';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { mountQueueBoard } from './queue-admin/queue-board';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the gateway (used by main.ts, tests and the benchmark). Call `listen` on the result. */
export async function createGateway(config: AppConfig, logStream?: pino.DestinationStream): Promise<NestFastifyApplication> {
  const logger = createAppLogger(
    config,
    {
      base: { service: 'gateway' },
      redact: {
        paths: ['req.headers.authorization', 'req.headers["idempotency-key"]', '*.clientSecret', '*.password', '*.credentials'],
        censor: '[redacted]',
      },
      // Fastify's request serializer, with credentials sent in the query string (?apiKey=...) redacted.
      serializers: {
        req: (req: FastifyRequest) => ({
          method: req.method,
          url: redactRequestUrl(req.url),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
    },
    logStream,
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
    // What Fastify's router and Node's HTTP parser refuse before Nest's filter runs, as problem+json too.
    frameworkErrors: (err: { code?: string }, req: { id: string }, reply: { raw: ServerResponse }) =>
      sendProblem(reply.raw, frameworkErrorProblem(err, req.id)),
    clientErrorHandler: clientErrorProblem,
  });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
    // The API takes JSON bodies only: Fastify's own JSON parser stays, Nest's form parser is not added and
    // the text/plain one is removed, so any other media type is 415 UNSUPPORTED_MEDIA_TYPE.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeContentTypeParser('text/plain');
  fastify.addHook('onRequest', (req, _reply, done) => {
    req.log.debug({ req }, 'incoming request');
    // The rest of the request runs inside its context, so jobs it writes carry its id (requestContext).
    requestContext.run(req.id, done);
  });
  fastify.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    done(null, payload);
  });
  const metrics = app.get(GatewayMetrics);
  fastify.addHook('onResponse', (req, reply, done) => {
    req.log.info({ req, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    // The route pattern (never the raw URL) keeps the label set bounded.
    metrics.observeRequest(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  registerAuditHooks(app, app.get(AuditRecorder));
  await mountQueueBoard(app, config);
  if (config.METRICS_PORT !== undefined) {
    const { server, port } = await startMetricsServer(metrics.registry, config.METRICS_HOST, config.METRICS_PORT);
    logger.info({ port, host: config.METRICS_HOST }, 'metrics listening');
    fastify.addHook('onClose', async () => {
      await new Promise((resolve) => server.close(resolve));
    });
  }
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('backup-gateway')
      .setDescription(
        'One vendor-neutral API for Microsoft 365 and Azure backup vendors. Errors are RFC 9457 application/problem+json with a normalized `code` (GET /v1/errors). Every POST honours Idempotency-Key. Lists use cursor pagination (`cursor`, `limit`; answer `nextCursor`).',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_API_KEY, a partner key or a tenant key' })
      .build(),
  );
  SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'openapi.json' });
  app.enableShutdownHooks();
  return app;
}
