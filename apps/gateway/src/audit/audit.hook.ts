import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Principal } from '../common/principal';
import type { AuditRecorder } from './audit-recorder.service';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const V1 = /^\/v1(?:[/?#]|$)/;
const PROBLEM = /^application\/problem\+json/i;

type Fastify = ReturnType<NestFastifyApplication['getHttpAdapter']>['getInstance'] extends () => infer F ? F : never;
type Req = { url: string; method: string; principal?: Principal };

/** Every write on /v1, and every request of the operator key on /v1 (its reads inside a tenant are shown to that tenant too). */
function audited(req: Req): boolean {
  if (!V1.test(req.url)) return false;
  return WRITES.has(req.method) || req.principal?.kind === 'admin';
}

/**
 * Records one audit entry per audited request, successes and refusals alike, from the one place that sees both:
 * Fastify's onResponse, after the answer went out (no latency added; AuditRecorder writes in batches). The error
 * code is read from the problem+json answer on its way out (onSend), whichever layer refused. Bodies are never kept.
 */
export function registerAuditHooks(app: NestFastifyApplication, recorder: AuditRecorder): void {
  const fastify: Fastify = app.getHttpAdapter().getInstance();
  const codes = new WeakMap<object, string>();
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const req = request as typeof request & Req;
    if (
      reply.statusCode >= 400 &&
      typeof payload === 'string' &&
      PROBLEM.test(String(reply.getHeader('content-type') ?? '')) &&
      audited(req)
    ) {
      try {
        const code = (JSON.parse(payload) as { code?: unknown }).code;
        if (typeof code === 'string') codes.set(req, code);
      } catch {
        // not JSON after all: no code to record
      }
    }
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const req = request as typeof request & Req;
    if (audited(req)) {
      const query = req.query as Record<string, unknown> | undefined;
      const location = reply.getHeader('location');
      recorder.record({
        at: new Date(),
        principal: req.principal,
        ...(req.principal ? {} : recorder.keyOf(req.headers.authorization)),
        method: req.method,
        route: req.routeOptions.url ?? null,
        params: (req.params ?? {}) as Record<string, string>,
        queryTenantId: typeof query?.tenantId === 'string' ? query.tenantId : undefined,
        location: typeof location === 'string' ? location : undefined,
        status: reply.statusCode,
        requestId: String(req.id),
        ip: req.ip,
        errorCode: codes.get(req),
      });
    }
    done();
  });
}
